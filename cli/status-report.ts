/**
 * What `scientist status` shows of one workflow: the workflow's own answer to the `status`
 * query when a worker gives one, and otherwise what the server recorded (execution status,
 * search attributes, result or failure, the activities it waits on).
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import { type CampaignStatus, type PaperStatus, paperStatusQuery } from '../contracts';
import { failureMessage } from './errors';
import { describe, executionStatus, scientistAttributes, type ScientistAttributes } from './find-workflows';
import { hasWorker, queryWithDeadline } from './messages';

export type AnyStatus = PaperStatus | CampaignStatus;

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
