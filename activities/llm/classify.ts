/**
 * Sorts what the provider SDKs throw into the one error taxonomy (lib/errors), so the activity
 * boundary turns each into the right Temporal retry behaviour. Both official SDKs raise errors
 * with `status`, `headers` and the parsed error body; we read those rather than class names.
 */
import {
  LlmAuthError,
  LlmContextLengthError,
  LlmInvalidRequestError,
  LlmRateLimitedError,
  LlmRefusalError,
  LlmUnavailableError,
  ScientistError,
} from '../../lib/errors';
import type { ProviderName } from './types';
import { parseRetryAfter } from '../../lib/retry-after';

interface SdkError {
  status?: number;
  headers?: Headers | Record<string, string>;
  error?: unknown;
  message?: string;
  name?: string;
}

function header(headers: SdkError['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

/** Server-advised wait in ms: `retry-after-ms`, `retry-after` in seconds, or an HTTP date. */
export function retryAfterMs(headers: SdkError['headers'], now = Date.now()): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const wait = parseRetryAfter(header(headers, 'retry-after'), now);
  return wait !== undefined && wait > 0 ? wait : undefined;
}

const CONTEXT_PATTERNS =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long|reduce the length/i;

/** The error body's type/code/message, whichever SDK made it. */
function bodyFacts(err: SdkError): { type: string; code: string; message: string } {
  const body = (err.error ?? {}) as {
    type?: string;
    code?: string;
    message?: string;
    error?: { type?: string; code?: string; message?: string };
  };
  const inner = body.error ?? body;
  return {
    type: String(inner.type ?? body.type ?? ''),
    code: String(inner.code ?? ''),
    message: String(inner.message ?? err.message ?? ''),
  };
}

/** Converts a provider failure into a ScientistError; cancellation (AbortError) passes through. */
export function classifyProviderError(err: unknown, provider: ProviderName, model: string): unknown {
  if (err instanceof ScientistError) return err;
  const e = (err ?? {}) as SdkError;
  if (
    e.name === 'AbortError' ||
    /APIUserAbortError/.test(e.name ?? '') ||
    e.constructor?.name === 'APIUserAbortError'
  )
    return err;
  const where = `${provider}:${model}`;
  const facts = bodyFacts(e);
  const detail = facts.message || String(err);
  const options = { cause: err, retryAfterMs: retryAfterMs(e.headers) };
  const status = e.status;
  const name = e.constructor?.name ?? '';
  if (status === undefined) {
    // Errors raised mid-stream (an SSE "error" event) carry the body but no status.
    if (/overloaded|api_error|server_error/.test(facts.type))
      return new LlmUnavailableError(`${where} failed mid-stream (${facts.type}): ${detail}`, options);
    if (/rate_limit/.test(facts.type))
      return new LlmRateLimitedError(`${where} rate-limited mid-stream: ${detail}`, options);
    if (
      /Connection|Timeout/.test(name) ||
      /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket|network|fetch failed|timed out/i.test(detail)
    ) {
      return new LlmUnavailableError(`${where} unreachable: ${detail}`, options);
    }
    if (facts.type) return new LlmInvalidRequestError(`${where} failed: ${facts.type}: ${detail}`, options);
    return new LlmUnavailableError(`${where} failed: ${detail}`, options);
  }
  if (status === 429) return new LlmRateLimitedError(`${where} rate limit (429): ${detail}`, options);
  if (status === 408 || status === 409 || status >= 500) {
    const what = status === 529 || /overloaded/.test(facts.type) ? 'overloaded' : `server error ${status}`;
    return new LlmUnavailableError(`${where} ${what}: ${detail}`, options);
  }
  if (status === 401 || status === 403) {
    const setting = provider === 'anthropic' ? 'SCIENTIST_ANTHROPIC_API_KEY' : 'SCIENTIST_OPENAI_API_KEY';
    return new LlmAuthError(`${where} rejected the API key (${status}): ${detail} — check ${setting}`, {
      cause: err,
    });
  }
  if (status === 413 || facts.code === 'context_length_exceeded' || CONTEXT_PATTERNS.test(detail)) {
    return new LlmContextLengthError(`${where}: context length exceeded (${status}): ${detail}`, {
      cause: err,
    });
  }
  if (/refus|content_policy|content_filter/i.test(facts.code + ' ' + facts.type)) {
    return new LlmRefusalError(`${where} refused (${status}): ${detail}`, { cause: err });
  }
  if (status === 404) {
    return new LlmInvalidRequestError(
      `${where}: model or endpoint not found (404): ${detail} — check the model name and base URL`,
      { cause: err },
    );
  }
  return new LlmInvalidRequestError(`${where} rejected the request (${status}): ${detail}`, { cause: err });
}
