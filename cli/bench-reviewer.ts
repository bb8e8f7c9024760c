/**
 * `scientist bench-reviewer`: the reviewer measured on the ICLR 2022 benchmark. `metrics`
 * works on stored review files alone (no services): it prints the side-by-side table and writes
 * report.md, report.json and the PNG figures. `run` reviews N papers with the configured review
 * model as a durable workflow (./bench-run.ts) and stores the same report for `scientist get`.
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
import { envFilePath, loadProcessConfig } from '../lib/config';
import { parseCount, parseWholeNumber } from './arguments';
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

  bench
    .command('run')
    .description(
      'review N benchmark papers with the review model (a durable workflow: resumable, every review stored), then store the report and figures',
    )
    .requiredOption('--data <dir>', 'the benchmark data folder (review-bench, or its review_iclr_bench)')
    .requiredOption(
      '--papers <n>',
      'papers to review (chosen by a seeded hash, both classes in each split)',
      parseCount,
    )
    .option(
      '--model <provider:model>',
      'review model of the local workers (remote workers must already use it)',
    )
    .option('--reviewers <n>', 'reviews per paper (default: the pipeline’s 5)', parseCount)
    .option('--reflections <n>', 'reflection rounds per review (default: the pipeline’s 5)', parseWholeNumber)
    .option('--threshold <score>', 'Overall score needed for Accept', parseScore)
    .option('--concurrency <k>', 'papers reviewed at once', parseCount, 2)
    .option('--name <name>', 'workflow id suffix (default: a timestamp)')
    .option('--seed <seed>', 'seed of the paper choice and the calibration split', '1')
    .option('--train-fraction <x>', 'share of papers the threshold is fitted on', parseFraction, 0.5)
    .option('--no-stored-reviews', 'do not measure the stored review files on the same papers')
    .option('--local-workers', 'run a main worker inside this process')
    .option('--follow', 'show progress until the run ends')
    .option('--json', 'machine-readable output')
    .action(async (opts: import('./bench-run').BenchRunOptions) => {
      const { runBenchmark } = await import('./bench-run');
      if (opts.papers < 1) throw new InvalidArgumentError('--papers must be at least 1');
      if (opts.concurrency < 1) throw new InvalidArgumentError('--concurrency must be at least 1');
      const { workflowId, outcome } = await runBenchmark(loadProcessConfig(), opts);
      if (!outcome) return;
      if (opts.json) return console.log(JSON.stringify({ workflowId, ...outcome }, null, 2));
      const r = outcome.report;
      console.log(
        `${outcome.state}: ${outcome.done}/${outcome.papers} papers (${outcome.reused} reused, ${outcome.unusable} without a usable review, ${outcome.failed.length} failed) with ${outcome.model}; ` +
          `cost $${outcome.cost.costUsd.toFixed(4)} ($${outcome.costPerPaperUsd.toFixed(4)} per paper reviewed)`,
      );
      if (r)
        console.log(
          `balanced accuracy ${r.balancedAccuracy.toFixed(2)}, F1 ${r.f1.toFixed(2)}, FPR ${r.fpr.toFixed(2)}, FNR ${r.fnr.toFixed(2)}, AUC ${r.aucOverall.toFixed(2)}; ` +
            `fitted threshold ${r.fittedThreshold} (held-out balanced accuracy ${r.heldOutBalancedAccuracy.toFixed(2)})\n` +
            `report and figures: scientist get ${workflowId}`,
        );
      if (outcome.state !== 'completed' || outcome.failed.length) process.exitCode = 1;
    });

  bench
    .command('apply-threshold <workflowId>')
    .description(
      "write a finished benchmark run's fitted threshold into the review settings (the env file: SCIENTIST_REVIEW_THRESHOLD and its source); papers record both with their decision",
    )
    .option('--json', 'machine-readable output')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      const { applyFittedThreshold } = await import('./bench-run');
      const r = await applyFittedThreshold(loadProcessConfig(), workflowId, envFilePath(process.env));
      if (opts.json) return console.log(JSON.stringify(r, null, 2));
      console.log(
        `wrote SCIENTIST_REVIEW_THRESHOLD=${r.threshold} and SCIENTIST_REVIEW_THRESHOLD_SOURCE=${r.source} to ${r.envFile}; campaigns started from now on use it`,
      );
    });
}
