/**
 * One error taxonomy for the whole system. Every error we raise on purpose is a ScientistError
 * with a machine-readable `type` and a `retryable` flag; at the activity boundary
 * `toApplicationFailure` turns it into the Temporal failure that makes the retry policy do the
 * right thing (transient → retried with backoff, deterministic → fails at once, clearly).
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { Spend } from '../contracts';

export interface ScientistErrorOptions {
  cause?: unknown;
  /** Server-advised wait before the next attempt (e.g. from Retry-After), in ms. */
  retryAfterMs?: number;
  /** Small structured facts for the caller (e.g. a failed run's stderr tail); becomes the failure's details. */
  details?: unknown;
}

export abstract class ScientistError extends Error {
  abstract readonly type: string;
  abstract readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: unknown;

  constructor(message: string, options: ScientistErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
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
  constructor(
    readonly key: string,
    options?: ScientistErrorOptions,
  ) {
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

/** The model provider asked us to slow down (HTTP 429). Retried after its Retry-After. */
export class LlmRateLimitedError extends ScientistError {
  readonly type = 'LlmRateLimited';
  readonly retryable = true;
}

/** The model provider is overloaded (529), failing (5xx), unreachable or too slow. Retried. */
export class LlmUnavailableError extends ScientistError {
  readonly type = 'LlmUnavailable';
  readonly retryable = true;
}

/** The API key was rejected (401/403): set the provider's key (see the message). */
export class LlmAuthError extends ScientistError {
  readonly type = 'LlmAuth';
  readonly retryable = false;
}

/** The provider rejected the request as malformed (400/404/422): a bug or a wrong model name. */
export class LlmInvalidRequestError extends ScientistError {
  readonly type = 'LlmInvalidRequest';
  readonly retryable = false;
}

/** Prompt + max output tokens exceed the model's context window, even after trimming. */
export class LlmContextLengthError extends ScientistError {
  readonly type = 'LlmContextLength';
  readonly retryable = false;
}

/** The model refused to answer (content policy). */
export class LlmRefusalError extends ScientistError {
  readonly type = 'LlmRefusal';
  readonly retryable = false;
}

/**
 * Structured output still failed its schema after the repair rounds; the raw text is stored at
 * `rawKey`. Its type is the one research activities catch to degrade (activities/research/ask).
 */
export class LlmOutputInvalidError extends ScientistError {
  readonly type = 'StructuredOutputInvalid';
  readonly retryable = false;
  /** What the replies that never matched were billed: a failed answer is paid for too. */
  readonly spend: Spend;
  /** Where the last raw reply is stored, once the recording layer has stored it. */
  readonly rawKey?: string;
  constructor(
    message: string,
    readonly raw: string,
    options: ScientistErrorOptions & { spend: Spend; rawKey?: string },
  ) {
    super(message, {
      ...options,
      details: options.details ?? {
        spend: options.spend,
        ...(options.rawKey ? { rawKey: options.rawKey } : {}),
      },
    });
    this.spend = options.spend;
    this.rawKey = options.rawKey;
  }
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
      details: err.details === undefined ? undefined : [err.details],
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
