/**
 * Research templates: a folder in the AI Scientist layout that the system edits and runs.
 *
 *   experiment.py        --out_dir run_N; writes run_N/final_info.json
 *   plot.py              reads every run_* folder, writes figures
 *   prompt.json          {"system", "task_description"}
 *   seed_ideas.json      [{"Name", "Title", "Experiment", "Interestingness", "Feasibility", "Novelty"}]
 *   latex/template.tex   the paper skeleton, with a bibliography
 *   requirements.txt     optional: extra pip packages for a derived sandbox image
 *   template.json        optional manifest: fast mode, editable files, data folders, metrics
 *                        (./template-manifest.ts)
 *
 * Validation reads files only (no Python runs): a malformed template must fail before any
 * container starts, with one message that lists every problem so a user fixes them in one pass.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../../lib/errors';
import type { Idea } from '../ideation/idea';
import { parseFinalInfo } from './final-info';
import { parseTemplateManifest, TEMPLATE_MANIFEST_FILE, type TemplateManifest } from './template-manifest';

export const REQUIRED_TEMPLATE_FILES = [
  'experiment.py',
  'plot.py',
  'prompt.json',
  'seed_ideas.json',
  'latex/template.tex',
] as const;

/**
 * A seed idea as a template's seed_ideas.json holds it: the ideation stage's Idea form, plus
 * whatever other fields an idea carries (e.g. "novel"), kept as they are. The preflight is more
 * lenient than the form (a score may be 7.5): it checks what a run needs, not what a model writes.
 */
export type SeedIdea = Idea & { [extra: string]: unknown };

export interface TemplatePrompt {
  system: string;
  taskDescription: string;
}

/**
 * Which of the durable-scientist runner conventions experiment.py follows. A template without
 * them still runs; it just cannot resume after a crash, report progress, or shrink for tests.
 */
export interface TemplateConventions {
  /** Has a fast mode: its code reads SCIENTIST_FAST, or template.json declares `fast`. */
  fastMode: boolean;
  /** Writes and resumes from <out_dir>/checkpoint.pt. */
  checkpoints: boolean;
  /** Prints SCIENTIST_PROGRESS lines. */
  progress: boolean;
}

export interface TemplateInfo {
  /** The folder's name, e.g. "grokking". */
  name: string;
  /** Absolute path of the folder. */
  dir: string;
  prompt: TemplatePrompt;
  seedIdeas: SeedIdea[];
  /** Pip requirement lines of requirements.txt (comments and blanks dropped); empty when absent. */
  requirements: string[];
  conventions: TemplateConventions;
  /** The `\bibliography{...}` database name(s) the LaTeX skeleton uses. */
  bibliography: string[];
  /** template.json, when the template has one. */
  manifest?: TemplateManifest;
  /** What the template lacks that a run can do without (e.g. no fast mode), one line each. */
  warnings: string[];
}

// Named from the Idea form, so renaming one of its fields breaks this check at compile time.
const SCORE_FIELDS = ['Interestingness', 'Feasibility', 'Novelty'] as const satisfies readonly (keyof Idea)[];
const TEXT_FIELDS = ['Name', 'Title', 'Experiment'] as const satisfies readonly (keyof Idea)[];

/**
 * Checks that `dir` is a usable template and returns what the system needs from it.
 * Throws InvalidInputError (non-retryable) naming every problem found.
 */
