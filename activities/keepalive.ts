/**
 * Every activity heartbeats on a timer while it runs (a worker interceptor), so a dead worker is
 * noticed within the heartbeat timeout whether or not the activity has progress to report: a
 * model that thinks for minutes before its first token, a sandbox waiting on S3, a slot queue.
 * The timer also makes every activity cancellable (Temporal delivers cancellation in heartbeat
 * replies). Without it, heartbeat timeouts had to be as long as the longest silence (2 min).
 *
 * Activities report progress through `reportProgress`, never `Context.heartbeat` directly: the
 * server keeps only the latest heartbeat's details and a retried attempt resumes from them (a
 * training run's checkpoint key), so the timer repeats the last details instead of blanking them.
 */
import { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';

/** The longest pause between heartbeats. */
export const KEEPALIVE_MAX_INTERVAL_MS = 5_000;

/**
 * How stale the server's copy of progress details may be (the workers' heartbeat throttle):
 * what a retry reads back after a kill, e.g. how much of a model reply had streamed in.
 */
export const HEARTBEAT_THROTTLE_MS = 1_000;

const lastDetails = new WeakMap<Context, unknown>();

/** Heartbeats with progress details; the keep-alive timer repeats them until the next report. */
export function reportProgress(details: unknown): void {
  const ctx = Context.current();
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/** A quarter of the heartbeat timeout, so three beats in a row can be late; at most 5 s. */
export function keepAliveInterval(heartbeatTimeoutMs: number | undefined): number {
  if (!heartbeatTimeoutMs) return KEEPALIVE_MAX_INTERVAL_MS;
  return Math.max(100, Math.min(KEEPALIVE_MAX_INTERVAL_MS, Math.floor(heartbeatTimeoutMs / 4)));
}

/** The worker interceptor (`interceptors.activity`) that runs the timer around each activity. */
export const keepAliveInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      // Until the activity reports its own, repeat what the previous attempt left (a checkpoint
      // key): a retry that dies early must not erase it for the one after.
      if (!lastDetails.has(ctx) && ctx.info.heartbeatDetails !== undefined)
        lastDetails.set(ctx, ctx.info.heartbeatDetails);
      const timer = setInterval(
        () => ctx.heartbeat(lastDetails.get(ctx)),
        keepAliveInterval(ctx.info.heartbeatTimeoutMs),
      );
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  } satisfies ActivityInboundCallsInterceptor,
});
