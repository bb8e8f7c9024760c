/**
 * Runs plot.py over every run's results in a CPU sandbox and stores the figures it wrote. The
 * host folder is private to the worker (0700 under the data dir, fresh per run, removed after),
 * and what comes back is the run's: a figure is kept only when it is a regular file at the top
 * of the folder whose name can be an artifact key and a LaTeX figure path, at most PLOT_CAPS.figures
 * of them. Everything else is skipped and reported (stderr tail, stored log, worker log), never
 * thrown: an odd output is the plot code's fault, not the paper's.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import {
  createHostFolder,
  removeHostFolder,
  sandboxImage,
  sandboxLimits,
  type SandboxResult,
  type SandboxRunner,
} from '../../sandbox';
import { loadWorkspace } from '../workspace';

export interface RunPlotDeps {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  log: Logger;
}

export interface RunPlotInput {
  paperId: string;
  /** The plot attempt (0 = the template's own plot.py); names the stored figures' log folder. */
  attempt: number;
  /** Workspace key: plot.py and the runs' results (run_N/…). */
  workspace: string;
}

export interface RunPlotOptions {
  /** The activity's try number: names the container, so a retry replaces its predecessor. */
  tryNumber?: number;
  /** Aborting kills the container. */
  signal?: AbortSignal;
}

export interface RunPlotResult {
  ok: boolean;
  figureKeys: string[];
  /** Why it failed, or what was skipped when it worked; at most PLOT_CAPS.tailChars. */
  stderrTail: string;
}

export const PLOT_CAPS = {
  /** Figures stored at most: the first ones by name (code-point order); the rest are reported. */
  figures: 50,
  /** Characters of a figure's name, `.png` included. */
  nameChars: 100,
  /** Skipped items listed by name at most (fewer when their lines pass tailChars); the rest are counted. */
  listed: 20,
  /** Characters of the returned stderr tail. */
  tailChars: 1500,
} as const;

const PLOT_TIMEOUT_MS = 5 * 60_000;
/**
 * A figure name both the store (lib/store/keys.ts: letters, digits, `._=-`, no `..`) and the
 * write-up (LaTeX figure paths: letters, digits, `_.+-`) accept: the two rules' common part.
 */
const FIGURE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.png$/;

interface Skipped {
  name: string;
  why: string;
}

/** Runs plot.py in the sandbox and stores the figures; see the module comment. */
export async function runPlot(
  deps: RunPlotDeps,
  input: RunPlotInput,
  options: RunPlotOptions = {},
): Promise<RunPlotResult> {
  const { config, store, sandbox, log } = deps;
  const files = await loadWorkspace(store, input.workspace, (p) => p === 'plot.py' || /^run_\d+\//.test(p));
  // Private to the worker (0700, not in /tmp): nobody can plant a link for root to read through.
  const work = await createHostFolder(path.join(config.dataDir, 'plots'), 'ds-plot-');
  try {
    for (const [rel, body] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(work, rel)), { recursive: true });
      await writeFile(path.join(work, rel), body);
    }
    const result = await sandbox.run({
      runId: `${input.paperId}-plot-${input.attempt}-${options.tryNumber ?? 1}`,
      image: sandboxImage(config),
      command: ['python3', 'plot.py'],
      workDir: work,
      limits: sandboxLimits(config, {
        timeoutMs: PLOT_TIMEOUT_MS,
        memoryMB: Math.min(config.sandbox.memoryMB, 2048),
      }),
      signal: options.signal,
    });
    const logKey = keys.paper(input.paperId, 'plots', `attempt-${input.attempt}`, 'plot.log');
    if (result.outcome !== 'ok') {
      await store.put(logKey, result.log);
      return failed(`plot.py ended "${result.outcome}"`, result.stderrTail);
    }

    const { figures, skipped } = await pickFigures(work, result);
    const figureKeys: string[] = [];
    for (const f of figures) {
      const body = await readRegularFile(path.join(work, f));
      if (!body) {
        skipped.push({ name: f, why: 'it is not a regular file' });
        continue;
      }
      figureKeys.push((await store.put(keys.paper(input.paperId, 'plots', f), body)).key);
    }
    const note = skippedNote(skipped);
    await store.put(logKey, note ? `${result.log}\n${note}\n` : result.log);
    const tail = note.slice(0, PLOT_CAPS.tailChars);
    if (note)
      log.warn('plot figures skipped', {
        paperId: input.paperId,
        attempt: input.attempt,
        kept: figureKeys.length,
        skipped: skipped.length,
      });
    if (!figureKeys.length) return failed('plot.py wrote no .png file that can be kept', tail);
    return { ok: true, figureKeys, stderrTail: tail };
  } finally {
    await removeHostFolder(work);
  }
}

