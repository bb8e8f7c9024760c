/**
 * One error taxonomy for the whole system. Every error we raise on purpose is a ScientistError
 * with a machine-readable `type` and a `retryable` flag; at the activity boundary
 * `toApplicationFailure` turns it into the Temporal failure that makes the retry policy do the
 * right thing (transient → retried with backoff, deterministic → fails at once, clearly).
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';

export interface ScientistErrorOptions {
  cause?: unknown;
  /** Server-advised wait before the next attempt (e.g. from Retry-After), in ms. */
  retryAfterMs?: number;
}

export abstract class ScientistError extends Error {
  abstract readonly type: string;
  abstract readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(message: string, options: ScientistErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Bad or missing configuration: fix the setting named in the message. */
export class ConfigError extends ScientistError {
  readonly type = 'ConfigError';
  readonly retryable = false;
}

/** Input that can never succeed as given (bad template, malformed request). */
export class InvalidInputError extends ScientistError {
  readonly type = 'InvalidInput';
  readonly retryable = false;
}

/** An artifact key that is not in the store. */
export class ArtifactNotFoundError extends ScientistError {
  readonly type = 'ArtifactNotFound';
  readonly retryable = false;
  constructor(readonly key: string, options?: ScientistErrorOptions) {
    super(`artifact not found: ${key}`, options);
  }
}

/** A stored artifact whose bytes no longer match its content hash. */
export class ArtifactCorruptError extends ScientistError {
  readonly type = 'ArtifactCorrupt';
  readonly retryable = false;
}

/** A dependency (S3, Docker, an API) that did not answer or answered with a transient failure. */
export class ServiceUnavailableError extends ScientistError {
  readonly type = 'ServiceUnavailable';
  readonly retryable = true;
}

/** Converts any error into the Temporal failure its kind calls for. Unknown errors stay retryable. */
export function toApplicationFailure(err: unknown): TemporalFailure {
  // Cancellation and failures already sorted (ApplicationFailure) pass through untouched.
  if (err instanceof TemporalFailure) return err;
  if (err instanceof ScientistError) {
    return ApplicationFailure.create({
      type: err.type,
      message: err.message,
      nonRetryable: !err.retryable,
      cause: err.cause instanceof Error ? err.cause : undefined,
      nextRetryDelay: err.retryAfterMs,
    });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({ type: e.name, message: e.message, nonRetryable: false, cause: e });
}

/** Runs an activity body and sorts whatever it throws (see toApplicationFailure). */
export async function classified<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}