export async function validateTemplate(dir: string): Promise<TemplateInfo> {
  const given = path.resolve(dir);
  const name = path.basename(given);
  const problems: string[] = [];
  const fail = () =>
    new InvalidInputError(
      `template "${name}" (${given}) is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { details: { template: name, problems } },
    );

  // The folder itself may be a link (e.g. templates/x -> ~/work/x): it is the user's own choice,
  // so it is followed once, here; links inside the template are never followed.
  const abs = await realpath(given).catch(() => null);
  const st = abs === null ? null : await stat(abs).catch(() => null);
  if (abs === null || !st?.isDirectory()) {
    problems.push('the folder does not exist or is not a directory');
    throw fail();
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    problems.push(
      'the folder name must be letters, digits, "_", "-" or "." (it becomes part of workflow ids and keys)',
    );
  }

  const text: Partial<Record<(typeof REQUIRED_TEMPLATE_FILES)[number], string>> = {};
  for (const file of REQUIRED_TEMPLATE_FILES) {
    const content = await readRegularFile(path.join(abs, file));
    if (content === null) problems.push(`missing file ${file}`);
    else text[file] = content;
  }

  const prompt = text['prompt.json'] === undefined ? undefined : checkPrompt(text['prompt.json'], problems);
  const seedIdeas =
    text['seed_ideas.json'] === undefined ? [] : checkSeedIdeas(text['seed_ideas.json'], problems);
  // experiment.py and every module beside it: argparse often lives in a helper (config.py, args.py).
  const modules = await loadTemplateFiles(abs);
  const code = Object.entries(modules)
    .filter(([rel]) => rel.endsWith('.py') && rel !== 'plot.py')
    .map(([, body]) => body)
    .join('\n');
  if (text['experiment.py'] !== undefined) checkExperiment(code, problems);
  if (text['plot.py'] !== undefined && !/\S/.test(text['plot.py'])) problems.push('plot.py is empty');
  const bibliography =
    text['latex/template.tex'] === undefined
      ? []
      : await checkLatex(abs, text['latex/template.tex'], problems);

  const reqText = await readRegularFile(path.join(abs, 'requirements.txt'));
  const requirements = reqText === null ? [] : checkRequirements(reqText, problems);

  const manifestText = await readRegularFile(path.join(abs, TEMPLATE_MANIFEST_FILE));
  const manifest = manifestText === null ? undefined : parseTemplateManifest(manifestText, problems);
  if (manifest) await checkData(abs, manifest, problems);

  for (const run of await finalInfosIn(abs)) {
    try {
      parseFinalInfo(run.text, run.file);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }

  if (problems.length || !prompt) throw fail();
  const fastMode = code.includes('SCIENTIST_FAST') || manifest?.fast !== undefined;
  const warnings = fastMode
    ? []
    : [
        `template "${name}": fast mode does not apply (its code does not read SCIENTIST_FAST and it has no ${TEMPLATE_MANIFEST_FILE} "fast" entry); its runs use the template's own defaults`,
      ];
  return {
    name,
    dir: abs,
    prompt,
    seedIdeas,
    requirements,
    bibliography,
    ...(manifest ? { manifest } : {}),
    warnings,
    conventions: {
      fastMode,
      checkpoints: code.includes('checkpoint.pt'),
      progress: code.includes('SCIENTIST_PROGRESS'),
    },
  };
}

/**
 * The manifest's data folders: a shipped one must be a folder; one that is to be prepared
 * (`prepare`) and is missing or empty is reported with where the prepared data should go.
 */
async function checkData(dir: string, manifest: TemplateManifest, problems: string[]): Promise<void> {
  for (const d of manifest.data ?? []) {
    const where = path.join(dir, ...d.path.split('/'));
    const st = await lstat(where).catch(() => null);
    const entries = st?.isDirectory() ? await readdir(where) : [];
    if (st && !st.isDirectory()) problems.push(`${TEMPLATE_MANIFEST_FILE}: data "${d.path}" is not a folder`);
    else if (entries.length === 0)
      problems.push(
        d.prepare
          ? `data "${d.path}" must be downloaded or prepared first (${d.prepare}); put the prepared files in ${where}`
          : `${TEMPLATE_MANIFEST_FILE}: data folder "${d.path}" is missing or empty (expected at ${where})`,
      );
  }
}

