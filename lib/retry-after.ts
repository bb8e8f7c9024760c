/**
 * The one reading of a server's Retry-After header (RFC 9110: delta-seconds or an HTTP date),
 * shared by the LLM providers' error mapping and the literature clients.
 */

/** Milliseconds to wait, ≥ 0 (a date in the past is 0); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
