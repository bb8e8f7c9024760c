/**
 * HTTP for the literature APIs: a process-wide rate limit per provider, bounded retries with
 * exponential backoff and jitter that honour Retry-After, and a timeout on every request.
 *
 * Why bounded: the AI Scientist retried a 429 forever and hung the whole run. Here an activity
 * attempt gives up after `maxAttempts` tries with a retryable error that carries the advised
 * wait, so Temporal retries the activity later (durably, visibly) instead of a loop spinning
 * inside one attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, InvalidInputError, ScientistError, ServiceUnavailableError } from '../../lib/errors';
import { parseRetryAfter } from '../../lib/retry-after';

/** Longest backoff between two tries when the server gives no Retry-After. */
const MAX_BACKOFF_MS = 30_000;
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * A token bucket of capacity `burst` refilled at `ratePerS`, in its GCRA form: one number (the
 * theoretical arrival time of the next request) is enough, and reservations are taken
 * synchronously, so concurrent callers in one process never race.
 */
export class RateLimiter {
  private nextAt = 0;

  constructor(
    private ratePerS: number,
    private readonly burst = 1,
  ) {}

  get intervalMs(): number {
    return 1000 / this.ratePerS;
  }

  setRate(ratePerS: number): void {
    this.ratePerS = ratePerS;
  }

  /** How long a request made now would wait, in ms. */
  waitMs(now = Date.now()): number {
    return Math.max(0, this.nextAt - now - (this.burst - 1) * this.intervalMs);
  }

  /**
   * Waits until a request may go out, then counts it. When the wait would exceed `maxWaitMs`
   * nothing is reserved and the wait is returned instead, so the caller can fail fast.
   */
  async acquire(
    signal?: AbortSignal,
    maxWaitMs = Infinity,
  ): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    const now = Date.now();
    const waitMs = this.waitMs(now);
    if (waitMs > maxWaitMs) return { ok: false, waitMs };
    this.nextAt = Math.max(this.nextAt, now) + this.intervalMs;
    if (waitMs > 0) await sleep(waitMs, undefined, { signal });
    return { ok: true };
  }

  /** A server said "not before `ms` from now" (Retry-After): every caller in the process waits. */
  holdOff(ms: number): void {
    this.nextAt = Math.max(this.nextAt, Date.now() + ms);
  }
}

const limiters = new Map<string, RateLimiter>();

/** Forgets every limiter's state (a fresh process, as far as rate limits go); for tests. */
export function resetRateLimiters(): void {
  limiters.clear();
}

/**
 * The one limiter of `provider` in this process. Rate limits are per API key / per IP, so all
 * activities of a worker share one bucket per provider; a config with another rate re-tunes it.
 */
