/**
 * Local models by name, per role, and the reuse of the model's state across calls that share
 * the start of their prompt, for real: SmolLM2-135M (installed by infra/setup.sh) on the CPU.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLlmClient, type LlmClient } from '../../activities/llm';
import { ConfigError } from '../../lib/errors';
import { llmConfig, recordingLogger } from './helpers';

const CODE = Array.from(
  { length: 40 },
  (_, i) => `def step_${i}(x):\n    """Step ${i} of the pipeline."""\n    return x * ${i + 1} + ${i}\n`,
).join('\n');

let llm: LlmClient;
beforeAll(() => {
  // The coding role names SmolLM2 from the catalog; the other roles are plain `local` (the same file).
  llm = createLlmClient({
    config: llmConfig({ SCIENTIST_LLM_CODING: 'local:smollm2-135m', SCIENTIST_LLM_LOCAL_THREADS: '1' }),
    log: recordingLogger(),
  });
});
afterAll(async () => {
  await llm.close();
});

const ask = (system: string, question: string) =>
  llm.call({
    role: 'coding',
    system,
    context: [{ name: 'pipeline.py', text: CODE, priority: 1 }],
    messages: [{ role: 'user', content: question }],
    maxTokens: 16,
    temperature: 0,
  });

test('a call that shares its start with an earlier one evaluates only what differs, even after an unrelated call', async () => {
  const system = 'You are a careful Python reviewer.';
  const first = await ask(system, 'Which function adds 7?');
  expect(first.model).toBe('smollm2-135m');
  expect(first.usage.inputTokens).toBeGreaterThan(1000);
  // Another prompt in between (another system text): it goes to another of the engine's sequences.
  const other = await llm.call({
    role: 'writing',
    system: 'You write short poems.',
    messages: [{ role: 'user', content: 'A line about the sea.' }],
    maxTokens: 16,
    temperature: 0,
  });
  expect(other.usage.cachedInputTokens).toBe(0);
  const again = await ask(system, 'Which function multiplies by 12?');
  // System text and code were evaluated once: nearly the whole prompt is reused.
  expect(again.usage.cachedInputTokens).toBeGreaterThan(0.9 * again.usage.inputTokens);
  expect(again.usage.cachedInputTokens).toBeLessThan(again.usage.inputTokens);
}, 180_000);

test('a role on a catalog model whose file is not installed fails with how to install it', async () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'no-models-'));
  const client = createLlmClient({
    config: llmConfig({ SCIENTIST_DATA_DIR: empty, SCIENTIST_LLM_CODING: 'local:qwen2.5-coder-1.5b' }),
    log: recordingLogger(),
  });
  try {
    const call = client.call({ role: 'coding', system: 's', messages: [{ role: 'user', content: 'hi' }] });
    await expect(call).rejects.toThrow(ConfigError);
    await expect(call).rejects.toThrow(
      `local model file not found: ${path.join(empty, 'models', 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf')} — qwen2.5-coder-1.5b-instruct-q4_k_m is installed by infra/offline-model.ts`,
    );
  } finally {
    await client.close();
  }
});