function failed(why: string, tail: string): RunPlotResult {
  return { ok: false, figureKeys: [], stderrTail: `${why}\n${tail.slice(-PLOT_CAPS.tailChars)}` };
}

/**
 * The figures to keep (first PLOT_CAPS.figures by name) and the .png entries that are not kept,
 * with why. The runner copied back regular files and folders only; links and special files it
 * left in the sandbox are in `result.skipped`.
 */
async function pickFigures(
  work: string,
  result: SandboxResult,
): Promise<{ figures: string[]; skipped: Skipped[] }> {
  const skipped: Skipped[] = result.skipped
    .filter((p) => !p.includes('/') && p.endsWith('.png'))
    .map((name) => ({
      name,
      why: 'it was not copied back from /work (a link, special file or over a limit: plot.log says which)',
    }));
  const good: string[] = [];
  for (const e of await readdir(work, { withFileTypes: true })) {
    if (!e.name.endsWith('.png')) continue;
    if (!e.isFile())
      skipped.push({ name: e.name, why: e.isDirectory() ? 'it is a folder' : 'it is not a file' });
    else if (!FIGURE_NAME.test(e.name) || e.name.includes('..') || e.name.length > PLOT_CAPS.nameChars)
      skipped.push({
        name: e.name,
        why: `its name is not a figure name (letters, digits, _ . - only, starting with a letter or digit, at most ${PLOT_CAPS.nameChars} characters)`,
      });
    else good.push(e.name);
  }
  good.sort();
  for (const name of good.slice(PLOT_CAPS.figures))
    skipped.push({ name, why: `over the ${PLOT_CAPS.figures}-figure limit (the first by name are kept)` });
  return { figures: good.slice(0, PLOT_CAPS.figures), skipped };
}

/** The bytes of a regular file, opened without following a link; null when it is anything else. */
async function readRegularFile(file: string): Promise<Buffer | null> {
  if (!(await lstat(file).catch(() => null))?.isFile()) return null;
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => null,
  );
  if (!fh) return null;
  try {
    if (!(await fh.stat()).isFile()) return null;
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * What was not kept, for the model and the log: as many entries as fit in PLOT_CAPS.tailChars
 * (names cut at 60 characters), at most PLOT_CAPS.listed, then a count of the rest.
 */
function skippedNote(skipped: Skipped[]): string {
  if (!skipped.length) return '';
  const head = `[plots: ${skipped.length} .png item(s) were not kept as figures]`;
  const lines: string[] = [];
  let chars = head.length;
  for (const s of skipped.slice(0, PLOT_CAPS.listed)) {
    const name = s.name.length > 60 ? `${s.name.slice(0, 60)}…` : s.name;
    const line = `  ${JSON.stringify(name)}: ${s.why}`;
    if (chars + line.length + 1 > PLOT_CAPS.tailChars - 40) break;
    lines.push(line);
    chars += line.length + 1;
  }
  const more = skipped.length - lines.length;
  if (more > 0) lines.push(`  … and ${more} more`);
  return [head, ...lines].join('\n');
}
