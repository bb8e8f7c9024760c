/**
 * GPU-slot bench: N papers at once on one GPU worker with K GPU slots; how busy the slots stay
 * while work is waiting for them.
 *
 * The real paperWorkflow (smallest settings: a baseline and 2 runs per paper) on a main worker
 * with stub activities (test/pipeline/fake-ports.ts), and the real GPU worker
 * (workers/create-worker.ts, SCIENTIST_GPU_COUNT=K: K slots, K concurrent activities) with the
 * real experiment activities, whose sandbox is replaced by one that holds its slot for a fixed
 * time (2 s) and writes a final_info.json. Every paper has its own code, so no baseline comes
 * from the cache: each paper is 3 runs of GPU work.
 *
 * Printed per scenario: makespan (first start → last paper done) against the ideal (GPU work / K),
 * the GPU phase (first run scheduled → last run done),
 * slot utilisation while at least K runs were queued or running, the queue wait of a run
 * (scheduled → started, p50/p95) and the idle gap of a slot between two runs.
 *   npx tsx bench/gpu-slots.ts [scenarios=4x1,4x2,8x2] [runMs=2000] [mainMs=0]
 * `NxK`: N papers, K slots. mainMs: time every main-queue stub takes (an LLM call's stand-in).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities';
import { saveWorkspace } from '../activities/workspace';
import { loadProcessConfig, type Config } from '../lib/config';
import { createLogger } from '../lib/log';
import { S3ArtifactStore } from '../lib/store';
import { connectClient, connectWorker, installRuntimeLogger } from '../lib/temporal';
import type { SandboxResult, SandboxRunner, SandboxRunSpec } from '../sandbox';
import { ACTIVITY_WORKER_OPTIONS, createWorker } from '../workers/create-worker';
import { DEFAULT_PAPER_SETTINGS, type MainPorts, type PaperSettings } from '../contracts';
import type { PaperInput, PaperOutcome } from '../workflows';
import { fakePorts } from '../test/pipeline/fake-ports';

const GPU_ACTIVITIES = new Set(['runExperiment', 'runBaseline']);

/** The smallest paper: a baseline and 2 runs, 1 reviewer. */
export const SETTINGS: PaperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  maxRuns: 2,
  maxRunAttempts: 1,
  maxPlotAttempts: 1,
  citationRounds: 1,
  compileRounds: 1,
  reviewers: 1,
  reviewReflections: 1,
  improve: false,
  fast: true,
  budgetUsd: 100,
};

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
export const s = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;

/** One sandbox run as the fake GPU saw it. */
interface SlotRun {
  workflowId: string;
  activityId: string;
  device: string;
  start: number;
  end: number;
}

/** Holds the slot it was given for `runMs`, then leaves the final_info.json a run must write. */
class SleepSandbox implements SandboxRunner {
  readonly runs: SlotRun[] = [];
  constructor(private readonly runMs: number) {}

  async reapOrphans(): Promise<number> {
    return 0;
  }

  async run(spec: SandboxRunSpec): Promise<SandboxResult> {
    const info = Context.current().info;
    const start = Date.now();
    await sleep(this.runMs, undefined, { signal: spec.signal });
    const runName = spec.command.at(-1)!;
    const body = JSON.stringify({ bench: { means: { val_acc: 0.9 } } });
    await mkdir(path.join(spec.workDir, runName), { recursive: true });
    await writeFile(path.join(spec.workDir, runName, 'final_info.json'), body);
    const end = Date.now();
    // Not the image probe of the run's manifest (one container per image): experiment runs only.
    if (/^run_/.test(runName))
      this.runs.push({
        workflowId: info.workflowExecution!.workflowId,
        activityId: info.activityId,
        device: spec.gpuDeviceIds?.join(',') ?? 'cpu',
        start,
        end,
      });
    const log = `slept ${this.runMs} ms on ${spec.gpuDeviceIds?.join(',') ?? 'cpu'}\n`;
    return {
      outcome: 'ok',
      exitCode: 0,
      durationMs: end - start,
      stdoutTail: log,
      stderrTail: '',
      log,
      firstOutputMs: 0,
      collected: [{ path: path.join(runName, 'final_info.json'), bytes: Buffer.byteLength(body) }],
      skipped: [],
      limits: spec.limits,
    };
  }
}

