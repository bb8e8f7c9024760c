/**
 * The operator's side of the workflow messages (contracts/messages.ts): connecting, finding
 * workflows, querying with a fallback for workflows no worker serves, sending signals and
 * updates, and turning Temporal's errors into messages a person can act on. The commands
 * themselves are in ./ops.ts.
 */
import {
  Client,
  QueryNotRegisteredError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../lib/config';
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { artifactsQuery, type CampaignStatus, type PaperStatus, paperStatusQuery, SA } from '../contracts';
import { connectClient } from '../lib/temporal-client';

/** Exit codes, documented in the README: scripts can tell the failures apart. */
export const EXIT = {
  error: 1,
  usage: 2,
  notFound: 3,
  unreachable: 4,
  rejected: 5,
  noWorker: 6,
} as const;

/** An error whose message is meant for the operator as is. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly code: keyof typeof EXIT = 'error',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** How long a query may take before we fall back to what the server knows. */
export const QUERY_TIMEOUT_MS = 5000;
/** How long an update may wait for the workflow's worker to answer. */
export const UPDATE_TIMEOUT_MS = 30_000;

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

const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** gRPC UNAVAILABLE, or the SDK's own "could not connect" error. */
export function isConnectionError(err: unknown): boolean {
  if (isGrpcServiceError(err) && Number(err.code) === GRPC_UNAVAILABLE) return true;
  const cause = err instanceof Error ? err.cause : undefined;
  if (isGrpcServiceError(cause) && Number(cause.code) === GRPC_UNAVAILABLE) return true;
  return err instanceof Error && /Failed to connect before the deadline|ECONNREFUSED/.test(err.message);
}

// ------------------------------------------------------------------ ids and visibility

/** Values that go into a visibility query verbatim: no quotes, no spaces. */
const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/;

/** Commander argument parser for a workflow id. */
export function parseWorkflowId(value: string): string {
  if (!KEYWORD.test(value))
    throw new InvalidArgumentError(`"${value}" is not a workflow id (letters, digits, . _ : @ + -)`);
  return value;
}

/** Commander option parser for keyword filters (template, stage, campaign). */
export function parseKeyword(value: string): string {
  if (!KEYWORD.test(value))
    throw new InvalidArgumentError(`"${value}" is not a valid value (letters, digits, . _ : @ + -)`);
  return value;
}

/** Commander parser for an amount of money or a score: a finite number ≥ 0. */
export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return n;
}

/** Commander parser for a budget: a finite number > 0. */
export function parsePositive(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

export const EXECUTION_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
} as const;

export interface ListFilters {
  kind?: 'campaign' | 'paper';
  template?: string;
  campaign?: string;
  stage?: string;
  decision?: 'Accept' | 'Reject';
  minScore?: number;
  maxScore?: number;
  status?: keyof typeof EXECUTION_STATUSES;
}

/** The visibility query for the filters (values are validated keywords or numbers). */
export function buildListQuery(f: ListFilters): string {
  const eq = (name: string, v: string) => `${name} = '${v}'`;
  const parts = [f.kind ? eq(SA.kind.name, f.kind) : `${SA.kind.name} IN ('campaign', 'paper')`];
  if (f.template) parts.push(eq(SA.template.name, f.template));
  if (f.campaign) parts.push(eq(SA.campaign.name, f.campaign));
  if (f.stage) parts.push(eq(SA.stage.name, f.stage));
  if (f.decision) parts.push(eq(SA.decision.name, f.decision));
  if (f.minScore !== undefined) parts.push(`${SA.score.name} >= ${f.minScore}`);
  if (f.maxScore !== undefined) parts.push(`${SA.score.name} <= ${f.maxScore}`);
  if (f.status) parts.push(eq('ExecutionStatus', EXECUTION_STATUSES[f.status]));
  return parts.join(' AND ');
}

/** Our search attributes of one execution, as plain values. */
export interface ScientistAttributes {
  kind?: string;
  template?: string;
  campaign?: string;
  models?: string;
  stage?: string;
  decision?: string;
  score?: number;
  costUsd?: number;
}

