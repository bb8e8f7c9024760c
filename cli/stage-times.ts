/**
 * How long a workflow spent in each stage, read from its history: every stage change is an
 * upsert of the `ScientistStage` search attribute (workflows/stage-board.ts), so the events'
 * times say when each stage began, and the close event when the last one ended. Nothing is
 * added to the workflow for this.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { SA } from '../contracts';

export interface StageTime {
  stage: string;
  ms: number;
}

/** A history event, as far as this module reads it. */
interface StageEvent {
  eventTime?: Parameters<typeof tsToMs>[0];
  workflowExecutionStartedEventAttributes?: { searchAttributes?: IndexedFields | null } | null;
  upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes?: IndexedFields | null } | null;
  workflowExecutionCompletedEventAttributes?: unknown;
  workflowExecutionFailedEventAttributes?: unknown;
  workflowExecutionTimedOutEventAttributes?: unknown;
  workflowExecutionCanceledEventAttributes?: unknown;
  workflowExecutionTerminatedEventAttributes?: unknown;
  workflowExecutionContinuedAsNewEventAttributes?: unknown;
}
type IndexedFields = { indexedFields?: Record<string, Payload> | null };

function stageIn(fields: IndexedFields | null | undefined): string | undefined {
  const payload = fields?.indexedFields?.[SA.stage.name];
  if (!payload) return undefined;
  const v: unknown = defaultPayloadConverter.fromPayload(payload);
  return typeof v === 'string' ? v : undefined;
}

const closes = (e: StageEvent) =>
  Boolean(
    e.workflowExecutionCompletedEventAttributes ??
    e.workflowExecutionFailedEventAttributes ??
    e.workflowExecutionTimedOutEventAttributes ??
    e.workflowExecutionCanceledEventAttributes ??
    e.workflowExecutionTerminatedEventAttributes ??
    e.workflowExecutionContinuedAsNewEventAttributes,
  );

/**
 * Time per stage, in the order the stages were first entered; a stage entered twice adds up.
 * The value marked at the end (`completed`, `failed`, …) is a final state, not a stage, and gets
 * no time. An open workflow's current stage runs until `now`.
 */
export function stageTimes(events: StageEvent[], now = Date.now()): StageTime[] {
  const totals = new Map<string, number>();
  let current: { stage: string; since: number } | undefined;
  const leave = (at: number) => {
    if (current)
      totals.set(current.stage, (totals.get(current.stage) ?? 0) + Math.max(0, at - current.since));
  };
  let closedAt: number | undefined;
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    if (closes(e)) {
      closedAt = at;
      break;
    }
    const stage =
      stageIn(e.workflowExecutionStartedEventAttributes?.searchAttributes) ??
      stageIn(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes);
    if (stage === undefined || stage === current?.stage) continue;
    leave(at);
    current = { stage, since: at };
  }
  // The final mark (e.g. `completed`) is upserted just before the close: it ends the last stage.
  const last = current;
  if (last && closedAt !== undefined && FINAL_MARKS.has(last.stage)) {
    totals.delete(last.stage);
  } else {
    leave(closedAt ?? now);
  }
  return [...totals].map(([stage, ms]) => ({ stage, ms }));
}

/** Values the stage attribute takes once a workflow has ended (see the workflows' outcomes). */
const FINAL_MARKS = new Set(['completed', 'failed', 'cancelled', 'over-budget', 'done', 'rejected']);

/** Reads a workflow's history and returns its time per stage. */
export async function workflowStageTimes(client: Client, workflowId: string): Promise<StageTime[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return stageTimes(history.events ?? []);
}

/** `1 min 5 s`, `42 s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

/** `ideation 1 min 5 s · novelty 40 s`. */
export function formatStageTimes(times: StageTime[]): string {
  return times.map((t) => `${t.stage} ${formatDuration(t.ms)}`).join(' · ');
}
