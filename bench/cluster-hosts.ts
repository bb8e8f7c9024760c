/**
 * Cluster hosts bench: papers per hour and GPU-slot utilisation on the production-shaped cluster
 * (infra/cluster) with one and with two GPU-worker hosts (infra/cluster/hosts.ts: workers/gpu.ts
 * as its own process group in its own cgroup, CPU mode with SCIENTIST_CPU_SLOTS slots), running
 * the real experiment activity and real sandbox runs of a fixed-length experiment (the `steady`
 * fixture, test/cluster/fixtures/steady: STEPS steps of STEP_S seconds of wall clock, whatever the
 * load), so the figures measure scheduling, not training. The main queue is served in this
 * process by the paper workflow with stub activities (bench/gpu-slots.ts), as in the GPU-slot bench;
 * every paper has its own code, so each is 3 runs of GPU work (a baseline and 2 runs).
 *
 * Printed per host count: papers per hour (makespan: first paper started → last done), slot
 * utilisation while at least every slot's worth of runs was queued or running (activity
 * started → completed, from the histories), queue wait p50/p95, and a slot's idle time between
 * two runs on one host while work waited.
 *   npx tsx bench/cluster-hosts.ts [papers=8] [hosts=1,2] [slotsPerHost=2] [stepS=0.5x12]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { cluster, clusterEnv, up } from '../infra/cluster/cluster';
import { createHost, removeHost, startHostWorker, type Host } from '../infra/cluster/hosts';
import { dockerClient } from '../infra/dev/services';
import { loadProcessConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { PROJECT_ROOT } from '../lib/paths';
import { S3ArtifactStore } from '../lib/store';
import { connectClient, connectWorker, installRuntimeLogger } from '../lib/temporal';
import { ACTIVITY_WORKER_OPTIONS } from '../workers/create-worker';
import {
  benchMainActivities,
  gpuActivities,
  overlap,
  pct,
  runPapers,
  s,
  SETTINGS,
  windowsWithAtLeast,
} from './gpu-slots';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'cluster', 'fixtures', 'steady', 'experiment.py');

/** The fixture's code with its own step count and step time, and a line that makes it the paper's own. */
function experimentFor(paperId: string, steps: number, stepS: number): Buffer {
  const code = readFileSync(FIXTURE, 'utf8')
    .replace(/^STEPS = \d+$/m, `STEPS = ${steps}`)
    .replace(/^STEP_S = [\d.]+$/m, `STEP_S = ${stepS}`);
  return Buffer.from(`${code}\n# ${paperId}: own code, own baseline\n`);
}

