/**
 * Runs a worker process until SIGINT/SIGTERM, then shuts down gracefully: the SDK stops polling,
 * lets running activities finish within the grace time, and `run()` resolves.
 */
import { loadProcessConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { installRuntimeLogger } from '../lib/temporal';
import { createWorker, WorkerGroup, type CreateWorkerOptions, type WorkerRole } from './create-worker';

export async function runWorkerProcess(
  role: WorkerRole,
  extra: Partial<CreateWorkerOptions> = {},
): Promise<void> {
  const config = loadProcessConfig();
  const log = createLogger(`worker:${role}`, config.logLevel);
  installRuntimeLogger(config.logLevel === 'debug' ? 'DEBUG' : config.logLevel === 'info' ? 'INFO' : 'WARN');
  const { worker, connection } = await createWorker({ config, role, ...extra });
  const queues = worker instanceof WorkerGroup ? worker.taskQueues.join(',') : worker.options.taskQueue;
  log.info(`polling ${queues} on ${config.temporal.address}`, {
    namespace: config.temporal.namespace,
  });
  try {
    await worker.run();
  } finally {
    await connection.close();
    log.info('stopped');
  }
}

export function exitOnFailure(promise: Promise<void>, role: string): void {
  promise.catch((err: unknown) => {
    console.error(`worker:${role}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
