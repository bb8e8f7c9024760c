/**
 * Per-suite isolation on shared real services: every suite gets its own task queues and its own
 * key prefix in the bucket, so suites never see each other's work.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { loadProcessConfig, type Config } from '../../lib/config';
import { S3ArtifactStore } from '../../lib/store';
import { connectClient, installRuntimeLogger } from '../../lib/temporal';
import {
  ACTIVITY_WORKER_OPTIONS,
  createWorker,
  realDeps,
  type PollingWorker,
} from '../../workers/create-worker';
import { workflowBundlePath } from './paths';

export function uniqueId(label: string): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** The developer's config with this suite's own queues and key prefix. */
export function suiteConfig(suite: string, overrides: Record<string, string> = {}): Config {
  const id = uniqueId(suite);
  return loadProcessConfig({
    ...process.env,
    SCIENTIST_TASK_QUEUE: `test-${id}-main`,
    SCIENTIST_GPU_TASK_QUEUE: `test-${id}-gpu`,
    SCIENTIST_S3_PREFIX: `test/${id}/`,
    SCIENTIST_LOG_LEVEL: 'warn',
    ...overrides,
  });
}

export function suiteStore(config: Config): S3ArtifactStore {
  return S3ArtifactStore.fromConfig(config);
}

export interface TestWorkers {
  client: Client;
  config: Config;
  deps: ActivityDeps;
  /** Runs `fn` while both workers poll; stops them afterwards. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A main and a GPU worker on the suite's queues, with the pre-built workflow bundle. */
export async function startTestWorkers(
  config: Config,
  deps: ActivityDeps = realDeps(config),
): Promise<TestWorkers> {
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  const made: { worker: PollingWorker; close: () => Promise<void> }[] = [];
  for (const role of ['main', 'gpu'] as const) {
    const { worker, connection } = await createWorker({
      config,
      role,
      deps,
      workflowBundlePath: workflowBundlePath(),
    });
    made.push({
      worker,
      close: async () => {
        // A worker that never ran still holds its connection until it has run and shut down.
        if (worker.getState() === 'INITIALIZED') await worker.runUntil(Promise.resolve());
        await connection.close();
      },
    });
  }
  return {
    client,
    config,
    deps,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
      return a.worker.runUntil(b.worker.runUntil(fn));
    },
    async close() {
      await Promise.all(made.map((m) => m.close()));
      await client.connection.close();
    },
  };
}

/**
 * Workers on the suite's queues that serve the real workflows with the given (stub)
 * activities: for tests whose point is the orchestration.
 */
export async function startStubWorkers(
  config: Config,
  activities: { main: object; gpu: object },
): Promise<{ client: Client; run<T>(fn: () => Promise<T>): Promise<T>; close(): Promise<void> }> {
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const main = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: { codePath: workflowBundlePath() },
    activities: activities.main,
    ...ACTIVITY_WORKER_OPTIONS,
  });
  const gpu = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.gpuTaskQueue,
    activities: activities.gpu,
    ...ACTIVITY_WORKER_OPTIONS,
  });
  return {
    client,
    run: (fn) => main.runUntil(gpu.runUntil(fn)),
    async close() {
      await connection.close();
      await client.connection.close();
    },
  };
}
