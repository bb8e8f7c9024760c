/** One way to connect to Temporal, for clients (CLI, tests) and workers alike. */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Config } from './config';
import { connectionOptions } from './temporal-client';

export { connectClient, workflowUiUrl } from './temporal-client';

/** The connection a Worker polls on. */
export function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}

let runtimeInstalled = false;

/**
 * Sets the Temporal SDK's log level for this process, once, before any worker is created.
 * Worker processes keep the SDK's INFO lines; the CLI and tests only want warnings.
 */
export function installRuntimeLogger(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      // GPU workers serve activities only; the SDK warns about that on every start.
      if (entry.message.startsWith('No workflows registered')) return;
      const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
      process.stderr.write(
        `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} ${entry.level.padEnd(5)} temporal: ${entry.message}${meta}\n`,
      );
    }),
  });
}
