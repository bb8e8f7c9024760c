/**
 * The workers' keep-alive (activities/keepalive.ts) in the SDK's activity environment: a silent
 * activity heartbeats on a timer, and timer beats repeat the last progress details instead of
 * blanking them (a retried training run resumes from the checkpoint key in those details).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { keepAliveInterval, reportProgress } from '../../activities/keepalive';
import { ACTIVITY_WORKER_OPTIONS } from '../../workers/create-worker';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function environment(heartbeatTimeoutMs: number, heartbeatDetails?: unknown) {
  const env = new MockActivityEnvironment(
    { heartbeatTimeoutMs, heartbeatDetails },
    {
      logger: new DefaultLogger('ERROR', () => undefined),
      interceptors: ACTIVITY_WORKER_OPTIONS.interceptors.activity,
    },
  );
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { env, beats };
}

test('a silent activity heartbeats on a timer, a quarter of its heartbeat timeout apart', async () => {
  const { env, beats } = environment(400);
  await env.run(async () => sleep(1050));
  // Every 100 ms for about a second (timers on a busy machine may fire late, never early).
  expect(beats.length).toBeGreaterThanOrEqual(5);
  expect(beats.length).toBeLessThanOrEqual(10);
  const after = beats.length;
  await sleep(300);
  expect(beats).toHaveLength(after); // the timer stops with the activity
});

test('timer beats repeat the last progress details', async () => {
  const { env, beats } = environment(400);
  await env.run(async () => {
    await sleep(250);
    reportProgress({ checkpointKey: 'runs/a/ckpt-1', step: 100 });
    await sleep(350);
    reportProgress({ checkpointKey: 'runs/a/ckpt-2', step: 200 });
    await sleep(350);
  });
  const first = beats.findIndex((d) => d !== undefined);
  expect(first).toBeGreaterThan(0); // silent at first: plain beats
  const rest = beats.slice(first);
  expect(rest.every((d) => d !== undefined)).toBe(true);
  expect(rest[0]).toEqual({ checkpointKey: 'runs/a/ckpt-1', step: 100 });
  expect(rest.at(-1)).toEqual({ checkpointKey: 'runs/a/ckpt-2', step: 200 });
  expect(rest.filter((d) => (d as { step: number }).step === 100).length).toBeGreaterThan(1);
});

test("a retry repeats the previous attempt's details until it reports its own", async () => {
  const previous = { checkpointKey: 'runs/a/ckpt-7', step: 700 };
  const { env, beats } = environment(400, previous);
  await env.run(async () => {
    await sleep(350); // fetching the workspace, say: nothing to report yet
    reportProgress({ checkpointKey: 'runs/a/ckpt-8', step: 800 });
    await sleep(250);
  });
  const own = beats.findIndex((d) => (d as { step: number }).step === 800);
  expect(own).toBeGreaterThanOrEqual(2);
  expect(beats.slice(0, own)).toEqual(Array(own).fill(previous));
  expect(beats.slice(own).every((d) => (d as { step: number }).step === 800)).toBe(true);
});

test('the interval is a quarter of the heartbeat timeout, between 100 ms and 5 s', () => {
  expect(keepAliveInterval(30_000)).toBe(5_000);
  expect(keepAliveInterval(8_000)).toBe(2_000);
  expect(keepAliveInterval(200)).toBe(100);
  expect(keepAliveInterval(undefined)).toBe(5_000);
});
