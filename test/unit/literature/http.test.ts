import { backoffMs, RateLimiter } from '../../../activities/literature';
import { parseRetryAfter } from '../../../lib/retry-after';
import { abstractFromInvertedIndex } from '../../../activities/literature';

describe('retry arithmetic', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0); // in the past
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped at 30 s', () => {
    expect([1, 2, 3].map((a) => backoffMs(a, 1000, () => 0))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((a) => backoffMs(a, 1000, () => 1))).toEqual([1000, 2000, 4000]);
    expect(backoffMs(20, 1000, () => 1)).toBe(30_000);
  });

  it('lets a burst through, then spaces requests, and fails fast past the longest wait', async () => {
    const limiter = new RateLimiter(10, 2); // 100 ms apart, bursts of 2
    const started = Date.now();
    for (let i = 0; i < 4; i++) expect(await limiter.acquire()).toEqual({ ok: true });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195); // requests 3 and 4 waited 100 ms each
    expect(elapsed).toBeLessThan(400);
    limiter.holdOff(5000);
    const refused = await limiter.acquire(undefined, 1000);
    expect(refused.ok).toBe(false);
    expect(refused.ok ? 0 : refused.waitMs).toBeGreaterThan(3900);
  });

  it('rebuilds abstracts from an inverted index, in position order', () => {
    expect(abstractFromInvertedIndex({ world: [1], hello: [0, 2] })).toBe('hello world hello');
    expect(abstractFromInvertedIndex(null)).toBe('');
  });
});
