/**
 * Dispatch bench: what one activity costs in Temporal itself, on the dev server. A workflow
 * (bench/dispatch-workflows.ts, bundled here, on its own task queue) calls a no-op activity
 * N times one after the other, then N times K at a time. From the workflow's history: the round
 * trip per activity (p50/p95, and where it goes), activities/s, and the history events and bytes
 * each activity adds. Three sets of activity options: minimal, the paper workflow's main-queue
 * options (workflows/paper.ts), those with an activity summary, and those without eager dispatch.
 *   npx tsx bench/dispatch.ts [N=100] [K=50]
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ActivityOptions } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { loadProcessConfig } from '../lib/config';
import { MAIN_ACTIVITY_OPTIONS } from '../contracts';
import { connectClient, connectWorker, installRuntimeLogger } from '../lib/temporal';
import type { DispatchInput } from './dispatch-workflows';
import { ACTIVITY_WORKER_OPTIONS } from '../workers/create-worker';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const median = (xs: number[]) => pct(xs, 50);
const ms = (x: number) => `${x.toFixed(1)} ms`;

const VARIANTS: { name: string; options: ActivityOptions }[] = [
  { name: 'minimal options (startToClose only)', options: { startToCloseTimeout: '1 minute' } },
  { name: 'main-queue preset (MAIN_ACTIVITY_OPTIONS)', options: MAIN_ACTIVITY_OPTIONS },
  {
    // paper.ts gives every activity a summary for the UI; it is stored in the scheduled event.
    name: 'paper.ts options + a summary as paper.ts sets it',
    options: { ...MAIN_ACTIVITY_OPTIONS, summary: 'experiments · run 3 attempt 2: edit' },
  },
  {
    name: 'paper.ts options, no eager dispatch',
    options: { ...MAIN_ACTIVITY_OPTIONS, allowEagerDispatch: false },
  },
];

interface ActivityTimes {
  scheduled: number;
  started: number;
  completed: number;
}

/** Per activity (in scheduling order): when it was scheduled, started and completed (server clock). */
function activityTimes(events: HistoryEvent[]): ActivityTimes[] {
  const byScheduled = new Map<number, Partial<ActivityTimes>>();
  const id = (x: unknown) => Number(x);
  for (const e of events) {
    const t = tsToMs(e.eventTime);
    if (e.activityTaskScheduledEventAttributes) byScheduled.set(id(e.eventId), { scheduled: t });
    const started = e.activityTaskStartedEventAttributes;
    if (started) byScheduled.get(id(started.scheduledEventId))!.started = t;
    const done = e.activityTaskCompletedEventAttributes;
    if (done) byScheduled.get(id(done.scheduledEventId))!.completed = t;
  }
  return [...byScheduled.values()].map((a) => {
    if (a.scheduled === undefined || a.started === undefined || a.completed === undefined)
      throw new Error('an activity without its started/completed event in history');
    return a as ActivityTimes;
  });
}

const encodedBytes = (events: HistoryEvent[]) =>
  events.reduce((n, e) => n + temporal.api.history.v1.HistoryEvent.encode(e).finish().length, 0);

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const count = Number(argv[0] ?? 100);
  const batch = Number(argv[1] ?? 50);
  const id = `bench-dispatch-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const config = loadProcessConfig({ ...process.env, SCIENTIST_TASK_QUEUE: id, SCIENTIST_LOG_LEVEL: 'warn' });
  installRuntimeLogger('ERROR');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./dispatch-workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  const connection = await connectWorker(config);
  // As workers/create-worker.ts builds the main worker (SDK default concurrency).
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: id,
    identity: `bench@${hostname()}:${process.pid}`,
    shutdownGraceTime: '30 seconds',
    workflowBundle: { code },
    activities: { noop: async (i: number) => i },
    ...ACTIVITY_WORKER_OPTIONS,
  });
  const client = await connectClient(config);
  let n = 0;
  const run = async (input: DispatchInput) => {
    const workflowId = `${id}-${++n}`;
    const t0 = performance.now();
    const done = (await client.workflow.execute('dispatchWorkflow', {
      taskQueue: id,
      workflowId,
      args: [input],
    })) as number;
    const wallMs = performance.now() - t0;
    if (done !== input.count) throw new Error(`dispatch workflow ran ${done} of ${input.count} activities`);
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    return { events, wallMs };
  };

  try {
    await worker.runUntil(async () => {
      // Warm-up: the first workflow task pays for the workflow sandbox's isolate.
      await run({ count: 5, batch: 1, options: VARIANTS[0]!.options });
      console.log(`no-op activity on the dev server (${config.temporal.address}), N=${count}, K=${batch}`);
      for (const variant of VARIANTS) {
        // A workflow without activities: the events and bytes every workflow has anyway.
        const empty = await run({ count: 0, batch: 1, options: variant.options });
        const base = { events: empty.events.length, bytes: encodedBytes(empty.events) };
        const perActivity = (events: HistoryEvent[]) =>
          `${((events.length - base.events) / count).toFixed(2)} events, ${Math.round((encodedBytes(events) - base.bytes) / count)} bytes`;

        const seq = await run({ count, batch: 1, options: variant.options });
        const a = activityTimes(seq.events);
        const roundTrip = a.slice(1).map((x, i) => x.scheduled - a[i]!.scheduled);
        const dispatch = a.map((x) => x.started - x.scheduled);
        const execute = a.map((x) => x.completed - x.started);
        const workflowTask = a.slice(1).map((x, i) => x.scheduled - a[i]!.completed);
        const seqSpan = a.at(-1)!.completed - a[0]!.scheduled;

        const par = await run({ count, batch, options: variant.options });
        const b = activityTimes(par.events);
        const latency = b.map((x) => x.completed - x.scheduled);
        const parSpan = Math.max(...b.map((x) => x.completed)) - Math.min(...b.map((x) => x.scheduled));

        console.log(`\n${variant.name}:`);
        console.log(
          `  sequential: round trip per activity p50 ${ms(median(roundTrip))}, p95 ${ms(pct(roundTrip, 95))}; ` +
            `${((count * 1000) / seqSpan).toFixed(0)} activities/s (workflow wall ${Math.round(seq.wallMs)} ms)`,
        );
        console.log(
          `    of which (p50) scheduled→started ${ms(median(dispatch))}, started→completed ${ms(median(execute))}, ` +
            `completed→next scheduled (workflow task) ${ms(median(workflowTask))}`,
        );
        console.log(`    history per activity: ${perActivity(seq.events)}`);
        console.log(
          `  ${batch} at a time: scheduled→completed p50 ${ms(median(latency))}, p95 ${ms(pct(latency, 95))}; ` +
            `${((count * 1000) / parSpan).toFixed(0)} activities/s (workflow wall ${Math.round(par.wallMs)} ms)`,
        );
        console.log(`    history per activity: ${perActivity(par.events)}`);
      }
    });
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
