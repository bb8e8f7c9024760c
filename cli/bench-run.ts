/**
 * `scientist bench-reviewer run`: chooses the papers, stores what the run reads, starts the
 * reviewerBenchmark workflow and (with --follow) shows its progress until it ends. With
 * --local-workers a main worker runs in this process (reviewing with --model, if given).
 * `apply-threshold` writes a finished run's fitted threshold into the review settings.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { prepareBenchRun, resolveBenchDir } from '../activities/review-bench';
import { parseModelRef } from '../activities/llm/roles';
import {
  benchStatusQuery,
  type BenchStatus,
  DEFAULT_PAPER_SETTINGS,
  formatUsd,
  type ReviewerBenchmarkInput,
  SA,
} from '../contracts';
import { withEnvFileValues, type Config } from '../lib/config';
import { InvalidInputError } from '../lib/errors';
import { S3ArtifactStore } from '../lib/store';
import { connectClient, installRuntimeLogger, workflowUiUrl } from '../lib/temporal';
import type { ReviewerBenchmarkOutcome, reviewerBenchmarkWorkflow } from '../workflows';
import { withLocalWorkers } from '../workers/create-worker';
import { ChangedLines, LiveBlock, pollUntilStopped, type Out } from './progress';

export interface BenchRunOptions {
  data: string;
  papers: number;
  model?: string;
  reviewers?: number;
  reflections?: number;
  threshold?: number;
  concurrency: number;
  name?: string;
  seed: string;
  trainFraction: number;
  localWorkers?: boolean;
  follow?: boolean;
  json?: boolean;
  /** Also measure the stored review files on the same papers (default true). */
  storedReviews?: boolean;
}

/** The config the local workers run with: `--model` as the review role's model. */
export function withReviewModel(config: Config, model?: string): Config {
  if (!model) return config;
  parseModelRef(model, '--model');
  return { ...config, llm: { ...config.llm, roles: { ...config.llm.roles, review: model } } };
}

/** One progress line of a benchmark run (the same line on a terminal and in a log). */
export function benchLine(
  id: string,
  st: BenchStatus | undefined,
  elapsedS: number,
  waiting?: string,
): string {
  const t = `${Math.round(elapsedS)}s`;
  if (!st) return `bench ${id}  ${waiting ?? 'starting'} · ${t}`;
  const flags = [st.paused ? 'PAUSED' : '', st.cancelling ? 'CANCELLING' : ''].filter(Boolean).join(' ');
  return (
    `bench ${id}  ${st.stage}: ${st.step} · ${st.done}/${st.papers} done` +
    (st.reused ? ` (${st.reused} reused)` : '') +
    (st.failed ? `, ${st.failed} failed` : '') +
    ` · ${st.running.length} running · ${formatUsd(st.costUsd)} · ${t}${flags ? ` · ${flags}` : ''}`
  );
}

export async function runBenchmark(
  config: Config,
  o: BenchRunOptions,
  out: Out = process.stdout,
): Promise<{ workflowId: string; outcome?: ReviewerBenchmarkOutcome }> {
  const benchDir = resolveBenchDir(o.data);
  const split = { seed: o.seed, trainFraction: o.trainFraction };
  const workerConfig = withReviewModel(config, o.model);
  const store = S3ArtifactStore.fromConfig(config);
  const prepared = await prepareBenchRun(store, benchDir, {
    papers: o.papers,
    seed: o.seed,
    split,
    storedReviews: o.storedReviews,
  });
  const input: ReviewerBenchmarkInput = {
    papers: prepared.papers,
    ratingsKey: prepared.ratingsKey,
    storedReviewKeys: prepared.storedReviewKeys,
    reviewers: o.reviewers ?? DEFAULT_PAPER_SETTINGS.reviewers,
    reflections: o.reflections ?? DEFAULT_PAPER_SETTINGS.reviewReflections,
    threshold: o.threshold ?? DEFAULT_PAPER_SETTINGS.decisionThreshold,
    concurrency: o.concurrency,
    ...(o.model ? { model: o.model } : {}),
    seed: o.seed,
    trainFraction: o.trainFraction,
  };
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const workflowId = `bench-reviewer-${(o.name ?? stamp).replace(/[^A-Za-z0-9._=-]+/g, '-').slice(0, 60)}`;
  try {
    const handle = await client.workflow.start<typeof reviewerBenchmarkWorkflow>(
      'reviewerBenchmarkWorkflow',
      {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `Reviewer benchmark: ${input.papers.length} ICLR 2022 papers`,
        staticDetails: `Review model ${o.model ?? 'as configured on the workers'}; ${input.reviewers} reviewer(s), ${input.reflections} reflection(s), threshold ${input.threshold}, ${input.concurrency} at a time.`,
        typedSearchAttributes: [
          { key: SA.kind, value: 'reviewer-benchmark' },
          { key: SA.stage, value: 'setup' },
        ],
      },
    );
    if (!o.json) out.write(`started ${workflowId}\n  ${workflowUiUrl(config, workflowId)}\n`);
    if (!o.follow && !o.localWorkers) return { workflowId };
    const follow = o.follow && !o.json ? followBenchmark(client, workflowId, out) : undefined;
    const outcome = await withLocalWorkers(workerConfig, o.localWorkers ? ['main'] : [], async () => {
      const result = await handle.result();
      await follow?.stop();
      return result;
    });
    return { workflowId, outcome };
  } finally {
    await client.connection.close();
  }
}