function parseJson(text: string, file: string, problems: string[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    problems.push(`${file} is not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkPrompt(text: string, problems: string[]): TemplatePrompt | undefined {
  const json = parseJson(text, 'prompt.json', problems);
  if (json === undefined) return undefined;
  if (!isObject(json)) {
    problems.push('prompt.json must be an object {"system": ..., "task_description": ...}');
    return undefined;
  }
  const before = problems.length;
  for (const key of ['system', 'task_description']) {
    if (typeof json[key] !== 'string' || !/\S/.test(json[key])) {
      problems.push(`prompt.json: "${key}" must be a non-empty string`);
    }
  }
  if (problems.length > before) return undefined;
  return { system: json.system as string, taskDescription: json.task_description as string };
}

function checkSeedIdeas(text: string, problems: string[]): SeedIdea[] {
  const json = parseJson(text, 'seed_ideas.json', problems);
  if (json === undefined) return [];
  if (!Array.isArray(json) || json.length === 0) {
    problems.push('seed_ideas.json must be a non-empty array of ideas');
    return [];
  }
  const names = new Set<string>();
  json.forEach((idea: unknown, i) => {
    const where = `seed_ideas.json[${i}]`;
    if (!isObject(idea)) {
      problems.push(`${where} must be an object`);
      return;
    }
    for (const key of TEXT_FIELDS) {
      if (typeof idea[key] !== 'string' || !/\S/.test(idea[key]))
        problems.push(`${where}: "${key}" must be a non-empty string`);
    }
    for (const key of SCORE_FIELDS) {
      const v = idea[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 10) {
        problems.push(`${where}: "${key}" must be a number from 1 to 10`);
      }
    }
    if (typeof idea.Name === 'string') {
      if (names.has(idea.Name)) problems.push(`${where}: duplicate Name "${idea.Name}"`);
      names.add(idea.Name);
    }
  });
  return json as SeedIdea[];
}

/** `code`: experiment.py and the template's other modules (plot.py aside), joined. */
function checkExperiment(code: string, problems: string[]): void {
  // The runner passes --out_dir run_N; argparse must declare it (quoted, as add_argument does),
  // in experiment.py or in a module it imports.
  if (!/["']--out_dir["']/.test(code)) {
    problems.push(
      'experiment.py must accept --out_dir (e.g. parser.add_argument("--out_dir", type=str, default="run_0")); no module of the template declares it',
    );
  }
  if (!code.includes('final_info.json')) {
    problems.push(
      'experiment.py must write <out_dir>/final_info.json (no "final_info.json" in the code of any module)',
    );
  }
}

async function checkLatex(dir: string, tex: string, problems: string[]): Promise<string[]> {
  // Comments would hide or fake commands; strip them (an escaped \% is not a comment).
  const body = tex.replace(/(?<!\\)%.*$/gm, '');
  if (!/\\documentclass\b/.test(body)) problems.push('latex/template.tex has no \\documentclass');
  if (!/\\begin\{document\}/.test(body)) problems.push('latex/template.tex has no \\begin{document}');
  if (!/\\end\{document\}/.test(body)) problems.push('latex/template.tex has no \\end{document}');

  const bibs = [...body.matchAll(/\\bibliography\{([^}]*)\}/g)].flatMap((m) =>
    (m[1] ?? '').split(',').map((s) => s.trim().replace(/\.bib$/, '')),
  );
  const inline = /\\begin\{thebibliography\}/.test(body) || /\\printbibliography\b/.test(body);
  if (!bibs.length && !inline) {
    problems.push(
      'latex/template.tex has no bibliography (\\bibliography{references} with its .bib, or thebibliography)',
    );
  }
  const embedded = new Set(
    [...body.matchAll(/\\begin\{filecontents\*?\}(?:\[[^\]]*\])?\{([^}]*)\}/g)].map((m) =>
      (m[1] ?? '').trim().replace(/\.bib$/, ''),
    ),
  );
  for (const bib of bibs) {
    if (embedded.has(bib)) continue;
    if ((await readRegularFile(path.join(dir, 'latex', `${bib}.bib`))) === null) {
      problems.push(
        `latex/template.tex cites from ${bib}.bib, which is neither embedded (filecontents) nor in latex/`,
      );
    }
  }
  return bibs;
}

/** The requirement lines of requirements.txt; a line that is not a plain requirement is a problem. */
export function checkRequirements(text: string, problems: string[]): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
  for (const line of lines) {
    // The derived image is built from the configured registry only: no options, URLs or paths.
    if (line.startsWith('-') || line.includes('://') || /^[./~]/.test(line) || line.includes(' @ ')) {
      problems.push(
        `requirements.txt: "${line}" is not a plain requirement (name and version specifier only)`,
      );
    } else if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?\s*([<>=!~]=?[^;]*)?(;.*)?$/.test(line)) {
      problems.push(`requirements.txt: cannot read "${line}" as a requirement`);
    }
  }
  return lines;
}

async function finalInfosIn(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^run_\d+$/.test(entry.name)) continue;
    const file = `${entry.name}/final_info.json`;
    const text = await readRegularFile(path.join(dir, file));
    if (text !== null) out.push({ file, text });
  }
  return out;
}

/** The contents of a regular file (never through a link), or null when there is none. */
async function readRegularFile(file: string): Promise<string | null> {
  const st = await lstat(file).catch(() => null);
  if (!st?.isFile()) return null;
  return readFile(file, 'utf8');
}

/** Files an editor needs to see (and validation reads): code and notes, never data, figures, runs or the paper. */
export const EDITABLE_NAME = /\.py$|^notes\.(txt|md)$/;
const SKIP_DIRS = /^(data|latex|run_\d+|__pycache__|node_modules)$|^\./;
/** Larger files are data in disguise; an LLM cannot usefully edit them. */
export const MAX_EDITABLE_FILE_BYTES = 256 * 1024;

/**
 * The code files of a template that an LLM edits (experiment.py, plot.py, helper modules,
 * notes), as relative path → contents, in path order. Skips data/, latex/, run_* folders,
 * hidden entries, links, binary files and files over MAX_EDITABLE_FILE_BYTES.
 */
export async function loadTemplateFiles(dir: string): Promise<Record<string, string>> {
  const root = path.resolve(dir);
  const files: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.test(e.name)) await walk(relPath);
      } else if (e.isFile() && EDITABLE_NAME.test(e.name)) {
        const full = path.join(root, relPath);
        if ((await lstat(full)).size > MAX_EDITABLE_FILE_BYTES) continue;
        const buf = await readFile(full);
        if (buf.includes(0)) continue; // binary
        files[relPath] = buf.toString('utf8');
      }
    }
  };
  await walk('');
  return files;
}