/** A GPU activity as its paper's history tells it (server clock). */
export interface GpuActivity {
  workflowId: string;
  activityId: string;
  scheduled: number;
  started: number;
  completed: number;
  /** The worker that ran the attempt that completed (`gpu@<host>:<pid>`). */
  identity: string;
}

export function gpuActivities(
  workflowId: string,
  events: temporal.api.history.v1.IHistoryEvent[],
): GpuActivity[] {
  const bySchedule = new Map<number, Partial<GpuActivity>>();
  for (const e of events) {
    const t = tsToMs(e.eventTime);
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched && GPU_ACTIVITIES.has(sched.activityType?.name ?? ''))
      bySchedule.set(Number(e.eventId), { workflowId, activityId: sched.activityId ?? '', scheduled: t });
    const started = e.activityTaskStartedEventAttributes;
    const a = started && bySchedule.get(Number(started.scheduledEventId));
    if (a) {
      a.started = t;
      a.identity = started.identity ?? '';
    }
    const done = e.activityTaskCompletedEventAttributes;
    const b = done && bySchedule.get(Number(done.scheduledEventId));
    if (b) b.completed = t;
  }
  return [...bySchedule.values()].map((a) => {
    if (a.started === undefined || a.completed === undefined)
      throw new Error(`${workflowId}: a GPU activity did not complete`);
    return a as GpuActivity;
  });
}

/** The windows in which at least `k` of the intervals are open. */
export function windowsWithAtLeast(intervals: [number, number][], k: number): [number, number][] {
  const edges = intervals.flatMap(([a, b]): [number, number][] => [
    [a, 1],
    [b, -1],
  ]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]); // closing before opening at the same instant
  const out: [number, number][] = [];
  let open = 0;
  let since = 0;
  for (const [t, d] of edges) {
    const before = open;
    open += d;
    if (before < k && open >= k) since = t;
    if (before >= k && open < k && t > since) out.push([since, t]);
  }
  return out;
}

export const overlap = ([a, b]: [number, number], windows: [number, number][]) =>
  windows.reduce((n, [c, d]) => n + Math.max(0, Math.min(b, d) - Math.max(a, c)), 0);

/**
 * The main-queue activities of the bench: the stubs of test/pipeline/fake-ports.ts, each taking
 * `mainMs` (an LLM call's stand-in), with real workspaces (the experiment activity fetches them
 * from the store; each paper's code is its template key, see runPapers).
 */
export function benchMainActivities(mainMs: number): Record<string, (input: unknown) => Promise<unknown>> {
  const stubs = fakePorts().main;
  const main: MainPorts = {
    ...stubs,
    planEdit: async (i) => ({ ...(await stubs.planEdit(i)), workspace: i.workspace }),
    recordRun: async (i) => ({ ...(await stubs.recordRun(i)), workspace: i.workspace }),
  };
  return Object.fromEntries(
    Object.entries(main).map(([name, fn]) => [
      name,
      async (input: unknown) => {
        if (mainMs > 0) await sleep(mainMs);
        return (fn as (i: unknown) => Promise<unknown>)(input);
      },
    ]),
  );
}

/**
 * Starts `papers` paper workflows at once (ids `<id>-paper-<n>`) and waits for them; a workflow
 * task that keeps failing is retried forever, so they are terminated after `limitMs`. Throws
 * unless every paper completed with all its runs. `files(paperId)` is a paper's code, saved as
 * the paper's own template (a paper starts from its template's key), so no baseline comes from
 * the cache.
 */
