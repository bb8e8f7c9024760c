/**
 * llmCall through Temporal on the real dev server, real S3 and the real `openai` client against
 * the local fake server: retry vs non-retry per error kind, Retry-After honoured, heartbeats,
 * cancellation, transcripts in the store and not in history, usage and cost summed.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { defineLlmSchema } from '../../activities/llm';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { LlmCallInput } from '../../activities/llm';
import type { Transcript } from '../../activities/llm';
import { startTestWorkers, suiteConfig, suiteStore, uniqueId, type TestWorkers } from '../harness';
import type { LlmProbeInput, LlmProbeResult } from '../../workflows';
import { FakeLlmServer, reply } from './fake-llm-server';

let server: FakeLlmServer;
let workers: TestWorkers;
// A worker runs once: it polls for the whole suite and stops in afterAll.
let stop: () => void;
let running: Promise<void>;

beforeAll(async () => {
  server = await FakeLlmServer.start();
  const config = suiteConfig('llm', {
    SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o',
    SCIENTIST_OPENAI_API_KEY: 'sk-test',
    SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
  });
  workers = await startTestWorkers(config);
  running = workers.run(() => new Promise<void>((resolve) => (stop = resolve)));
});
afterAll(async () => {
  stop?.();
  await running;
  await workers?.close();
  await server?.close();
});
beforeEach(() => server.reset());

const call = (step: string, content = 'hello'): LlmCallInput => ({
  role: 'writing',
  step,
  system: 'You are terse.',
  messages: [{ role: 'user', content }],
});

function probe(input: LlmProbeInput, id = uniqueId('llm-probe')) {
  return workers.client.workflow.start('llmProbeWorkflow', {
    taskQueue: workers.config.temporal.taskQueue,
    workflowId: id,
    args: [input],
  });
}

async function runProbe(input: LlmProbeInput): Promise<{ result: LlmProbeResult; workflowId: string }> {
  const handle = await probe(input);
  return { result: (await handle.result()) as LlmProbeResult, workflowId: handle.workflowId };
}

test('a 429 with Retry-After is retried after the advised delay, then completes', async () => {
  server.enqueue(reply.rateLimited(2), reply.text('after the wait'));
  const { result } = await runProbe({ calls: [call('retry-after')] });
  expect(result.results[0]!.summary).toBe('after the wait');
  expect(server.requests).toHaveLength(2);
  const gapMs = server.requests[1]!.at - server.requests[0]!.at;
  // The policy's own first interval is 200 ms: a gap of about 2 s is the server's Retry-After.
  expect(gapMs).toBeGreaterThanOrEqual(1900);
  expect(gapMs).toBeLessThan(8000);
});

test('500 and 529 are retried with backoff until success', async () => {
  server.enqueue(reply.serverError(), reply.overloaded(), reply.text('third time lucky'));
  const { result } = await runProbe({ calls: [call('flaky')] });
  expect(result.results[0]!.summary).toBe('third time lucky');
  expect(server.requests).toHaveLength(3);
});

for (const [what, answer, type] of [
  ['401', reply.unauthorized, 'LlmAuth'],
  ['400 context length', reply.contextLength, 'LlmContextLength'],
] as const) {
  test(`a ${what} fails the activity once, non-retryably, with a clear message`, async () => {
    server.enqueue(answer());
    const handle = await probe({ calls: [call('bad')] });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause as ActivityFailure;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const failure = activity.cause as ApplicationFailure;
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(type === 'LlmAuth' ? /SCIENTIST_OPENAI_API_KEY/ : /context length/);
    expect(server.requests).toHaveLength(1);
  });
}

test('usage and cost are recorded per call and summed; transcripts are in S3, not in history; a repeated step is reused', async () => {
  const store = suiteStore(workers.config);
  const draftMarker = `DRAFT-${uniqueId('m')}`;
  const replyMarker = `REPLY-${uniqueId('m')}`;
  const draftKey = (
    await store.put(`test-inputs/${uniqueId('draft')}.txt`, `${'lorem ipsum '.repeat(2000)}${draftMarker}`)
  ).key;
  server.enqueue(
    reply.text(`${'a long completion '.repeat(100)}${replyMarker}`, {
      input: 10_000,
      cached: 4_000,
      output: 2_000,
    }),
    reply.text('second', { input: 1_000, cached: 0, output: 100 }),
  );
  const first: LlmCallInput = {
    ...call('write/intro'),
    context: [{ name: 'Draft', textKey: draftKey, priority: 1 }],
  };
  const { result, workflowId } = await runProbe({ calls: [first, call('write/abstract'), first] });

  expect(server.requests).toHaveLength(2);
  const [a, b, again] = result.results as [
    LlmProbeInput['calls'][0] & LlmProbeResult['results'][0],
    LlmProbeResult['results'][0],
    LlmProbeResult['results'][0],
  ];
  // gpt-4o: (6,000 × $2.50 + 4,000 × $1.25 + 2,000 × $10) / 1e6
  expect(a.costUsd).toBeCloseTo(0.04, 9);
  expect(b.costUsd).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 9);
  expect(again.reused).toBe(true);
  expect(again.key).toBe(a.key);
  expect(again.costUsd).toBe(a.costUsd);
  expect(result.total.calls).toBe(3);
  expect(result.total.inputTokens).toBe(10_000 + 1_000 + 10_000);
  expect(result.total.costUsd).toBeCloseTo(a.costUsd + b.costUsd + again.costUsd, 9);

  expect(a.key).toBe(`llm/${workflowId}/write/intro/transcript.json`);
  const transcript = await store.getJson<Transcript>(a.key);
  expect(transcript.request.context![0]!.text).toContain(draftMarker);
  expect(transcript.response.text).toContain(replyMarker);
  expect(transcript.response.usage.cachedInputTokens).toBe(4_000);

  // The history as the server stores it (protobuf; payloads are the JSON bytes inside it).
  const history = Buffer.from(
    temporal.api.history.v1.History.encode(
      await workers.client.workflow.getHandle(workflowId).fetchHistory(),
    ).finish(),
  );
  expect(history.includes('write/abstract')).toBe(true); // the search does see what history holds
  expect(history.includes(draftMarker)).toBe(false);
  expect(history.includes(replyMarker)).toBe(false);
  expect(history.length).toBeLessThan(20_000);
});

test('heartbeats keep a generation longer than the heartbeat timeout alive', async () => {
  server.chunkDelayMs = 100;
  server.enqueue(reply.text('x'.repeat(8 * 40)));
  const started = Date.now();
  const { result } = await runProbe({ calls: [call('slow')], heartbeatTimeoutS: 2 });
  expect(Date.now() - started).toBeGreaterThan(4000);
  expect(result.results[0]!.summary).toHaveLength(240 + 1);
  expect(server.requests).toHaveLength(1);
});

test('a model silent for longer than the heartbeat timeout is asked once (the worker keeps it alive)', async () => {
  // A reasoning model that thinks before its first token: no chunk arrives for 5 s, with a
  // 2 s heartbeat timeout. Only the worker's keep-alive timer can hold the attempt (it beats
  // every 500 ms; the SDK sends one at least every second).
  server.fallback = () =>
    new Promise((resolve) => setTimeout(() => resolve(reply.text('thought it through')), 5000));
  const handle = await probe({ calls: [call('silent')], heartbeatTimeoutS: 2, maximumAttempts: 3 });
  const result = (await handle.result()) as LlmProbeResult;
  expect(result.results[0]!.summary).toBe('thought it through');
  expect(server.requests).toHaveLength(1);
  const history = await handle.fetchHistory();
  const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
  expect(started.map((e) => Number(e.activityTaskStartedEventAttributes!.attempt))).toEqual([1]);
});

test('cancelling the workflow stops the stream (no more tokens paid for)', async () => {
  server.chunkDelayMs = 100;
  server.enqueue(reply.text('y'.repeat(8 * 300)));
  const handle = await probe({ calls: [call('cancelled')], heartbeatTimeoutS: 5 });
  while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1500));
  await handle.cancel();
  const err = await handle.result().catch((x: unknown) => x);
  for (let i = 0; i < 50 && server.aborted === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(server.aborted).toBe(1);
});

defineLlmSchema(
  'llm-test-verdict',
  z.object({ accept: z.boolean(), score: z.number().int().min(1).max(10) }),
);

test('structured output by schema name: repaired once inside the activity; still invalid → non-retryable, raw reply stored', async () => {
  server.enqueue(reply.json({ accept: true, score: 11 }), reply.json({ accept: true, score: 8 }));
  const { result } = await runProbe({ calls: [{ ...call('verdict'), schema: 'llm-test-verdict' }] });
  expect(result.results[0]!.parsed).toEqual({ accept: true, score: 8 });
  expect(result.results[0]!.attempts).toBe(2);
  expect(result.total.calls).toBe(2);

  server.reset();
  server.enqueue(reply.text('yes, accept'), reply.text('definitely accept'));
  const handle = await probe({ calls: [{ ...call('verdict'), schema: 'llm-test-verdict' }] });
  const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
  const failure = (err.cause as ActivityFailure).cause as ApplicationFailure;
  expect(failure.type).toBe('StructuredOutputInvalid');
  expect(failure.nonRetryable).toBe(true);
  expect(server.requests).toHaveLength(2);
  const rawKey = `llm/${handle.workflowId}/verdict/transcript.json.invalid.txt`;
  expect(failure.details).toEqual([expect.objectContaining({ rawKey })]);
  expect(await suiteStore(workers.config).getText(rawKey)).toBe('definitely accept');
});
