/**
 * The activity-option presets every workflow uses, named by the kind of work (the saga sample's
 * `defaultActivity` / `longRunningActivity`), so timeouts and retry policies are chosen in one
 * place. Timeouts and retry policies are not part of determinism: changing them needs no patch.
 */
import type { ActivityOptions } from '@temporalio/workflow';

/**
 * The heartbeat timeout of every activity. Workers heartbeat each running activity at least
 * every 5 s whatever it is doing (activities/keepalive.ts), so 30 s of silence means the worker
 * is gone and the activity is retried elsewhere. It was 2 minutes while only streamed tokens
 * and sandbox ticks heartbeated, and a model silent for longer was asked (and billed) twice.
 */
export const HEARTBEAT_TIMEOUT = '30 seconds';

/**
 * Main-queue work: LLM calls, plots, LaTeX, store I/O. Bad input is classified non-retryable
 * (lib/errors.ts); what is retried is transient: an outage of S3, the LLM API or the sandbox
 * engine. 12 attempts back off over about 23 minutes.
 */
export const MAIN_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 12,
  },
};

/** A review with its reflection rounds is one activity: the main preset with more time. */
export const REVIEW_ACTIVITY_OPTIONS: ActivityOptions = {
  ...MAIN_ACTIVITY_OPTIONS,
  startToCloseTimeout: '30 minutes',
};

/**
 * Training runs on the GPU queue: hours long, heartbeating progress and checkpoint keys; a
 * retry resumes from the last checkpoint, so a few attempts cover a lost GPU host.
 */
export function gpuActivityOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '3 hours',
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
  };
}

/** Probes (health check, doctor): short, so a broken service is reported in seconds, not minutes. */
export function probeActivityOptions(taskQueue?: string): ActivityOptions {
  return {
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 3, initialInterval: '1 second' },
  };
}

/**
 * One LLM call as its own activity (the LLM probe): fast backoff, but a server's Retry-After
 * (nextRetryDelay) wins, and non-retryable failures fail at once.
 */
export function llmCallActivityOptions(
  heartbeatTimeout: ActivityOptions['heartbeatTimeout'] = HEARTBEAT_TIMEOUT,
  maximumAttempts = 6,
): ActivityOptions {
  return {
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout,
    retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts },
    summary: 'LLM call',
  };
}
