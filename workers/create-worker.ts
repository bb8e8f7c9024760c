/**
 * Wiring shared by the worker processes and the tests: real clients built from config, the
 * activity set of a role, and the workflow bundle.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createGpuActivities, createMainActivities, type ActivityDeps } from '../activities';
import type { Config } from '../lib/config';
import { createLogger } from '../lib/log';
import { S3ArtifactStore } from '../lib/store';
import { connectWorker } from '../lib/temporal';
import { DockerSandboxRunner } from '../sandbox';
import { discoverGpuSlots } from './gpus';
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
    // A GPU worker runs at most one experiment per GPU slot (CPU mode: one slot).
    maxConcurrentActivityTaskExecutions:
      options.maxConcurrentActivities ??
      (role === 'gpu' ? (await discoverGpuSlots(config)).length : undefined),
    // Graceful shutdown: running activities get this long to finish before they are cancelled.
    shutdownGraceTime: '30 seconds',
    // Heartbeats carry checkpoint keys: without this the SDK holds them back for up to 80 % of
    // the 2-minute heartbeat timeout, and a run killed in its first minute restarts from step 0.
    maxHeartbeatThrottleInterval: '5 seconds',
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
