/**
 * A template whose template.json says it needs a GPU, on the real services: its runs go only to
 * a worker that has a GPU (one that polls the GPU queue's `@cuda` queue), and with no such worker
 * the campaign's preflight ends it `preflight-failed` at $0 with "needs a GPU; no worker serving
 * <queue> has one", before any run or model call. This machine has no GPU: the GPU host here is
 * a real GPU worker process's workers (SCIENTIST_GPU_COUNT=1, so one slot of kind gpu, polling
 * the GPU queue and its @cuda queue with one shared slot) over a sandbox that records the GPU
 * each run asked for and then runs it on the CPU. A template that declares nothing still runs on
 * the CPU-mode worker.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActivityDeps } from '../../activities';
import { storeTemplate } from '../../activities/experiments/template-source';
import {
  artifactsQuery,
  DEFAULT_CAMPAIGN_SETTINGS,
  DEFAULT_PAPER_SETTINGS,
  gpuQueueFor,
  noGpuWorkerMessage,
} from '../../contracts';
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config';
import { connectClient } from '../../lib/temporal';
import { createWorker, realDeps, WorkerGroup } from '../../workers/create-worker';
import type { CampaignInput, campaignWorkflow } from '../../workflows';
import { startTestWorkers, suiteStore, uniqueId } from '../harness';
import { FakeLlmServer, reply } from '../llm/fake-llm-server';
import { fakeModelSuiteConfig } from './fake-model';
import { FIXTURES } from './helpers';

const USER = path.join(FIXTURES, 'user');
const MODEL = 'gpu-routing-model';
const tmpDirs: string[] = [];

let llm: FakeLlmServer;
let config: Config;
/** Model requests wait here until the test has looked (the campaign is terminated meanwhile). */
const waiting: (() => void)[] = [];

beforeAll(async () => {
  llm = await FakeLlmServer.start();
  llm.fallback = () => new Promise((resolve) => waiting.push(() => resolve(reply.contextLength())));
  config = fakeModelSuiteConfig('gpu-routing', llm, MODEL);
});

afterAll(async () => {
  waiting.forEach((go) => go());
  await llm?.close();
  tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/**
 * Activity deps whose sandbox records the GPU each experiment run asked for (none: 'cpu'), then
 * runs it without one; other sandbox runs (the LaTeX compile) are not recorded.
 */
function recordingDeps(cfg: Config): { deps: ActivityDeps; runs: string[] } {
  const deps = realDeps(cfg);
  const runs: string[] = [];
  const sandbox = deps.sandbox;
  return {
    runs,
    deps: {
      ...deps,
      sandbox: {
        run: (spec) => {
          if (spec.command.includes('experiment.py')) runs.push(spec.gpuDeviceIds?.join(',') ?? 'cpu');
          return sandbox.run({ ...spec, gpuDeviceIds: undefined });
        },
        reapOrphans: () => sandbox.reapOrphans(),
        ...(sandbox.describeImage ? { describeImage: (image) => sandbox.describeImage!(image) } : {}),
      },
    },
  };
}

function copyOf(fixture: string, change?: (dir: string) => void): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tpl-gpu-routing-'));
  tmpDirs.push(root);
  const dir = path.join(root, fixture);
  cpSync(path.join(USER, fixture), dir, { recursive: true });
  change?.(dir);
  return dir;
}

function input(template: string, templateKey: string): CampaignInput {
  return {
    template,
    templateKey,
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings: {
      ...DEFAULT_CAMPAIGN_SETTINGS,
      ideas: 1,
      papers: 1,
      paper: { ...DEFAULT_PAPER_SETTINGS, fast: true },
    },
  };
}

/** Pollers Temporal lists for a queue's activities (the preflight asks the same). */
async function pollersOf(client: Client, taskQueue: string): Promise<number> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: config.temporal.namespace,
    taskQueue: { name: taskQueue, kind: 1 },
    taskQueueType: 2,
  });
  return (res.pollers ?? []).length;
}

/**
 * Starts a campaign on the template and waits until it ended or asked the model; returns the
 * outcome (ended) or the baseline's final_info.json (asked, then terminated).
 */
