/**
 * The offline default for real: SmolLM2-135M (GGUF, installed by infra/setup.sh) in process on
 * the CPU through node-llama-cpp, with JSON-schema-constrained decoding.
 */
import { z } from 'zod';
import { createLlmClient, defineLlmSchema, type LlmClient } from '../../activities/llm';
import type { LlmProbeResult } from '../../workflows';
import { startTestWorkers, suiteConfig, uniqueId } from '../harness';
import { llmConfig, recordingLogger } from './helpers';

const Idea = z.object({
  name: z.string().min(1),
  title: z.string().min(1),
  experiment: z.string(),
  interestingness: z.number().int().min(1).max(10),
  tags: z.array(z.string()).max(3),
});

let llm: LlmClient;
beforeAll(() => {
  // No API key, no model setting: every role is the local model.
  llm = createLlmClient({ config: llmConfig({}), log: recordingLogger() });
});
afterAll(async () => {
  await llm.close();
});

test('the local model answers a schema-constrained request with schema-valid JSON on the CPU', async () => {
  let chunks = 0;
  const r = await llm.call(
    {
      role: 'ideation',
      system: 'You are an ML researcher. Answer in JSON.',
      messages: [
        { role: 'user', content: 'Propose one small research idea about grokking in modular arithmetic.' },
      ],
      schema: Idea,
      schemaName: 'idea',
      maxTokens: 200,
      temperature: 0,
    },
    { onText: () => chunks++ },
  );
  expect(r.provider).toBe('local');
  expect(Idea.safeParse(r.parsed).success).toBe(true);
  expect(r.attempts).toBe(1);
  expect(r.costUsd).toBe(0);
  expect(r.usage.inputTokens).toBeGreaterThan(20);
  expect(r.usage.outputTokens).toBeGreaterThan(5);
  expect(chunks).toBeGreaterThan(3);
  console.log(
    `local model: ${r.usage.outputTokens} tokens in ${r.latencyMs} ms → ${((r.usage.outputTokens * 1000) / r.latencyMs).toFixed(1)} tokens/s (incl. prompt)`,
  );
}, 180_000);

test('a cancelled local generation stops and rejects', async () => {
  const controller = new AbortController();
  let chunks = 0;
  const pending = llm.call(
    {
      role: 'writing',
      system: 'You write long essays.',
      messages: [{ role: 'user', content: 'Write a long essay about neural networks.' }],
      maxTokens: 2000,
    },
    {
      signal: controller.signal,
      onText: () => {
        if (++chunks === 10) controller.abort();
      },
    },
  );
  await expect(pending).rejects.toThrow(/abort/i);
  expect(chunks).toBeLessThan(60);
}, 180_000);

defineLlmSchema('llm-local-idea', Idea);

test('with no API key, llmCall through Temporal runs on the local model', async () => {
  const config = suiteConfig('llm-local');
  expect(config.llm.default).toBe('local');
  const workers = await startTestWorkers(config);
  try {
    const result = await workers.run(async () => {
      const handle = await workers.client.workflow.start('llmProbeWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: uniqueId('llm-local'),
        args: [
          {
            calls: [
              {
                role: 'ideation',
                step: 'idea-1',
                system: 'You are an ML researcher. Answer in JSON.',
                messages: [
                  { role: 'user', content: 'Propose one research idea about diffusion models on 2-D data.' },
                ],
                schema: 'llm-local-idea',
                maxTokens: 300,
                // Greedy decoding: the same reply every run (the grammar guarantees the shape).
                temperature: 0,
              },
            ],
            heartbeatTimeoutS: 10,
          },
        ],
      });
      return (await handle.result()) as LlmProbeResult;
    });
    const r = result.results[0]!;
    expect(r.provider).toBe('local');
    expect(Idea.safeParse(r.parsed).success).toBe(true);
    expect(r.costUsd).toBe(0);
    expect(r.key).toMatch(/^llm\/llm-local-.*\/idea-1\/transcript\.json$/);
  } finally {
    await workers.close();
  }
}, 180_000);

test('a long reply is capped to the room the real tokenizer leaves, not failed by a context shift', async () => {
  // LaTeX with numbers tokenizes far denser than the chars/3 estimate the prompt is sized with.
  const small = createLlmClient({
    config: llmConfig({ SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS: '512' }),
    log: recordingLogger(),
  });
  try {
    const latex = '$x_{1}^{2} = 0.123$, '.repeat(20);
    const r = await small.call({
      role: 'writing',
      system: 'You write LaTeX.',
      messages: [{ role: 'user', content: `Continue this list for as long as you can:\n${latex}` }],
      maxTokens: 640,
      temperature: 0.7,
    });
    expect(r.usage.inputTokens + r.usage.outputTokens).toBeLessThanOrEqual(512);
    expect(r.text.length).toBeGreaterThan(0);
  } finally {
    await small.close();
  }
}, 180_000);
