/**
 * The operator's side of the workflow messages (contracts/messages.ts): queries with a deadline
 * that fall back when no worker answers, durable signals, and updates refused up front when no
 * worker could answer them; Temporal's "not found" turned into unknown id or ended workflow.
 */
import {
  QueryNotRegisteredError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { Config } from '../lib/config';
import { CliError, EXIT, failureMessage, isConnectionError, isDeadline } from './errors';
import { describe, executionStatus, notFound } from './find-workflows';

/** How long a query may take before we fall back to what the server knows. */
export const QUERY_TIMEOUT_MS = 5000;
/** How long an update may wait for the workflow's worker to answer. */
export const UPDATE_TIMEOUT_MS = 30_000;

/** Whether some worker polled the workflow task queue recently (queries and updates need one). */
export async function hasWorker(client: Client, config: Config, taskQueue: string): Promise<boolean> {
  try {
    const res = await client.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ },
      taskQueueType: 1 /* WORKFLOW */,
    });
    return (res.pollers ?? []).length > 0;
  } catch {
    // Cannot tell: let the query or update try (they have their own deadlines).
    return true;
  }
}

/** A query with a deadline; `undefined` (and why) when no worker answered. */
export async function queryWithDeadline<T>(
  client: Client,
  id: string,
  query: QueryDefinition<T, []>,
  timeoutMs = QUERY_TIMEOUT_MS,
): Promise<{ value?: T; why?: string }> {
  const name = query.name;
  try {
    const value = await client.connection.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.getHandle(id).query(query),
    );
    return { value };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await notFound(client, id);
    if (isConnectionError(err)) throw err;
    if (err instanceof QueryNotRegisteredError)
      return { why: `the workflow does not answer the \`${name}\` query (not a campaign or paper?)` };
    return { why: `no worker answered the \`${name}\` query within ${timeoutMs / 1000} s` };
  }
}

/**
 * Sends a signal. Signals are durable: a workflow whose worker is down gets it when a worker
 * comes back. A closed workflow takes none.
 */
export async function sendSignal<Args extends unknown[]>(
  client: Client,
  id: string,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<void> {
  try {
    await client.workflow.getHandle(id).signal(signal, ...args);
  } catch (err) {
    throw await explainSendError(client, id, err);
  }
}

/**
 * Sends an update and waits for the workflow's answer. An update needs a worker: without one
 * we refuse up front instead of leaving the caller waiting.
 */
export async function sendUpdate<T, Args extends [unknown, ...unknown[]]>(
  client: Client,
  config: Config,
  id: string,
  update: UpdateDefinition<T, Args>,
  args: Args,
  timeoutMs = UPDATE_TIMEOUT_MS,
): Promise<T> {
  const name = update.name;
  const desc = await describe(client, id);
  if (executionStatus(desc) !== 'running') throw closed(id, executionStatus(desc));
  if (!(await hasWorker(client, config, desc.taskQueue)))
    throw new CliError(
      `no worker is polling task queue ${desc.taskQueue}: \`${name}\` needs a running worker to answer (start one: node_modules/.bin/tsx workers/main.ts)`,
      EXIT.noWorker,
      'noWorker',
    );
  try {
    return await client.connection.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.getHandle(id).executeUpdate(update, { args }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new CliError(`${id} rejected \`${name}\`: ${failureMessage(err)}`, EXIT.rejected, 'rejected');
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadline(err))
      throw new CliError(
        `no answer to \`${name}\` from ${id} within ${timeoutMs / 1000} s: is its worker busy or stuck? (\`scientist status ${id}\`)`,
        EXIT.noWorker,
        'noWorker',
      );
    throw await explainSendError(client, id, err);
  }
}

function closed(id: string, execution: string): CliError {
  return new CliError(
    `${id} has already ended (${execution}); it takes no more messages`,
    EXIT.rejected,
    'rejected',
  );
}

/** Not found: unknown id, or a workflow that has ended (the server says "not found" for both). */
async function explainSendError(client: Client, id: string, err: unknown): Promise<unknown> {
  if (!(err instanceof WorkflowNotFoundError) && !/already completed/.test(String(err))) return err;
  try {
    const desc = await client.workflow.getHandle(id).describe();
    return closed(id, executionStatus(desc));
  } catch {
    return notFound(client, id);
  }
}