export async function runPapers(
  client: Client,
  config: Config,
  store: S3ArtifactStore,
  files: (paperId: string) => Record<string, Buffer>,
  run: { id: string; papers: number; limitMs: number },
): Promise<{ outcomes: PaperOutcome[]; t0: number; t1: number }> {
  const { id, papers, limitMs } = run;
  const workflowIds = Array.from({ length: papers }, (_, i) => `${id}-paper-${i + 1}`);
  const templateKeys = await Promise.all(workflowIds.map((w) => saveWorkspace(store, files(w))));
  const t0 = Date.now();
  const handles = await Promise.all(
    Array.from({ length: papers }, (_, i) =>
      client.workflow.start('paperWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: workflowIds[i]!,
        args: [
          {
            campaignId: id,
            template: 'bench',
            templateKey: templateKeys[i]!,
            idea: {
              name: `idea${i + 1}`,
              title: `Idea ${i + 1}`,
              key: `ideas/idea${i + 1}.json`,
              interestingness: 5,
              feasibility: 5,
              novelty: 5,
            },
            gpuTaskQueue: config.temporal.gpuTaskQueue,
            settings: SETTINGS,
          } satisfies PaperInput,
        ],
      }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const outcomes = (await Promise.race([
    Promise.all(handles.map((h) => h.result())),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void Promise.allSettled(handles.map((h) => h.terminate('bench timed out'))).then(() =>
          reject(new Error(`papers not done after ${s(limitMs)}: see ${id}-paper-* in the Web UI`)),
        );
      }, limitMs);
    }),
  ]).finally(() => clearTimeout(timer))) as PaperOutcome[];
  const t1 = Date.now();
  for (const o of outcomes) {
    if (o.state !== 'completed' || o.runs.length !== SETTINGS.maxRuns + 1)
      throw new Error(`${o.paperId} ended ${o.state} with ${o.runs.length} runs: ${o.reason ?? ''}`);
  }
  return { outcomes, t0, t1 };
}

