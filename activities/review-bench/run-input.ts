/**
 * What a benchmark run reviews: N papers chosen from those with a decision and a text, in a
 * seeded hash order (deterministic, independent of file order), with at least one accepted and
 * one rejected paper in each calibration split so the threshold can always be fitted. And the
 * upload of their texts (papers whose text is missing or tiny are passed over), the ratings and the stored review files to the store (content-addressed,
 * so a second run uploads nothing), which the CLI does before it starts the workflow.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchPaper } from '../../contracts';
import { InvalidInputError } from '../../lib/errors';
import type { ArtifactStore } from '../../lib/store';
import { splitOf, type SplitOptions } from './calibration';
import type { HumanPaper } from './data';
import { listReviewFiles, readHumanRatings } from './files';

/** Smallest paper text worth reviewing (bytes); a smaller one is a failed PDF extraction. */
export const MIN_PAPER_BYTES = 2000;

const hashOrder = (seed: string, id: string) =>
  createHash('sha256').update(`select:${seed}:${id}`).digest('hex');

/**
 * `n` papers in hash order of `select:<seed>:<id>`, except that the first picks cover every
 * (split, accepted) group that has a paper, so both parts of the calibration split hold both
 * classes whenever n ≥ 4.
 */
export function selectBenchPapers(
  papers: readonly HumanPaper[],
  n: number,
  seed: string,
  split: SplitOptions,
): HumanPaper[] {
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidInputError(`--papers must be a positive integer, got ${n}`);
  if (n > papers.length)
    throw new InvalidInputError(
      `--papers ${n}: the benchmark has ${papers.length} papers with a decision and a text`,
    );
  const ordered = [...papers].sort((a, b) =>
    hashOrder(seed, a.paperId).localeCompare(hashOrder(seed, b.paperId)),
  );
  const chosen = new Set<HumanPaper>();
  for (const part of ['train', 'heldOut'] as const)
    for (const accepted of [true, false]) {
      const first = ordered.find((p) => p.accepted === accepted && splitOf(p.paperId, split) === part);
      if (first && chosen.size < n) chosen.add(first);
    }
  for (const p of ordered) {
    if (chosen.size >= n) break;
    chosen.add(p);
  }
  return ordered.filter((p) => chosen.has(p));
}

export interface PreparedBenchRun {
  papers: BenchPaper[];
  ratingsKey: string;
  storedReviewKeys: Record<string, string>;
  /** Papers with a decision that were passed over: no text file, or too short a text. */
  withoutText: number;
}

/**
 * Reads the benchmark folder, chooses the papers and stores what the run reads. Every problem
 * with the data is found here, before any model is asked.
 */
export async function prepareBenchRun(
  store: ArtifactStore,
  benchDir: string,
  opts: { papers: number; seed: string; split: SplitOptions; storedReviews?: boolean },
): Promise<PreparedBenchRun> {
  const ratings = await readHumanRatings(benchDir);
  const textDir = path.join(benchDir, 'iclr_parsed');
  if (!existsSync(textDir))
    throw new InvalidInputError(`${benchDir} has no iclr_parsed/ folder of paper texts`);
  const candidates = ratings.papers.filter((p) => {
    const file = path.join(textDir, `${p.paperId}.txt`);
    return existsSync(file) && statSync(file).size >= MIN_PAPER_BYTES;
  });
  const chosen = selectBenchPapers(candidates, opts.papers, opts.seed, opts.split);
  const withoutText = ratings.papers.length - candidates.length;
  const papers: BenchPaper[] = [];
  for (const p of chosen) {
    const { key } = await store.putContent(
      'cas/review-bench-text',
      await readFile(path.join(textDir, `${p.paperId}.txt`), 'utf8'),
      {
        contentType: 'text/plain; charset=utf-8',
      },
    );
    papers.push({ paperId: p.paperId, textKey: key });
  }
  const ratingsKey = (
    await store.putContent(
      'cas/review-bench-ratings',
      await readFile(path.join(benchDir, 'ratings_subset.tsv')),
      {
        contentType: 'text/tab-separated-values',
      },
    )
  ).key;
  const storedReviewKeys: Record<string, string> = {};
  if (opts.storedReviews !== false)
    for (const f of await listReviewFiles(benchDir))
      storedReviewKeys[path.basename(f, '.csv')] = (
        await store.putContent('cas/review-bench-reviews', await readFile(f), { contentType: 'text/csv' })
      ).key;
  return { papers, ratingsKey, storedReviewKeys, withoutText };
}
