/**
 * Reading the benchmark's files (the folder's only I/O): the human ratings and the stored
 * review files of `review-bench/review_iclr_bench/`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../../lib/errors';
import {
  parseConfigName,
  parseHumanRatings,
  parseReviewCsv,
  type HumanRatings,
  type ReviewerConfig,
  type ReviewRecord,
} from './data';

/**
 * The folder that holds `ratings_subset.tsv`: `dir` itself, or its `review_iclr_bench/` (so
 * both `../shared/review-bench` and its `review_iclr_bench` work).
 */
export function resolveBenchDir(dir: string): string {
  for (const d of [dir, path.join(dir, 'review_iclr_bench')])
    if (existsSync(path.join(d, 'ratings_subset.tsv'))) return path.resolve(d);
  throw new InvalidInputError(
    `${dir} holds no ratings_subset.tsv (nor does ${path.join(dir, 'review_iclr_bench')}); pass the review-bench data folder`,
  );
}

export async function readHumanRatings(benchDir: string): Promise<HumanRatings> {
  const file = path.join(benchDir, 'ratings_subset.tsv');
  return parseHumanRatings(await readFile(file, 'utf8'), file);
}

/** The stored review files (`llm_reviews/*.csv`), sorted by name; none if the folder is absent. */
export async function listReviewFiles(benchDir: string): Promise<string[]> {
  const dir = path.join(benchDir, 'llm_reviews');
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** One review file with the configuration its name encodes. */
export async function readReviewFile(
  file: string,
): Promise<{ config: ReviewerConfig; reviews: ReviewRecord[] }> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new InvalidInputError(`cannot read ${file}`, { cause: err });
  });
  return { config: parseConfigName(file), reviews: parseReviewCsv(text, path.basename(file)) };
}