export function rateLimiter(provider: string, ratePerS: number): RateLimiter {
  let limiter = limiters.get(provider);
  if (!limiter) {
    limiter = new RateLimiter(ratePerS);
    limiters.set(provider, limiter);
  } else {
    limiter.setRate(ratePerS);
  }
  return limiter;
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface RetryPolicy {
  maxAttempts: number;
  backoffMs: number;
  /** Longest Retry-After waited in process; longer ones end the attempt (Temporal waits). */
  maxWaitMs: number;
  requestTimeoutMs: number;
}

export interface JsonRequest {
  /** Display name used in errors and logs, e.g. "Semantic Scholar". */
  provider: string;
  url: string;
  headers?: Record<string, string>;
  limiter: RateLimiter;
  policy: RetryPolicy;
  signal?: AbortSignal;
  /** Called before each try (the activity heartbeats here, so it stays cancellable). */
  onAttempt?: (attempt: number) => void;
  /** Names the setting to fix when the server rejects our credentials. */
  authHint?: string;
}

/** What a retried request went through; attached to errors as details. */
export interface AttemptLog {
  provider: string;
  attempts: number;
  /** One entry per try: an HTTP status or a network error code. */
  outcomes: (number | string)[];
}

/**
 * GETs `url` and parses JSON. Retries 408/425/429/5xx, timeouts and network errors up to
 * `maxAttempts` tries; gives up with a retryable ServiceUnavailableError carrying `retryAfterMs`.
 * 401/403 → ConfigError, other 4xx → InvalidInputError (neither is retried: they cannot heal).
 */
export async function getJson<T>(req: JsonRequest): Promise<{ body: T; attempts: number }> {
  try {
    return await getJsonWithRetries<T>(req);
  } catch (err) {
    // Cancelled by the caller (Temporal cancellation): surface the signal's reason, not an AbortError.
    if (req.signal?.aborted) throw req.signal.reason ?? err;
    throw err;
  }
}

async function getJsonWithRetries<T>(req: JsonRequest): Promise<{ body: T; attempts: number }> {
  const { policy } = req;
  const log: AttemptLog = { provider: req.provider, attempts: 0, outcomes: [] };
  for (let attempt = 1; ; attempt++) {
    req.onAttempt?.(attempt);
    const slot = await req.limiter.acquire(req.signal, policy.maxWaitMs);
    if (!slot.ok) {
      // The process is holding off (a long Retry-After, or a deep queue): fail fast, retry later.
      log.outcomes.push('held-off');
      throw giveUp(req, log, slot.waitMs);
    }
    log.attempts = attempt;
    let waitMs: number;
    try {
      const signals = [AbortSignal.timeout(policy.requestTimeoutMs), ...(req.signal ? [req.signal] : [])];
      const res = await fetch(req.url, {
        headers: { accept: 'application/json', ...req.headers },
        signal: AbortSignal.any(signals),
      });
      log.outcomes.push(res.status);
      if (res.ok) {
        const body = parseJson<T>(await res.text());
        if (body.ok) return { body: body.value, attempts: attempt };
        // A 200 with a broken body is a proxy or overload symptom, not our fault: retry.
        log.outcomes[log.outcomes.length - 1] = 'bad-json';
        waitMs = backoffMs(attempt, policy.backoffMs);
      } else {
        waitMs = await waitAfterStatus(req, res, log, attempt);
      }
    } catch (err) {
      if (err instanceof ScientistError) throw err;
      if (req.signal?.aborted) throw err; // cancelled by the caller: not a provider failure
      log.outcomes.push(networkCode(err));
      waitMs = backoffMs(attempt, policy.backoffMs);
    }
    if (attempt >= policy.maxAttempts) throw giveUp(req, log, waitMs);
    await sleep(waitMs, undefined, { signal: req.signal });
  }
}

/**
 * Sorts a non-2xx answer: throws for the ones retrying cannot heal (and for a Retry-After too
 * long to wait in process), else returns how long to wait before the next try.
 */
async function waitAfterStatus(
  req: JsonRequest,
  res: Response,
  log: AttemptLog,
  attempt: number,
): Promise<number> {
  const bodyText = (await res.text().catch(() => '')).slice(0, 300);
  if (res.status === 401 || res.status === 403) {
    throw new ConfigError(
      `${req.provider} refused the request (${res.status}): ${bodyText}${req.authHint ? ` — check ${req.authHint}` : ''}`,
      { details: log },
    );
  }
  if (!RETRYABLE_STATUS.has(res.status)) {
    throw new InvalidInputError(`${req.provider} rejected the request (${res.status}): ${bodyText}`, {
      details: log,
    });
  }
  const advisedMs = parseRetryAfter(res.headers.get('retry-after'));
  if (advisedMs === undefined) return backoffMs(attempt, req.policy.backoffMs);
  // Rate limits are per key / per address: everyone in this process waits, not only this caller.
  req.limiter.holdOff(advisedMs);
  // Waiting minutes inside one attempt would pin a worker slot: let Temporal wait instead.
  if (advisedMs > req.policy.maxWaitMs) throw giveUp(req, log, advisedMs);
  return advisedMs;
}

function parseJson<T>(text: string): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as T };
  } catch {
    return { ok: false };
  }
}

function giveUp(req: JsonRequest, log: AttemptLog, retryAfterMs: number): ServiceUnavailableError {
  const last = log.outcomes[log.outcomes.length - 1];
  const what =
    last === 429
      ? 'rate-limited (429)'
      : last === 'held-off'
        ? `held off by the process-wide rate limit (server-advised or queued wait ${Math.round(retryAfterMs)} ms exceeds ${req.policy.maxWaitMs} ms)`
        : typeof last === 'number'
          ? `status ${last}`
          : String(last);
  return new ServiceUnavailableError(
    `${req.provider} unavailable: gave up after ${log.attempts} of ${req.policy.maxAttempts} attempts, last ${what} ` +
      `(outcomes ${log.outcomes.join(', ')}); retry after ${Math.round(retryAfterMs)} ms`,
    { retryAfterMs, details: log },
  );
}

/** A short name for a failed fetch: `timeout`, `ECONNREFUSED`, … (duck-typed: fetch errors may come from another realm). */
function networkCode(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: string;
    code?: string;
    cause?: unknown;
  };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as {
    code?: string;
    message?: string;
    errors?: { code?: string }[];
  };
  return (
    cause.code ??
    cause.errors?.[0]?.code ??
    e.code ??
    (cause.message ? `network error: ${cause.message}` : (e.name ?? 'network error'))
  );
}
