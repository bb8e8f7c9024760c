/**
 * Small helpers of the crash tests that need nothing of the pipeline: waiting, and reading a
 * workflow's activities back from its history.
 */
import type { WorkflowHandle } from '@temporalio/client';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined/false), or throws after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ActivityRecord {
  type: string;
  scheduledId: number;
  /** Attempt of the closing event (1 = first try). */
  attempt?: number;
  state: 'scheduled' | 'completed' | 'failed' | 'timed-out' | 'cancelled';
}

/** The workflow's activities, in order, with how each ended and after how many attempts. */
export async function activitiesOf(handle: WorkflowHandle): Promise<ActivityRecord[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const byId = new Map<number, ActivityRecord>();
  for (const e of events) {
    const id = Number(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      byId.set(id, {
        type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
        scheduledId: id,
        state: 'scheduled',
      });
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) byId.get(Number(started.scheduledEventId))!.attempt = started.attempt ?? undefined;
    const close = (
      attrs: { scheduledEventId?: unknown } | null | undefined,
      state: ActivityRecord['state'],
    ) => {
      if (attrs) byId.get(Number(attrs.scheduledEventId))!.state = state;
    };
    close(e.activityTaskCompletedEventAttributes, 'completed');
    close(e.activityTaskFailedEventAttributes, 'failed');
    close(e.activityTaskTimedOutEventAttributes, 'timed-out');
    close(e.activityTaskCanceledEventAttributes, 'cancelled');
  }
  return [...byId.values()];
}

/** Count of completed activities by type. */
export function completedByType(acts: ActivityRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of acts) if (a.state === 'completed') out[a.type] = (out[a.type] ?? 0) + 1;
  return out;
}