/** Polls the run's status query and draws one line (in place on a terminal) until stopped. */
export function followBenchmark(
  client: Awaited<ReturnType<typeof connectClient>>,
  workflowId: string,
  out: Out,
  everyMs = out.isTTY ? 1000 : 5000,
): { stop(): Promise<void> } {
  const started = Date.now();
  const live = out.isTTY ? new LiveBlock(out) : undefined;
  const plain = new ChangedLines(out);
  let last: BenchStatus | undefined;
  const tick = async () => {
    let waiting: string | undefined;
    try {
      last = await client.connection.withDeadline(Date.now() + 5000, () =>
        client.workflow.getHandle(workflowId).query(benchStatusQuery),
      );
    } catch {
      waiting = 'waiting for a worker to answer its status query';
    }
    const line = benchLine(workflowId, last, (Date.now() - started) / 1000, waiting);
    // Plain output: a line when something but the clock changed.
    if (live) live.render([line]);
    else plain.render(new Map([[workflowId, line.replace(/ · \d+s$/, '')]]));
  };
  return pollUntilStopped(tick, everyMs);
}

/**
 * Writes a finished benchmark run's fitted threshold into the review settings: the env file gets
 * SCIENTIST_REVIEW_THRESHOLD and SCIENTIST_REVIEW_THRESHOLD_SOURCE (the run's id), which every
 * campaign started afterwards passes to its papers; a paper's review outcome records both.
 */
export async function applyFittedThreshold(
  config: Config,
  workflowId: string,
  envFile: string,
): Promise<{ threshold: number; source: string; envFile: string }> {
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  let outcome: ReviewerBenchmarkOutcome;
  try {
    const handle = client.workflow.getHandle<typeof reviewerBenchmarkWorkflow>(workflowId);
    const desc = await handle.describe();
    if (desc.type !== 'reviewerBenchmarkWorkflow')
      throw new InvalidInputError(`${workflowId} is a ${desc.type}, not a reviewer benchmark run`);
    if (desc.status.name !== 'COMPLETED')
      throw new InvalidInputError(
        `${workflowId} has not completed (it is ${desc.status.name.toLowerCase()})`,
      );
    outcome = await handle.result();
  } finally {
    await client.connection.close();
  }
  const threshold = outcome.report?.fittedThreshold;
  if (outcome.state !== 'completed' || threshold === undefined || !Number.isFinite(threshold))
    throw new InvalidInputError(`${workflowId} ended ${outcome.state} without a fitted threshold`);
  const text = existsSync(envFile) ? await readFile(envFile, 'utf8') : '';
  await writeFile(
    envFile,
    withEnvFileValues(text, {
      SCIENTIST_REVIEW_THRESHOLD: String(threshold),
      SCIENTIST_REVIEW_THRESHOLD_SOURCE: workflowId,
    }),
  );
  return { threshold, source: workflowId, envFile };
}