export function scientistAttributes(info: Pick<WorkflowExecutionInfo, 'typedSearchAttributes'>) {
  const sa = info.typedSearchAttributes;
  const out: ScientistAttributes = {
    kind: sa.get(SA.kind),
    template: sa.get(SA.template),
    campaign: sa.get(SA.campaign),
    models: sa.get(SA.models),
    stage: sa.get(SA.stage),
    decision: sa.get(SA.decision),
    score: sa.get(SA.score),
    costUsd: sa.get(SA.costUsd),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ScientistAttributes;
}

/** `RUNNING` → `running`, `CONTINUED_AS_NEW` → `continued-as-new`. */
export function executionStatus(info: Pick<WorkflowExecutionInfo, 'status'>): string {
  return info.status.name.toLowerCase().replace(/_/g, '-');
}

export interface ListedWorkflow extends ScientistAttributes {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string;
  closeTime?: string;
}

export async function listWorkflows(client: Client, query: string, limit: number): Promise<ListedWorkflow[]> {
  const out: ListedWorkflow[] = [];
  for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    out.push({
      workflowId: w.workflowId,
      runId: w.runId,
      type: w.type,
      status: executionStatus(w),
      startTime: w.startTime.toISOString(),
      closeTime: w.closeTime?.toISOString(),
      ...scientistAttributes(w),
    });
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * The error for an id the server does not know, with a few ids that contain it when there are
 * any (people type the idea name, not the whole id).
 */
export async function notFound(client: Client, id: string): Promise<CliError> {
  let hint = '';
  try {
    const near = (await listWorkflows(client, buildListQuery({}), 500))
      .map((w) => w.workflowId)
      .filter((w, i, a) => w.includes(id) && a.indexOf(w) === i)
      .slice(0, 3);
    if (near.length) hint = ` (did you mean ${near.join(', ')}?)`;
  } catch {
    // Suggestions are a nicety; the error stands without them.
  }
  return new CliError(
    `no workflow with id ${id}${hint}; \`scientist ls\` lists them`,
    EXIT.notFound,
    'notFound',
  );
}

/** Describes a workflow; an unknown id becomes the not-found CliError. */
export async function describe(client: Client, id: string): Promise<WorkflowExecutionDescription> {
  try {
    return await client.workflow.getHandle(id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await notFound(client, id);
    throw err;
  }
}

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

export type AnyStatus = PaperStatus | CampaignStatus;

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

export interface StatusReport {
  workflowId: string;
  runId: string;
  type: string;
  kind?: string;
  /** Temporal's execution status: running, completed, failed, … */
  execution: string;
  startTime: string;
  closeTime?: string;
  /** The workflow's own answer to the `status` query, when a worker gave one. */
  status?: AnyStatus;
  /** Why `status` is missing (then the rest comes from the server's records). */
  statusNote?: string;
  searchAttributes: ScientistAttributes;
  memo?: Record<string, unknown>;
  /** The outcome of a completed workflow. */
  result?: unknown;
  /** The failure of a failed or terminated workflow. */
  failure?: string;
  /** Activities the server is waiting on (their last failure is often the "why"). */
  pendingActivities: { type: string; attempt: number; state: string; lastFailure?: string }[];
  uiUrl: string;
}

/** Everything `scientist status` shows: the query when a worker answers, else the server's records. */
export async function statusReport(
  client: Client,
  config: Config,
  id: string,
  uiUrl: (runId: string) => string,
): Promise<StatusReport> {
  const desc = await describe(client, id);
  const execution = executionStatus(desc);
  const attrs = scientistAttributes(desc);
  let status: AnyStatus | undefined;
  let statusNote: string | undefined;
  if (await hasWorker(client, config, desc.taskQueue)) {
    // Campaigns and papers answer the same `status` query, each with its own shape.
    const q = await queryWithDeadline<AnyStatus>(client, id, paperStatusQuery);
    status = q.value;
    statusNote = q.why;
  } else {
    statusNote = `no worker is polling task queue ${desc.taskQueue}, so the workflow cannot answer queries`;
  }
  let result: unknown;
  let failure: string | undefined;
  const handle = client.workflow.getHandle(id, desc.runId);
  if (execution === 'completed') {
    result = await handle.result().catch(() => undefined);
  } else if (execution !== 'running') {
    failure = await handle.result().then(
      () => undefined,
      (err: unknown) => failureMessage(err),
    );
  }
  const pendingActivities = (desc.raw.pendingActivities ?? []).map((a) => ({
    type: a.activityType?.name ?? '?',
    attempt: a.attempt ?? 1,
    state: String(a.state ?? ''),
    lastFailure: a.lastFailure?.message ?? undefined,
  }));
  return {
    workflowId: desc.workflowId,
    runId: desc.runId,
    type: desc.type,
    kind: status?.kind ?? attrs.kind,
    execution,
    startTime: desc.startTime.toISOString(),
    closeTime: desc.closeTime?.toISOString(),
    status,
    statusNote: status ? undefined : statusNote,
    searchAttributes: attrs,
    memo: desc.memo && Object.keys(desc.memo).length ? desc.memo : undefined,
    result,
    failure,
    pendingActivities,
    uiUrl: uiUrl(desc.runId),
  };
}

/** The innermost message of a failure chain (the one that says what went wrong). */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  let msg = err instanceof Error ? err.message : String(err);
  while (e instanceof Error && e.cause instanceof Error) {
    e = e.cause;
    if ((e as Error).message) msg = (e as Error).message;
  }
  return msg;
}

// ------------------------------------------------------------------ messages

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

function isDeadline(err: unknown): boolean {
  return isGrpcServiceError(err) && [GRPC_CANCELLED, GRPC_DEADLINE_EXCEEDED].includes(Number(err.code));
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

// ------------------------------------------------------------------ artifacts

/** `artifacts` labels → keys; from the query, else from a listing of the paper's store prefix. */
export async function artifactKeys(
  client: Client,
  config: Config,
  id: string,
  list: (prefix: string) => Promise<{ key: string }[]>,
): Promise<{ keys: Record<string, string>; source: 'query' | 'store'; note?: string }> {
  const desc = await describe(client, id);
  let note: string | undefined;
  if (await hasWorker(client, config, desc.taskQueue)) {
    const q = await queryWithDeadline(client, id, artifactsQuery);
    if (q.value) return { keys: q.value.keys, source: 'query' };
    note = q.why;
  } else {
    note = `no worker is polling task queue ${desc.taskQueue}`;
  }
  const kind = scientistAttributes(desc).kind ?? (id.startsWith('campaign-') ? 'campaign' : 'paper');
  const prefix = `${kind === 'campaign' ? 'campaigns' : 'papers'}/${id}/`;
  const keys: Record<string, string> = {};
  for (const o of await list(prefix)) keys[o.key.slice(prefix.length)] = o.key;
  return { keys, source: 'store', note: `${note}; listed the store under ${prefix} instead` };
}

/**
 * The label of a run's log: `3`, `run_3` → the log of run 3; a label with a slash is taken as
 * is; nothing → the latest run's log.
 */
export function pickLogLabel(keys: Record<string, string>, run?: string): string | undefined {
  const labels = Object.keys(keys);
  if (run?.includes('/')) return labels.includes(run) ? run : undefined;
  const runLogs = labels
    .map((label) => ({ label, n: /(?:^|\/)run_(\d+)(?:\/|$)/.exec(label)?.[1] }))
    .filter((x): x is { label: string; n: string } => x.n !== undefined && /log/.test(x.label))
    // Several attempts of one run (store listing): the last attempt's log wins.
    .sort((a, b) => Number(a.n) - Number(b.n) || a.label.localeCompare(b.label, 'en', { numeric: true }));
  if (run === undefined) return runLogs.at(-1)?.label;
  const n = /^(?:run_)?(\d+)$/.exec(run)?.[1];
  if (n === undefined) return undefined;
  return runLogs.filter((x) => Number(x.n) === Number(n)).at(-1)?.label;
}
