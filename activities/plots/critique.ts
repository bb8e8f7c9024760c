/**
 * The figure critique: a model that takes images looks at each figure plot.py made, with the
 * caption the paper will print under it and a summary of the run data the figures are drawn
 * from, and says whether it is legible, labelled, with a legend that names the runs, and whether
 * it shows what the caption claims. Its fixes go back into the plot-fix loop; its report goes to
 * the reviewers with the paper. A review model that takes no images skips it and says so.
 *
 * Figures are bytes a sandboxed script wrote: each is checked (size, PNG signature, a sane IHDR)
 * before it is sent, and the run data is a bounded summary, never whole files.
 */
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../../lib/config';
import { keys, type ArtifactStore } from '../../lib/store';
import { addSpend, type FigureCritiqueSummary, NO_SPEND, type Spend } from '../../contracts';
import { roleImageSupport } from '../llm/roles';
import type { Ask } from '../research/ask';
import { parsePythonJson } from '../experiments';
import { loadWorkspace, type WorkspaceFiles } from '../workspace';
import { CAPTIONS_FILE } from '../writeup/figures';
import { figureCritiquePrompt } from './prompts';

export const CRITIQUE_CAPS = {
  /** Figures shown to the model, the first by name (each one call). */
  figures: 8,
  /** Bytes of one figure: Anthropic takes at most 5 MB of base64, which is 3.75 MB of bytes. */
  imageBytes: 3 * 1024 * 1024,
  /** Pixels on a side (Anthropic refuses images over 8000). */
  side: 8000,
  /** Characters of the run-data summary. */
  dataChars: 6000,
  /** Characters of one run's final_info.json in the summary. */
  finalInfoChars: 1200,
  /** Characters of plot.py shown (what each figure draws). */
  plotChars: 8000,
  /** Characters of the feedback for the next plot.py edit. */
  feedbackChars: 2000,
} as const;

/** The model's critique of one figure. */
export const FigureCritique = z.object({
  legibility: z.string().max(400),
  labelsAndLegend: z.string().max(400),
  matchesCaption: z.boolean(),
  captionCheck: z.string().max(400),
  fixes: z.array(z.string().max(300)).max(6),
  verdict: z.enum(['ok', 'needs-fix']),
});
export type FigureCritique = z.infer<typeof FigureCritique>;

/** One figure in the stored report. */
export interface CritiquedFigure {
  file: string;
  figureKey: string;
  caption: string;
  /** Why the figure was not shown to the model (not a PNG, too large, over the limit). */
  notSent?: string;
  critique?: FigureCritique;
  /** The model's reply did not match the form (what was wrong). */
  invalid?: string;
}