const waitFor = async (what: string, cond: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

async function scenario(opts: {
  papers: number;
  hostCount: number;
  slotsPerHost: number;
  steps: number;
  stepS: number;
  env: Record<string, string>;
  code: string;
  dir: string;
}) {
  const { papers, hostCount, slotsPerHost, steps, stepS } = opts;
  const id = `bench-hosts-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const env: Record<string, string> = {
    ...opts.env,
    SCIENTIST_TASK_QUEUE: `${id}-main`,
    SCIENTIST_GPU_TASK_QUEUE: `${id}-gpu`,
    SCIENTIST_S3_PREFIX: `bench/${id}/`,
    SCIENTIST_GPU_COUNT: '0',
    SCIENTIST_CPU_SLOTS: String(slotsPerHost),
    SCIENTIST_SANDBOX_WORK_MB: '256',
    SCIENTIST_LOG_LEVEL: 'info',
  };
  const config = loadProcessConfig({ ...process.env, ...env, SCIENTIST_LOG_LEVEL: 'warn' });
  const store = S3ArtifactStore.fromConfig(config);
  const slots = hostCount * slotsPerHost;
  const expected = papers * (SETTINGS.maxRuns + 1);

  const hosts: Host[] = [];
  const docker = dockerClient(config);
  const connection = await connectWorker(config);
  const client = await connectClient(config);
  try {
    for (let i = 0; i < hostCount; i++) {
      const h = createHost(
        path.basename(opts.dir),
        `${id}-gpu-${i + 1}`,
        path.join(opts.dir, id, `gpu-${i + 1}`),
      );
      hosts.push(h);
      startHostWorker(h, 'gpu', env);
    }
    await waitFor(
      `${hostCount} GPU host(s) polling`,
      () =>
        hosts.every((h) =>
          /polling \S+ on /.test(readFileSync(path.join(h.dataDir, 'logs', 'gpu-worker.log'), 'utf8')),
        ),
      180_000,
    );
    const mainWorker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundle: { code: opts.code },
      activities: benchMainActivities(0),
      ...ACTIVITY_WORKER_OPTIONS,
    });
    const runS = steps * stepS;
    const { outcomes, t0, t1 } = await mainWorker.runUntil(
      runPapers(
        client,
        config,
        store,
        (paperId) => ({ 'experiment.py': experimentFor(paperId, steps, stepS) }),
        {
          id,
          papers,
          limitMs: 120_000 + (3 * expected * (runS + 5) * 1000) / slots,
        },
      ),
    );

    const acts = (
      await Promise.all(
        outcomes.map(async (o) =>
          gpuActivities(o.paperId, (await client.workflow.getHandle(o.paperId).fetchHistory()).events ?? []),
        ),
      )
    ).flat();
    // A baseline and maxRuns runs per paper, and the further seeds of a run the paper workflow asks for.
    if (acts.length < expected)
      throw new Error(`expected at least ${expected} GPU runs, the histories have ${acts.length}`);
    const makespan = t1 - t0;
    const work = acts.reduce((n, a) => n + (a.completed - a.started), 0);
    const saturated = windowsWithAtLeast(
      acts.map((a) => [a.scheduled, a.completed]),
      slots,
    );
    const saturatedMs = saturated.reduce((n, [a, b]) => n + (b - a), 0);
    const busy = acts.reduce((n, a) => n + overlap([a.started, a.completed], saturated), 0);
    const queueWait = acts.map((a) => a.started - a.scheduled);
    // On one host, the time from a run's end to the next run's start while work waited: with
    // several slots per host, the next start after an end is that slot's hand-over.
    const gaps: number[] = [];
    for (const identity of new Set(acts.map((a) => a.identity))) {
      const mine = acts.filter((a) => a.identity === identity);
      for (const a of mine) {
        const next = mine
          .filter((b) => b.started >= a.completed)
          .reduce((m, b) => Math.min(m, b.started), Infinity);
        const gap: [number, number] = [a.completed, next];
        if (Number.isFinite(next) && overlap(gap, saturated) === gap[1] - gap[0])
          gaps.push(next - a.completed);
      }
    }
    console.log(
      `\n${hostCount} GPU host(s) × ${slotsPerHost} CPU slots, ${papers} papers (${acts.length} runs of ${steps} × ${stepS} s):`,
    );
    console.log(
      `  makespan ${s(makespan)} → ${((papers / makespan) * 3_600_000).toFixed(0)} papers per hour; ` +
        `slots busy ${((work / (slots * makespan)) * 100).toFixed(0)} % of the makespan (ideal makespan ${s(work / slots)})`,
    );
    console.log(
      `  while ≥ ${slots} runs were queued or running (${s(saturatedMs)}): slot utilisation ` +
        `${((busy / (slots * saturatedMs)) * 100).toFixed(1)} % (activity started→completed)`,
    );
    console.log(
      `  queue wait scheduled→started p50 ${s(pct(queueWait, 50))}, p95 ${s(pct(queueWait, 95))}; ` +
        (gaps.length
          ? `slot idle between runs while work waited: p50 ${pct(gaps, 50)} ms, p95 ${pct(gaps, 95)} ms, max ${Math.max(...gaps)} ms (${gaps.length} hand-overs)`
          : 'no slot hand-over while work waited'),
    );
  } finally {
    for (const h of hosts) await removeHost(h, docker).catch(() => undefined);
    await connection.close();
    await client.connection.close();
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const papers = Number(argv[0] ?? 8);
  const hostCounts = (argv[1] ?? '1,2').split(',').map(Number);
  const slotsPerHost = Number(argv[2] ?? 2);
  const [stepS = 0.5, steps = 12] = (argv[3] ?? '0.5x12').split('x').map(Number);
  installRuntimeLogger('ERROR');
  const config = loadProcessConfig();
  const c = cluster(config);
  const t0 = Date.now();
  await up(c, createLogger('bench-hosts', 'warn'));
  console.log(`cluster up (or found up) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ds-bench-hosts-'));
  mkdirSync(dir, { recursive: true });
  console.log(
    `paperWorkflow (maxRuns ${SETTINGS.maxRuns}) with stub main activities in this process; GPU hosts run workers/gpu.ts ` +
      `and real sandbox runs of the steady fixture (${steps} steps of ${stepS} s) through the cluster (${clusterEnv(c).SCIENTIST_TEMPORAL_ADDRESS})`,
  );
  try {
    for (const hostCount of hostCounts)
      await scenario({ papers, hostCount, slotsPerHost, steps, stepS, env: clusterEnv(c), code, dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
