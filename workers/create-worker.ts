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
import { gpuQueuesServed } from '../contracts';
import { SharedActivitySlots } from './shared-slots';
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

/** What callers do with a worker: one SDK Worker, or a GPU host's workers on several queues. */
export interface PollingWorker {
  run(): Promise<void>;
  runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R>;
  shutdown(): void;
  getState(): ReturnType<Worker['getState']>;
  /** The first (or only) queue it polls. */
  readonly options: { taskQueue: string };
}

/**
 * The workers of a GPU host, one per queue it polls (contracts/gpu-routing.ts), run and stopped
 * together; they share one activity set (one SlotPool) and one slot budget (SharedActivitySlots).
 */
export class WorkerGroup implements PollingWorker {
  readonly options: { taskQueue: string };
  constructor(readonly workers: Worker[]) {
    this.options = { taskQueue: workers[0]!.options.taskQueue };
  }
  get taskQueues(): string[] {
    return this.workers.map((w) => w.options.taskQueue);
  }
  async run(): Promise<void> {
    // One worker failing stops the others, so the process exits and is restarted whole.
    await Promise.all(
      this.workers.map((w) =>
        w.run().catch((err: unknown) => {
          this.shutdown();
          throw err;
        }),
      ),
    );
  }
  runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    const fn = typeof fnOrPromise === 'function' ? fnOrPromise : () => fnOrPromise;
    return this.workers.reduce<() => Promise<R>>((inner, w) => () => w.runUntil(inner), fn)();
  }
  shutdown(): void {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
  }
  getState(): ReturnType<Worker['getState']> {
    return this.workers[0]!.getState();
  }
}

export async function createWorker(
  options: CreateWorkerOptions,
): Promise<{ worker: PollingWorker; connection: NativeConnection }> {
  const { config, role } = options;
  const deps = options.deps ?? realDeps(config, `${role}-activities`);
  const connection = options.connection ?? (await connectWorker(config));
  const taskQueue =
    options.taskQueue ?? (role === 'main' ? config.temporal.taskQueue : config.temporal.gpuTaskQueue);
  const slots = role === 'gpu' ? await discoverGpuSlots(config) : [];
  const base: WorkerOptions = {
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    identity: `${role}@${hostname()}:${process.pid}`,
    // A GPU worker runs at most one experiment per GPU slot (CPU mode: SCIENTIST_CPU_SLOTS).
    maxConcurrentActivityTaskExecutions:
      options.maxConcurrentActivities ?? (role === 'gpu' ? slots.length : undefined),
    // Graceful shutdown: running activities get this long to finish before they are cancelled.
    shutdownGraceTime: '30 seconds',
    ...ACTIVITY_WORKER_OPTIONS,
  };
  // Sandboxes a crashed predecessor left behind on this host are removed before we take work.
  await deps.sandbox.reapOrphans();
  // A host with GPUs also polls the queues of runs that need one; a given queue (tests) is the only one.
  const gpuQueues = role === 'gpu' && !options.taskQueue ? gpuQueuesServed(taskQueue, slots) : [];
  if (gpuQueues.length > 1) {
    const shared = new SharedActivitySlots(base.maxConcurrentActivityTaskExecutions!);
    const activities = createGpuActivities(deps);
    const { maxConcurrentActivityTaskExecutions: _perQueue, ...common } = base;
    const workers = await Promise.all(
      gpuQueues.map((queue) =>
        Worker.create({
          ...common,
          taskQueue: queue,
          activities,
          tuner: {
            activityTaskSlotSupplier: shared.supplier(queue),
            workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
            localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
            nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
          },
        }),
      ),
    );
    return { worker: new WorkerGroup(workers), connection };
  }
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
