/**
 * `scientist bench-reviewer`: the reviewer measured on the ICLR 2022 benchmark. `metrics`
 * works on stored review files alone (no services): it prints the side-by-side table and writes
 * report.md, report.json and the PNG figures.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  buildReport,
  comparisonTable,
  DEFAULT_THRESHOLD,
  listReviewFiles,
  readHumanRatings,
  readReviewFile,
  reportData,
  reportFigures,
  reportMarkdown,
  resolveBenchDir,
  type MissingReviews,
} from '../activities/review-bench';
import { InvalidInputError } from '../lib/errors';

export interface BenchMetricsOptions {
  data: string;
  reviews?: string[];
  out?: string;
  threshold: number;
  missing: MissingReviews;
  seed: string;
  trainFraction: number;
}

/** Reads the data, computes the report and, with `out`, writes it; returns what it wrote. */
export async function benchMetrics(opts: BenchMetricsOptions) {
  const benchDir = resolveBenchDir(opts.data);
  const ratings = await readHumanRatings(benchDir);
  const files = opts.reviews?.length ? opts.reviews : await listReviewFiles(benchDir);
  if (files.length === 0)
    throw new InvalidInputError(
      `no review files: ${path.join(benchDir, 'llm_reviews')} is empty; pass --reviews <csv>`,
    );
  const inputs = [];
  for (const f of files) inputs.push(await readReviewFile(f));
  const report = buildReport(ratings, inputs, {
    threshold: opts.threshold,
    missing: opts.missing,
    split: { seed: opts.seed, trainFraction: opts.trainFraction },
  });
  const written: string[] = [];
  if (opts.out) {
    const figures = reportFigures(report);
    await mkdir(opts.out, { recursive: true });
    for (const f of figures) {
      await writeFile(path.join(opts.out, f.file), f.png);
      written.push(path.join(opts.out, f.file));
    }
    await writeFile(path.join(opts.out, 'report.md'), reportMarkdown(report, figures));
    await writeFile(path.join(opts.out, 'report.json'), `${JSON.stringify(reportData(report), null, 2)}\n`);
    written.push(path.join(opts.out, 'report.md'), path.join(opts.out, 'report.json'));
  }
  return { report, written };
}

function parseScore(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${v}"`);
  return n;
}

function parseFraction(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got "${v}"`);
  return n;
}

export function registerBenchReviewerCommands(program: Command): void {
  const bench = program
    .command('bench-reviewer')
    .description('measure the reviewer on the ICLR 2022 benchmark (the AI Scientist’s data)');

  bench
    .command('metrics')
    .description(
      'metrics, calibrated threshold and report of stored review files against the human decisions (needs no services)',
    )
    .requiredOption('--data <dir>', 'the benchmark data folder (review-bench, or its review_iclr_bench)')
    .option('--reviews <csv...>', 'review files of the upstream format (default: every llm_reviews/*.csv)')
    .option('--out <dir>', 'write report.md, report.json and the PNG figures into this folder')
    .option('--threshold <score>', 'Overall score needed for Accept', parseScore, DEFAULT_THRESHOLD)
    .addOption(
      new Option('--missing <policy>', 'how a paper without a usable review counts')
        .choices(['reject', 'exclude'])
        .default('reject'),
    )
    .option('--seed <seed>', 'seed of the calibration split (hash of seed and paper id)', '1')
    .option('--train-fraction <x>', 'share of papers the threshold is fitted on', parseFraction, 0.5)
    .option('--json', 'machine-readable output')
    .action(async (opts: BenchMetricsOptions & { json?: boolean }) => {
      const { report, written } = await benchMetrics(opts);
      if (opts.json)
        return console.log(JSON.stringify({ ...(reportData(report) as object), written }, null, 2));
      console.log(
        `${report.papers} papers with a decision (${report.accepted} accepted, ${report.unknown} Unknown left out); Accept when Overall ≥ ${report.threshold}; missing reviews: ${report.missingPolicy}\n`,
      );
      console.log(comparisonTable(report));
      for (const f of written) console.log(`wrote ${f}`);
    });
}
