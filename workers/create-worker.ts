/**
 * Wiring shared by the worker processes and the tests: real clients built from config, the
 * activity set of a role, and the workflow bundle.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createGpuActivities, createMainActivities, type ActivityDeps } from '../activities';
import { HEARTBEAT_THROTTLE_MS, keepAliveInterceptor } from '../activities/keepalive';
import type { Config } from '../lib/config';
import { createLogger } from '../lib/log';
import { S3ArtifactStore } from '../lib/store';
import { connectWorker } from '../lib/temporal';
import { DockerSandboxRunner } from '../sandbox';
import { discoverGpuSlots } from '../activities/experiments';
import Docker from 'dockerode';

export type WorkerRole = 'main' | 'gpu';

/** The real dependencies of activities, from config. */
export function realDeps(config: Config, name = 'activities'): ActivityDeps {
  const log = createLogger(name, config.logLevel);
  return {
    config,
    log,
    store: S3ArtifactStore.fromConfig(config),
    sandbox: new DockerSandboxRunner(new Docker({ socketPath: config.docker.socketPath }), log, {
      workRoot: path.join(config.dataDir, 'sandbox-work'),
    }),
  };
}

/**
 * What every worker that runs our activities sets, test and bench workers included: activities
 * heartbeat on a timer (activities/keepalive.ts), and the SDK sends heartbeats on within 1 s
 * instead of holding them back for 80 % of the heartbeat timeout, so a retry finds the latest
 * progress: a training run's checkpoint key, how much of a cut-off model reply had streamed.
 */
export const ACTIVITY_WORKER_OPTIONS = {
  maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
  interceptors: { activity: [keepAliveInterceptor] },
} satisfies Partial<WorkerOptions>;

export interface CreateWorkerOptions {
  config: Config;
  role: WorkerRole;
  /** Defaults to the role's queue from config. */
  taskQueue?: string;
  deps?: ActivityDeps;
  connection?: NativeConnection;
  /** A pre-built bundle (tests build one for all suites); otherwise bundled at start (< 1 s). */
  workflowBundlePath?: string;
  /** Concurrent activities; the GPU worker passes its GPU slot count. */
  maxConcurrentActivities?: number;
}

export async function createWorker(
  options: CreateWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { config, role } = options;
  const deps = options.deps ?? realDeps(config, `${role}-activities`);
  const connection = options.connection ?? (await connectWorker(config));
  const taskQueue =
    options.taskQueue ?? (role === 'main' ? config.temporal.taskQueue : config.temporal.gpuTaskQueue);
  const base: WorkerOptions = {
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    identity: `${role}@${hostname()}:${process.pid}`,
    // A GPU worker runs at most one experiment per GPU slot (CPU mode: SCIENTIST_CPU_SLOTS).
    maxConcurrentActivityTaskExecutions:
      options.maxConcurrentActivities ??
      (role === 'gpu' ? (await discoverGpuSlots(config)).length : undefined),
    // Graceful shutdown: running activities get this long to finish before they are cancelled.
    shutdownGraceTime: '30 seconds',
    ...ACTIVITY_WORKER_OPTIONS,
  };
  // Sandboxes a crashed predecessor left behind on this host are removed before we take work.
  await deps.sandbox.reapOrphans();
  const worker =
    role === 'main'
      ? await Worker.create({
          ...base,
          activities: createMainActivities(deps),
          ...(options.workflowBundlePath
            ? { workflowBundle: { codePath: options.workflowBundlePath } }
            : { workflowsPath: require.resolve('../workflows') }),
        })
      : await Worker.create({ ...base, activities: createGpuActivities(deps) });
  return { worker, connection };
}

/**
 * Runs `fn` while workers of the given roles poll in this process (the CLI's `--local-workers`,
 * `scientist up`, `scientist review`), then closes them; with no roles, just `fn`. A local GPU
 * worker takes one experiment at a time: it shares the machine with everything else.
 */
export async function withLocalWorkers<T>(
  config: Config,
  roles: WorkerRole[],
  fn: () => Promise<T>,
): Promise<T> {
  const workers = await Promise.all(
    roles.map((role) =>
      createWorker({ config, role, ...(role === 'gpu' ? { maxConcurrentActivities: 1 } : {}) }),
    ),
  );
  try {
    const polled = workers.reduce<() => Promise<T>>((run, w) => () => w.worker.runUntil(run()), fn);
    return await polled();
  } finally {
    await Promise.all(workers.map((w) => w.connection.close()));
  }
}
