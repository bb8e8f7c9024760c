/**
 * Finding workflows: the visibility query behind `scientist ls`, our search attributes read back
 * as plain values, and `describe` with a not-found error that suggests the ids that were meant.
 */
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { SA } from '../contracts';
import { CliError, EXIT } from './errors';

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
