/**
 * Compiles a paper in the LaTeX sandbox. The LaTeX comes from a model, so it is untrusted input:
 * it runs in its own container (no network, read-only root, non-root, tight limits, killed at
 * the time limit) with shell escape off and TeX's file access limited to the paper folder
 * (kpathsea's paranoid openin_any/openout_any: no absolute paths, no `..`, no hidden files).
 * Sequence: chktex, pdflatex, bibtex (when the document has a bibliography), pdflatex twice,
 * pdftotext. Errors from every tool come back structured, for the model to fix.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../lib/config';
import { InvalidInputError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import {
  createHostFolder,
  removeHostFolder,
  sandboxError,
  sandboxLimits,
  SandboxCancelledError,
  type SandboxResult,
  type SandboxRunner,
} from '../../sandbox';
import { latexImage } from '../../sandbox/images';
import { CHKTEX_FORMAT, parseBibtexLog, parseChktex, parseTexLog } from './logs';
import { precheckPaper } from './precheck';
import type {
  CompileIssue,
  CompileLatexInput,
  CompileLatexResult,
  CompileStep,
  CompileWarnings,
} from './types';

const MB = 1024 * 1024;
const MAX_FILES = 500;
/** Caps on the lists that travel in workflow history; the full lists are in result.json. */
export const RESULT_CAPS = { errors: 10, prechecks: 25, names: 20, bibtexWarnings: 10 } as const;
// Path segments a paper may use: no hidden files (TeX's paranoid mode cannot open them anyway),
// no `..`, nothing absolute.
const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(\/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$/;
// chktex warnings left out as noise, as the AI Scientist does (1 command terminated with space,
// 2 non-breaking space before \ref/\cite, 13 intersentence spacing, 24 space before \label)
// plus 8 (dash lengths), 36 (space before parenthesis), 44 (vertical rules in tables).
const CHKTEX_SILENCED = [1, 2, 8, 13, 24, 36, 44];

/**
 * kpathsea settings for every TeX tool in the container (they override texmf.cnf): paranoid file
 * access, no shell escape even if asked, and long log lines so that errors are not wrapped at
 * 79 columns and parse reliably. The image sets the first three too; a custom image may not.
 */
export const TEX_ENV: Record<string, string> = {
  openin_any: 'p',
  openout_any: 'p',
  shell_escape: 'f',
  max_print_line: '10000',
  error_line: '254',
  half_error_line: '238',
};

/**
 * The compile script, run by `sh -c` (never from a file in the paper folder, which TeX could
 * write to). $1 = the main file's base name, the rest = the .tex files for chktex. Step exit
 * codes go to `.ds-steps`, a hidden file that TeX in paranoid mode cannot forge.
 */
const SCRIPT = `
m=$1; shift
rec() { echo "$1 $2" >> .ds-steps; }
echo "::: chktex"
chktex -q -I0 ${CHKTEX_SILENCED.map((n) => `-n${n}`).join(' ')} -f '${CHKTEX_FORMAT}' "$@" > .ds-chktex 2>/dev/null; rec chktex $?
tex() {
  echo "::: $1"
  pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error -file-line-error "$m.tex" </dev/null
  r=$?; rec "$1" $r; return $r
}
ok=0
if tex pdflatex-1; then
  if grep -q '^\\\\bibdata' "$m.aux" 2>/dev/null; then echo "::: bibtex"; bibtex "$m"; rec bibtex $?; fi
  tex pdflatex-2 && tex pdflatex-3 && ok=1
fi
if [ $ok = 1 ] && [ -f "$m.pdf" ]; then
  echo "::: pdftotext"
  pdftotext -enc UTF-8 "$m.pdf" .ds-text; rec pdftotext $?
  pdfinfo "$m.pdf" > .ds-pdfinfo 2>&1
  exit 0
fi
rm -f "$m.pdf"
exit 1
`;

export interface CompileDeps {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  log: Logger;
}

export interface CompileOptions {
  /** Names the container; a retry with the same attempt replaces its predecessor. */
  attempt?: number;
  /** Aborting kills the container. */
  signal?: AbortSignal;
}

/** The root document: the given one, else the only .tex with \documentclass (template.tex if several). */
export function findMainFile(files: ReadonlyMap<string, string | Buffer>, requested?: string): string {
  if (requested !== undefined) {
    if (!files.has(requested))
      throw new InvalidInputError(`main file ${requested} is not among the paper's files`);
    if (requested.includes('/') || !requested.endsWith('.tex')) {
      throw new InvalidInputError(
        `main file ${requested} must be a .tex file at the top of the paper folder`,
      );
    }
    return requested;
  }
  const roots = [...files]
    .filter(
      ([f, c]) => !f.includes('/') && f.endsWith('.tex') && /^[^%\n]*\\documentclass/m.test(c.toString()),
    )
    .map(([f]) => f);
  if (roots.length === 1 && roots[0]) return roots[0];
  if (roots.includes('template.tex')) return 'template.tex';
  throw new InvalidInputError(
    roots.length
      ? `several top-level .tex files have \\documentclass (${roots.join(', ')}); name the main one`
      : 'no top-level .tex file has \\documentclass; the paper needs a main document',
  );
}

function checkInput(input: CompileLatexInput): void {
  if (!Number.isInteger(input.round) || input.round < 0)
    throw new InvalidInputError(`round must be a whole number ≥ 0, got ${input.round}`);
  if (input.variant !== undefined && !/^[a-z0-9-]{1,40}$/.test(input.variant))
    throw new InvalidInputError(
      `variant must be lowercase letters, digits and -, got ${JSON.stringify(input.variant)}`,
    );
  const paths = Object.keys(input.files);
  if (!paths.length) throw new InvalidInputError('no files to compile');
  if (paths.length > MAX_FILES)
    throw new InvalidInputError(`${paths.length} files; a paper may have at most ${MAX_FILES}`);
  for (const p of paths) {
    if (!SAFE_PATH.test(p) || p.split('/').includes('..')) {
      throw new InvalidInputError(
        `unsafe paper file path ${JSON.stringify(p)}: use relative paths of letters, digits, _ . + - (no hidden files, no ..)`,
      );
    }
  }
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

/** What a sandbox limit means for a document, said so a writing model can act on it. */
function limitIssue(result: SandboxResult): CompileIssue | undefined {
  const seconds = Math.round(result.limits.timeoutMs / 1000);
  const message: Partial<Record<SandboxResult['outcome'], string>> = {
    timeout: `compilation did not finish within ${seconds} s and was killed: look for a runaway \\loop or \\repeat, a macro that calls itself, or an \\input cycle`,
    'output-cap':
      'compilation printed too much and was killed: a loop is writing \\message or \\typeout output without end',
    oom: `compilation used more than ${result.limits.memoryMB} MB of memory and was killed: look for huge images or runaway macros`,
    disk: 'compilation filled its disk space: a loop is writing to a file without end, or the figures are far too large',
    pids: 'compilation started too many processes and was stopped',
    stalled:
      "compilation was ended: the container's init process stopped or went away while the container stayed up",
  };
  const text = message[result.outcome];
  return text ? { source: 'sandbox', kind: result.outcome, message: text } : undefined;
}

function stepsOf(text: string): Partial<Record<CompileStep, number>> {
  const steps: Partial<Record<CompileStep, number>> = {};
  for (const line of text.split('\n')) {
    const m = /^(chktex|pdflatex-[123]|bibtex|pdftotext) (\d+)$/.exec(line.trim());
    if (m) steps[m[1] as CompileStep] = Number(m[2]);
  }
  return steps;
}

// Pre-check findings before style warnings: a missing figure matters more than a spacing nit.
function byWeight(a: CompileIssue, b: CompileIssue): number {
  return Number(a.source === 'chktex') - Number(b.source === 'chktex');
}

/**
 * Compiles one round of a paper: fetches its files, runs the pre-checks, compiles in the LaTeX
 * sandbox, stores the PDF, its text, the transcript and the full result under
 * papers/<paperId>/latex/round-<round>/, and returns a small summary for workflow history.
 * A document that fails to compile (or loops until the time limit) is a normal result with
 * `ok: false` and structured errors; only a cancelled run or a broken engine throws.
 */
export async function compileLatex(
  deps: CompileDeps,
  input: CompileLatexInput,
  options: CompileOptions = {},
): Promise<CompileLatexResult> {
  const { config, store, sandbox, log } = deps;
  checkInput(input);
  const round = `round-${input.round}${input.variant ? `-${input.variant}` : ''}`;
  const key = (name: string) => keys.paper(input.paperId, 'latex', round, name);
  // Private to the worker (0700, not in /tmp): nobody else can plant a link for root to follow.
  const work = await createHostFolder(path.join(config.dataDir, 'latex'), 'ds-latex-');
  try {
    const contents = new Map<string, Buffer>();
    for (const [rel, artifactKey] of Object.entries(input.files)) {
      const body = await store.get(artifactKey);
      contents.set(rel, body);
      await mkdir(path.dirname(path.join(work, rel)), { recursive: true });
      await writeFile(path.join(work, rel), body);
    }
    const mainFile = findMainFile(contents, input.mainFile);
    const base = mainFile.slice(0, -'.tex'.length);
    const texFiles = [...contents.keys()].filter((f) => f.endsWith('.tex'));
    const prechecks = precheckPaper(contents, mainFile);

    const limits = sandboxLimits(config, {
      timeoutMs: config.latex.timeoutMs,
      memoryMB: config.latex.memoryMB,
      cpus: Math.min(config.sandbox.cpus, 1), // pdflatex is single-threaded
      pidsLimit: 64,
      tmpMB: 256,
      workMB: config.sandbox.workMB === 0 ? 0 : Math.min(config.sandbox.workMB, 512),
      outputCapBytes: 8 * MB,
      collectBytes: 128 * MB,
    });
    const result = await sandbox.run({
      runId: `latex-${input.paperId}-r${input.round}${input.variant ? `-${input.variant}` : ''}-a${options.attempt ?? 1}`,
      image: latexImage(config),
      command: ['sh', '-c', SCRIPT, 'compile', base, ...texFiles],
      workDir: work,
      env: TEX_ENV,
      limits,
      runtime: config.sandbox.runtime,
      signal: options.signal,
    });
    if (result.outcome === 'cancelled') throw sandboxError(result) ?? new SandboxCancelledError(result);

    const read = (name: string) => readIfPresent(path.join(work, name));
    const texLog = (await read(`${base}.log`))?.toString('utf8') ?? '';
    const blg = (await read(`${base}.blg`))?.toString('utf8');
    const tex = parseTexLog(texLog, mainFile);
    const bib = blg === undefined ? undefined : parseBibtexLog(blg);
    const steps = stepsOf((await read('.ds-steps'))?.toString('utf8') ?? '');
    const chktex = parseChktex((await read('.ds-chktex'))?.toString('utf8') ?? '');
    const pdf = result.outcome === 'ok' ? await read(`${base}.pdf`) : undefined;
    const text = pdf ? await read('.ds-text') : undefined;
    const pageCount = Number(
      /^Pages:\s+(\d+)/m.exec((await read('.ds-pdfinfo'))?.toString('utf8') ?? '')?.[1] ?? 0,
    );

    const errors: CompileIssue[] = [...tex.errors, ...(bib?.errors ?? [])];
    const limit = limitIssue(result);
    if (limit) errors.unshift(limit);
    if (result.outcome === 'ok' && !pdf && result.skipped.includes(`${base}.pdf`)) {
      errors.push({
        source: 'sandbox',
        kind: 'pdf-too-large',
        message: `the PDF is larger than ${Math.round(limits.collectBytes / MB)} MB: use smaller or compressed figures`,
      });
    }
    if (!pdf && !errors.length) {
      errors.push({
        source: 'pdflatex',
        kind: 'no-pdf',
        message: `no PDF was produced (steps: ${JSON.stringify(steps)}); see the log`,
      });
    }
    const citations = new Map(tex.warnings.undefinedCitations.map((c) => [c.key, c]));
    for (const k of bib?.missingEntries ?? []) if (!citations.has(k)) citations.set(k, { key: k });
    const warnings: CompileWarnings = {
      ...tex.warnings,
      undefinedCitations: [...citations.values()],
      bibtex: bib?.warnings ?? [],
    };
    const allPrechecks = [...prechecks, ...chktex].sort(byWeight);

    const [pdfKey, textKey, logKey] = await Promise.all([
      pdf
        ? store.put(key('paper.pdf'), pdf, { contentType: 'application/pdf' }).then((o) => o.key)
        : undefined,
      text
        ? store.put(key('paper.txt'), text, { contentType: 'text/plain; charset=utf-8' }).then((o) => o.key)
        : undefined,
      store
        .put(key('compile.log'), result.log, { contentType: 'text/plain; charset=utf-8' })
        .then((o) => o.key),
      texLog
        ? store.put(key(`${base}.log`), texLog, { contentType: 'text/plain; charset=utf-8' })
        : undefined,
      blg !== undefined
        ? store.put(key(`${base}.blg`), blg, { contentType: 'text/plain; charset=utf-8' })
        : undefined,
    ]);
    const full: CompileLatexResult = {
      ok: result.outcome === 'ok' && pdf !== undefined,
      outcome: result.outcome,
      mainFile,
      ...(pdfKey ? { pdfKey } : {}),
      ...(textKey ? { textKey } : {}),
      logKey: logKey ?? key('compile.log'),
      resultKey: key('result.json'),
      pageCount,
      steps,
      errors,
      prechecks: allPrechecks,
      warnings,
      truncated: { errors: 0, prechecks: 0 },
      durationMs: result.durationMs,
    };
    await store.putJson(full.resultKey, { ...full, shellEscapesRefused: tex.shellEscapesRefused });
    log.info('paper compiled', {
      paperId: input.paperId,
      round: input.round,
      ok: full.ok,
      outcome: result.outcome,
      pages: pageCount,
      errors: errors.length,
      prechecks: allPrechecks.length,
      ms: result.durationMs,
    });
    return capResult(full);
  } finally {
    await removeHostFolder(work);
  }
}

/** The result with its lists capped, small enough for workflow history. */
export function capResult(full: CompileLatexResult): CompileLatexResult {
  const w = full.warnings;
  return {
    ...full,
    errors: full.errors.slice(0, RESULT_CAPS.errors).map(shorten),
    prechecks: full.prechecks.slice(0, RESULT_CAPS.prechecks).map(shorten),
    warnings: {
      ...w,
      undefinedCitations: w.undefinedCitations.slice(0, RESULT_CAPS.names),
      undefinedReferences: w.undefinedReferences.slice(0, RESULT_CAPS.names),
      multiplyDefinedLabels: w.multiplyDefinedLabels.slice(0, RESULT_CAPS.names),
      bibtex: w.bibtex.slice(0, RESULT_CAPS.bibtexWarnings),
    },
    truncated: {
      errors: Math.max(0, full.errors.length - RESULT_CAPS.errors),
      prechecks: Math.max(0, full.prechecks.length - RESULT_CAPS.prechecks),
    },
  };
}

function shorten(issue: CompileIssue): CompileIssue {
  return {
    ...issue,
    message: issue.message.slice(0, 300),
    ...(issue.context ? { context: issue.context.slice(0, 300) } : {}),
  };
}
