/**
 * The Temporal client of one operator command: connected for the command, closed after it, and
 * a server that is down (at connect time or mid-command) reported as what to start or check.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import { connectClient } from '../lib/temporal-client';
import { CliError, EXIT, isConnectionError } from './errors';

/** Runs `fn` with a connected client; a server that is down becomes a clear CliError. */
export async function withClient<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  let client: Client;
  try {
    client = await connectClient(config);
  } catch (err) {
    throw unreachable(config, err);
  }
  try {
    return await fn(client);
  } catch (err) {
    throw isConnectionError(err) ? unreachable(config, err) : err;
  } finally {
    await client.connection.close().catch(() => undefined);
  }
}

function unreachable(config: Config, err: unknown): CliError {
  const why = err instanceof Error ? err.message : String(err);
  return new CliError(
    `Temporal is not reachable at ${config.temporal.address} (${why}); start it with \`npm run services -- up\` or check SCIENTIST_TEMPORAL_ADDRESS`,
    EXIT.unreachable,
    'unreachable',
  );
}
