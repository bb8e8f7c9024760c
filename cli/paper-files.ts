/**
 * A finished paper's files on the local disk, for the person who ran the job: the PDF and its
 * figures under `<out>/<paper>/`, and the page count. Names come from our own keys and labels,
 * re-checked here (a figure name was chosen by model-written plot code), and the page count
 * from the sandbox's pdftotext output (one form feed a page): the PDF itself is never parsed
 * on the host.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import { S3ArtifactStore } from '../lib/store';
import type { PaperOutcome } from '../workflows';
import { artifactKeys } from './artifacts';

export interface SavedPaper {
  dir: string;
  pdf?: string;
  figures: string[];
  pages?: number;
}

const SAFE_FIGURE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.png$/;

/** Pages of a pdftotext output: poppler ends every page with a form feed. */
export function pagesOfText(text: string): number {
  return text.split('\f').length - 1;
}

/** The figures among a paper's artifacts: `figure/N` labels of the query, `plots/*.png` of a listing. */
function figureKeysOf(keys: Record<string, string>): string[] {
  return Object.entries(keys)
    .filter(([label]) => label.startsWith('figure/') || /^plots\/[^/]+\.png$/.test(label))
    .map(([, key]) => key);
}

/**
 * Saves `paper.pdf` and `figures/*.png` of a finished paper under `<out>/<paperId>/`. The PDF
 * comes from the outcome; the figures from the paper's `artifacts` query when a worker answers
 * it, else from a listing of the store.
 */
export async function savePaperFiles(
  client: Client,
  config: Config,
  paper: Pick<PaperOutcome, 'paperId' | 'pdfKey' | 'textKey'>,
  out: string,
): Promise<SavedPaper> {
  const store = S3ArtifactStore.fromConfig(config);
  const dir = path.resolve(out, paper.paperId);
  const saved: SavedPaper = { dir, figures: [] };
  if (!paper.pdfKey) return saved;
  mkdirSync(dir, { recursive: true });
  saved.pdf = path.join(dir, 'paper.pdf');
  writeFileSync(saved.pdf, await store.get(paper.pdfKey));
  if (paper.textKey) saved.pages = pagesOfText((await store.get(paper.textKey)).toString('utf8'));
  const { keys } = await artifactKeys(client, config, paper.paperId, (prefix) => store.list(prefix));
  const figureKeys = figureKeysOf(keys);
  if (figureKeys.length) mkdirSync(path.join(dir, 'figures'), { recursive: true });
  for (const key of figureKeys) {
    const name = path.basename(key);
    if (!SAFE_FIGURE.test(name) || saved.figures.includes(name)) continue;
    writeFileSync(path.join(dir, 'figures', name), await store.get(key));
    saved.figures.push(name);
  }
  return saved;
}