async function campaign(
  dir: string,
  cpuWorker: ActivityDeps,
  around: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<{
  outcome?: Awaited<ReturnType<typeof campaignWorkflow>>;
  finalInfo?: unknown;
  requests: number;
}> {
  const store = suiteStore(config);
  const stored = await storeTemplate(store, dir);
  const before = llm.requests.length;
  const workers = await startTestWorkers(config, cpuWorker);
  try {
    return await workers.run(() =>
      around(async () => {
        const handle = await workers.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
          workflowId: `campaign-${stored.info.name}-${uniqueId('gpu')}`,
          taskQueue: config.temporal.taskQueue,
          args: [input(stored.info.name, stored.templateKey)],
        });
        const deadline = Date.now() + 240_000;
        while (llm.requests.length === before) {
          const d = await handle.describe();
          if (d.status.name !== 'RUNNING') return { outcome: await handle.result(), requests: 0 };
          if (Date.now() > deadline)
            throw new Error(`${handle.workflowId}: neither ended nor asked the model`);
          await new Promise((r) => setTimeout(r, 500));
        }
        const { keys } = await handle.query(artifactsQuery);
        await handle.terminate('test: the preflight passed and the model was asked');
        return { finalInfo: await store.getJson(keys.baseline!), requests: llm.requests.length - before };
      }),
    );
  } finally {
    await workers.close();
  }
}

test('a template that needs a GPU of capability 8.0, no worker with one: "needs a GPU", $0, no run, no model request', async () => {
  const cpu = recordingDeps(config);
  const dir = copyOf('gpu-declared', (d) =>
    writeFileSync(path.join(d, 'template.json'), JSON.stringify({ gpu: { minCapability: '8.0' } })),
  );
  const { outcome, requests } = await campaign(dir, cpu.deps);
  expect(outcome?.state).toBe('preflight-failed');
  expect(outcome?.reason).toBe(
    noGpuWorkerMessage('gpu-declared', config.temporal.gpuTaskQueue, { minCapability: '8.0' }),
  );
  expect(outcome?.reason).toContain(
    `template gpu-declared needs a GPU of compute capability 8.0 or more; no worker serving ${config.temporal.gpuTaskQueue} has one`,
  );
  expect(outcome?.cost.costUsd).toBe(0);
  expect(outcome?.cost.calls).toBe(0);
  expect(requests).toBe(0);
  // Refused before the baseline could run on the CPU-mode worker.
  expect(cpu.runs).toEqual([]);
}, 300_000);

test('a worker with a GPU polls @cuda and takes the template’s baseline; the CPU-mode worker polls only the GPU queue and takes none', async () => {
  const cpu = recordingDeps(config);
  const hostConfig: Config = { ...config, gpu: { count: 1, cpuSlots: 1 } };
  const gpu = recordingDeps(hostConfig);
  const host = await createWorker({ config: hostConfig, role: 'gpu', deps: gpu.deps });
  expect(host.worker).toBeInstanceOf(WorkerGroup);
  expect((host.worker as WorkerGroup).taskQueues).toEqual([
    config.temporal.gpuTaskQueue,
    gpuQueueFor(config.temporal.gpuTaskQueue, {}),
  ]);
  try {
    const { finalInfo, outcome, requests } = await campaign(copyOf('gpu-declared'), cpu.deps, (fn) =>
      host.worker.runUntil(fn),
    );
    expect(outcome).toBeUndefined();
    expect(requests).toBeGreaterThan(0);
    // The baseline ran once, on the GPU host's slot 0 (then on this machine's CPU: it has no GPU).
    expect(gpu.runs).toEqual(['0']);
    expect(cpu.runs).toEqual([]);
    expect((finalInfo as Record<string, { means: Record<string, number> }>).line!.means.on_cuda).toBe(0);
  } finally {
    await host.connection.close();
  }
  const client = await connectClient(config);
  try {
    expect(await pollersOf(client, gpuQueueFor(config.temporal.gpuTaskQueue, {}))).toBeGreaterThan(0);
  } finally {
    await client.connection.close();
  }
}, 300_000);

test('a template that declares nothing still runs its baseline on the CPU-mode worker', async () => {
  const cpu = recordingDeps(config);
  const { finalInfo, outcome } = await campaign(copyOf('helper-args'), cpu.deps);
  expect(outcome).toBeUndefined();
  expect((finalInfo as Record<string, { means: Record<string, number> }>).noisy_line!.means.steps).toBe(25);
  expect(cpu.runs).toEqual(['cpu']);
}, 300_000);