async function scenario(papers: number, slots: number, runMs: number, mainMs: number, code: string) {
  const id = `bench-gpu-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const config = loadProcessConfig({
    ...process.env,
    SCIENTIST_TASK_QUEUE: `${id}-main`,
    SCIENTIST_GPU_TASK_QUEUE: `${id}-gpu`,
    SCIENTIST_S3_PREFIX: `bench/${id}/`,
    SCIENTIST_GPU_COUNT: String(slots),
    SCIENTIST_LOG_LEVEL: 'warn',
  });
  const log = createLogger('bench-gpu', 'warn');
  const store = S3ArtifactStore.fromConfig(config);
  const sandbox = new SleepSandbox(runMs);
  const expected = papers * (SETTINGS.maxRuns + 1);
  const deps: ActivityDeps = { config, store, log, sandbox };

  const activities = benchMainActivities(mainMs);
  const files = (paperId: string) => ({
    'experiment.py': Buffer.from(`# ${paperId}: own code, own baseline\n`),
  });

  const connection = await connectWorker(config);
  const client = await connectClient(config);
  const mainWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: { code },
    activities,
    ...ACTIVITY_WORKER_OPTIONS,
  });
  // The real GPU worker: K slots from SCIENTIST_GPU_COUNT, K concurrent activities.
  const { worker: gpuWorker } = await createWorker({ config, role: 'gpu', deps, connection });
  try {
    const { outcomes, t0, t1 } = await mainWorker.runUntil(
      gpuWorker.runUntil(async () => {
        // A workflow task that keeps failing is retried forever: stop waiting after a generous limit.
        const limitMs = 60_000 + (3 * expected * (runMs + 20 * mainMs)) / slots;
        return runPapers(client, config, store, files, { id, papers, limitMs });
      }),
    );

    const acts = (
      await Promise.all(
        outcomes.map(async (o) =>
          gpuActivities(o.paperId, (await client.workflow.getHandle(o.paperId).fetchHistory()).events ?? []),
        ),
      )
    ).flat();
    const runs = sandbox.runs;
    // A baseline and maxRuns runs per paper, and the further seeds of a run the paper workflow asks for.
    if (acts.length < expected || runs.length !== acts.length)
      throw new Error(
        `expected at least ${expected} GPU runs, history has ${acts.length}, the sandbox saw ${runs.length}`,
      );
    const devices = new Set(runs.map((r) => r.device));
    if (devices.size !== slots) throw new Error(`runs used ${devices.size} slots, not ${slots}`);
    const runOf = new Map(runs.map((r) => [`${r.workflowId}/${r.activityId}`, r]));

    const work = runs.reduce((n, r) => n + (r.end - r.start), 0);
    const makespan = t1 - t0;
    const gpuSpan = Math.max(...acts.map((a) => a.completed)) - Math.min(...acts.map((a) => a.scheduled));
    const saturated = windowsWithAtLeast(
      acts.map((a) => [a.scheduled, a.completed]),
      slots,
    );
    const saturatedMs = saturated.reduce((n, [a, b]) => n + (b - a), 0);
    const busyInSaturated = runs.reduce((n, r) => n + overlap([r.start, r.end], saturated), 0);
    const activityBusyInSaturated = acts.reduce(
      (n, a) => n + overlap([a.started, a.completed], saturated),
      0,
    );
    const queueWait = acts.map((a) => a.started - a.scheduled);
    const toGpu = acts.map((a) => runOf.get(`${a.workflowId}/${a.activityId}`)!.start - a.scheduled);
    // A slot's idle time between one run's end and the next run's start on it, while runs waited.
    const gaps: number[] = [];
    for (const device of devices) {
      const mine = runs.filter((r) => r.device === device).sort((a, b) => a.start - b.start);
      for (let i = 1; i < mine.length; i++) {
        const gap: [number, number] = [mine[i - 1]!.end, mine[i]!.start];
        if (overlap(gap, saturated) === gap[1] - gap[0]) gaps.push(gap[1] - gap[0]);
      }
    }

    console.log(
      `\nN=${papers} papers, K=${slots} slots (${acts.length} runs of ${runMs} ms, main stubs ${mainMs} ms):`,
    );
    console.log(
      `  makespan ${s(makespan)}, ideal ${s(work / slots)} (GPU work / K) → ${((work / slots / makespan) * 100).toFixed(0)} % of ideal; ` +
        `slots busy ${((work / (slots * makespan)) * 100).toFixed(0)} % of the makespan`,
    );
    console.log(
      `  GPU phase (first run scheduled → last run done) ${s(gpuSpan)}: slots busy ${((work / (slots * gpuSpan)) * 100).toFixed(0)} % of it`,
    );
    console.log(
      `  while ≥ K runs were queued or running (${s(saturatedMs)}): utilisation ${((busyInSaturated / (slots * saturatedMs)) * 100).toFixed(1)} % ` +
        `(sandbox running), ${((activityBusyInSaturated / (slots * saturatedMs)) * 100).toFixed(1)} % (activity started→completed)`,
    );
    console.log(
      `  queue wait scheduled→started p50 ${s(pct(queueWait, 50))}, p95 ${s(pct(queueWait, 95))}; ` +
        `scheduled→sandbox start p50 ${s(pct(toGpu, 50))}, p95 ${s(pct(toGpu, 95))}`,
    );
    console.log(
      gaps.length
        ? `  slot idle between runs while work waited: p50 ${pct(gaps, 50)} ms, p95 ${pct(gaps, 95)} ms, max ${Math.max(...gaps)} ms (${gaps.length} hand-overs)`
        : '  no slot hand-over while work waited',
    );
  } finally {
    await connection.close();
    await client.connection.close();
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const scenarios = (argv[0] ?? '4x1,4x2,8x2').split(',').map((x) => {
    const [n, k] = x.split('x').map(Number);
    if (!n || !k) throw new Error(`scenario "${x}" is not NxK (papers x slots)`);
    return { papers: n, slots: k };
  });
  const runMs = Number(argv[1] ?? 2000);
  const mainMs = Number(argv[2] ?? 0);
  installRuntimeLogger('ERROR');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  console.log(
    `paperWorkflow (maxRuns ${SETTINGS.maxRuns}, 1 reviewer) with stub main activities; the real GPU worker and experiment activity over a sandbox that holds its slot ${runMs} ms`,
  );
  for (const { papers, slots } of scenarios) await scenario(papers, slots, runMs, mainMs, code);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