/** The report at `critiqueKey`. */
export interface FigureCritiqueReport {
  model: string;
  attempt: number;
  figures: CritiquedFigure[];
  dataSummary: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Whether bytes are a PNG we may send: at most CRITIQUE_CAPS.imageBytes, the PNG signature, an
 * IHDR chunk first with a width and height from 1 to CRITIQUE_CAPS.side.
 */
export function checkFigureBytes(
  bytes: Buffer,
): { ok: true; width: number; height: number } | { ok: false; why: string } {
  if (bytes.length > CRITIQUE_CAPS.imageBytes)
    return { ok: false, why: `${bytes.length} bytes, over the ${CRITIQUE_CAPS.imageBytes}-byte limit` };
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE))
    return { ok: false, why: 'not a PNG (no PNG signature)' };
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR')
    return { ok: false, why: 'not a PNG (no IHDR chunk first)' };
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width < 1 || height < 1 || width > CRITIQUE_CAPS.side || height > CRITIQUE_CAPS.side)
    return { ok: false, why: `${width}×${height} pixels (each side must be 1 to ${CRITIQUE_CAPS.side})` };
  return { ok: true, width, height };
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)} …(cut)` : text);

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const NPY_NUMERIC: Record<string, { bytes: number; read: (b: Buffer, at: number) => number }> = {
  '<f8': { bytes: 8, read: (b, at) => b.readDoubleLE(at) },
  '<f4': { bytes: 4, read: (b, at) => b.readFloatLE(at) },
  '<i8': { bytes: 8, read: (b, at) => Number(b.readBigInt64LE(at)) },
  '<i4': { bytes: 4, read: (b, at) => b.readInt32LE(at) },
};

/**
 * One .npy file in words: its dtype and shape from the header, and for a plain numeric array
 * its first, last, smallest and largest value. A pickled object (what np.save makes of a dict)
 * is never unpickled on the host: its header says so, and final_info.json has its numbers.
 */
export function describeNpy(bytes: Buffer): string {
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(NPY_MAGIC)) return 'not a .npy file';
  const major = bytes[6]!;
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (headerLen > 4096 || start + headerLen > bytes.length) return 'a .npy file with a malformed header';
  const header = bytes.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '?';
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  const fortran = /'fortran_order':\s*True/.test(header);
  if (descr.includes('O')) return `a pickled Python object (dtype ${descr}), not read on the host`;
  const kind = NPY_NUMERIC[descr];
  const count = shape.reduce((a, b) => a * b, 1);
  const dataAt = start + headerLen;
  const what = `dtype ${descr}, shape (${shape.join(', ')})`;
  if (!kind || fortran || dataAt + count * kind.bytes > bytes.length || count === 0) return what;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = kind.read(bytes, dataAt + i * kind.bytes);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const first = kind.read(bytes, dataAt);
  const last = kind.read(bytes, dataAt + (count - 1) * kind.bytes);
  const g = (v: number) => Number(v.toPrecision(5));
  return `${what}: first ${g(first)}, last ${g(last)}, min ${g(min)}, max ${g(max)}`;
}

/**
 * What the figures are drawn from, bounded: per run, its final_info.json (compact, cut at
 * CRITIQUE_CAPS.finalInfoChars) and its other files by name and size, .npy files by dtype and
 * shape (numeric arrays with their range); the whole cut at CRITIQUE_CAPS.dataChars.
 */
export function runDataSummary(files: WorkspaceFiles, runNames: string[]): string {
  const lines: string[] = [];
  for (const run of runNames) {
    const own = Object.keys(files)
      .filter((p) => p.startsWith(`${run}/`))
      .sort();
    lines.push(`${run}:`);
    if (!own.length) lines.push('  (no files)');
    for (const p of own) {
      const bytes = files[p]!;
      const rel = p.slice(run.length + 1);
      if (rel === 'final_info.json') {
        let text = bytes.toString('utf8');
        try {
          text = JSON.stringify(parsePythonJson(text));
        } catch {
          text = text.replace(/\s+/g, ' ');
        }
        lines.push(`  final_info.json: ${cut(text, CRITIQUE_CAPS.finalInfoChars)}`);
      } else if (rel.endsWith('.npy')) lines.push(`  ${rel} (${bytes.length} bytes): ${describeNpy(bytes)}`);
      else lines.push(`  ${rel} (${bytes.length} bytes)`);
    }
  }
  return cut(lines.join('\n'), CRITIQUE_CAPS.dataChars);
}

/** The report as the reviewers and the plot-fix prompt read it. */
export function critiqueText(report: FigureCritiqueReport): string {
  return report.figures
    .map((f) => {
      if (f.notSent) return `${f.file}: not shown to the model: ${f.notSent}.`;
      if (!f.critique) return `${f.file}: no usable critique (${f.invalid ?? 'no reply'}).`;
      const c = f.critique;
      return [
        `${f.file} (${c.verdict}): legibility: ${c.legibility} Labels and legend: ${c.labelsAndLegend}`,
        `  Caption "${cut(f.caption, 200)}": ${c.matchesCaption ? 'shown by the figure' : 'NOT what the figure shows'}. ${c.captionCheck}`,
        ...(c.fixes.length ? [`  Fixes: ${c.fixes.join('; ')}`] : []),
      ].join('\n');
    })
    .join('\n');
}

/** A figure the plot stage must fix: the model said so, or its bytes could not be shown. */
const needsFix = (f: CritiquedFigure) =>
  f.critique?.verdict === 'needs-fix' ||
  f.critique?.matchesCaption === false ||
  (f.notSent !== undefined && !f.notSent.startsWith('over the'));

export interface CritiqueDeps {
  config: Config;
  store: ArtifactStore;
  ask: Ask;
}

export interface CritiqueInput {
  paperId: string;
  attempt: number;
  workspace: string;
  figureKeys: string[];
  runNames: string[];
}

/**
 * Critiques every figure (the first CRITIQUE_CAPS.figures by name) with the review role's model,
 * one call each; stores the report at papers/<id>/plots/critique-<attempt>.json. Skipped, with
 * no call, when that model takes no images.
 */
export async function critiqueFigures(
  { config, store, ask }: CritiqueDeps,
  { paperId, attempt, workspace, figureKeys, runNames }: CritiqueInput,
): Promise<FigureCritiqueSummary & { spend: Spend; feedback?: string; transcriptKey?: string }> {
  const role = 'review' as const;
  const support = roleImageSupport(config, role);
  if (!support.images)
    return {
      status: 'skipped',
      note: `figure critique skipped: ${support.model} takes no images`,
      needsFix: 0,
      critiqued: 0,
      spend: NO_SPEND,
    };
  const runSet = new Set(runNames);
  const files = await loadWorkspace(
    store,
    workspace,
    (p) => p === 'plot.py' || p === CAPTIONS_FILE || runSet.has(p.split('/')[0]!),
  );
  let captions: Record<string, string> = {};
  try {
    captions = JSON.parse(files[CAPTIONS_FILE]?.toString() ?? '{}') as Record<string, string>;
  } catch {
    captions = {};
  }
  const dataSummary = runDataSummary(files, runNames);
  const plotPy = cut(files['plot.py']?.toString() ?? '', CRITIQUE_CAPS.plotChars);
  const base = keys.paper(paperId, 'plots', `critique-${attempt}`);
  const figures: CritiquedFigure[] = [];
  let spend = NO_SPEND;
  let firstTranscript: string | undefined;
  for (const [i, figureKey] of figureKeys.entries()) {
    const file = path.basename(figureKey);
    const caption = captions[file] ?? '';
    const entry: CritiquedFigure = { file, figureKey, caption };
    figures.push(entry);
    if (i >= CRITIQUE_CAPS.figures) {
      entry.notSent = `over the ${CRITIQUE_CAPS.figures}-figure limit of the critique (the first by name are shown)`;
      continue;
    }
    const bytes = await store.get(figureKey);
    const check = checkFigureBytes(bytes);
    if (!check.ok) {
      entry.notSent = check.why;
      continue;
    }
    const transcriptKey = `${base}/${file.replace(/\.png$/, '')}.json`;
    firstTranscript ??= transcriptKey;
    const res = await ask({
      role,
      transcriptKey,
      ...figureCritiquePrompt({
        file,
        width: check.width,
        height: check.height,
        caption,
        plotPy,
        dataSummary,
      }),
      schema: FigureCritique,
      images: [{ mediaType: 'image/png', base64: bytes.toString('base64') }],
    });
    spend = addSpend(spend, res.spend);
    if (res.ok) entry.critique = res.parsed;
    else entry.invalid = res.problem.slice(0, 300);
  }
  const report: FigureCritiqueReport = { model: support.model, attempt, figures, dataSummary };
  const critiqueKey = (await store.putJson(`${base}.json`, report)).key;
  const critiqued = figures.filter((f) => f.critique).length;
  const toFix = figures.filter(needsFix);
  const feedback = toFix.length
    ? cut(
        `A vision model (${support.model}) looked at each figure with its caption and the run data, and found what to fix:\n${critiqueText({ ...report, figures: toFix })}\nFix these in plot.py.`,
        CRITIQUE_CAPS.feedbackChars,
      )
    : undefined;
  return {
    status: 'critiqued',
    note: `figure critique by ${support.model}: ${critiqued} of ${figures.length} figure(s) critiqued, ${toFix.length} to fix`,
    critiqueKey,
    needsFix: toFix.length,
    critiqued,
    spend,
    ...(feedback ? { feedback } : {}),
    ...(firstTranscript ? { transcriptKey: firstTranscript } : {}),
  };
}
