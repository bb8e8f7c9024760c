/**
 * The research pipeline's `ask` port over the LLM layer, with the scripted provider and the
 * real S3 store: transcripts at the caller's key, repair, and the degrade-able failure type.
 */
import { z } from 'zod';
import { createAsk, type LlmProvider } from '../../activities/llm';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { recordingLogger } from './helpers';
import { ScriptedProvider } from './scripted-provider';

const Verdict = z.object({ novel: z.boolean(), reason: z.string().min(3) });
const config = suiteConfig('llm-ask');
const store = suiteStore(config);

test('ask returns text, parsed object and spend, and stores the transcript at the given key', async () => {
  const scripted = new ScriptedProvider([
    { role: 'novelty', reply: { novel: 'yes' }, usage: { inputTokens: 100, outputTokens: 10 } },
    {
      role: 'novelty',
      reply: { novel: true, reason: 'no prior work found' },
      usage: { inputTokens: 150, outputTokens: 12 },
    },
  ]);
  const ask = createAsk({ config, log: recordingLogger(), store, llmProvider: scripted });
  const key = `llm/${uniqueId('wf')}/novelty/round-1/transcript.json`;
  const r = await ask({
    role: 'novelty',
    transcriptKey: key,
    system: 'judge',
    prompt: 'is it novel?',
    schema: Verdict,
  });
  expect(r).toMatchObject({ ok: true, parsed: { novel: true, reason: 'no prior work found' } });
  expect(r.spend).toEqual({ costUsd: 0, inputTokens: 250, outputTokens: 22, calls: 2 });
  expect(r.transcriptKey).toBe(key);
  const transcript = await store.getJson<{
    request: { messages: { content: string }[] };
    response: { attempts: number };
  }>(key);
  expect(transcript.request.messages[0]!.content).toBe('is it novel?');
  expect(transcript.response.attempts).toBe(2);
  // The repair round showed the model what was wrong.
  expect(scripted.calls[1]!.messages.at(-1)!.content).toMatch(/reason/);
});

test('output still invalid after repair is an answer that is not ok, with its spend and the raw reply stored', async () => {
  const scripted = new ScriptedProvider([
    {
      role: 'review',
      reply: 'I think it is great!',
      times: 2,
      usage: { inputTokens: 300, outputTokens: 40 },
    },
  ]);
  const ask = createAsk({ config, log: recordingLogger(), store, llmProvider: scripted });
  const key = `llm/${uniqueId('wf')}/review/transcript.json`;
  const r = await ask({
    role: 'review',
    transcriptKey: key,
    system: 's',
    prompt: 'p',
    schema: Verdict,
  });
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.rawKey).toBe(`${key}.invalid.txt`);
  expect(r.problem).toMatch(/no valid/);
  // Both replies were billed: the first answer and the repair round.
  expect(r.spend).toEqual({ costUsd: 0, inputTokens: 600, outputTokens: 80, calls: 2 });
  expect(await store.getText(`${key}.invalid.txt`)).toBe('I think it is great!');
  expect(await store.exists(key)).toBe(false);
});

test('the local model gets the compact schema and the answer’s length as its limit; a hosted one the full schema and its own limit', async () => {
  const Full = z.object({ items: z.array(z.string().max(400)).max(8) });
  const Compact = Full.extend({ items: z.array(z.string().max(50)).max(2) });
  const request = (key: string) => ({
    role: 'review' as const,
    transcriptKey: `llm/${uniqueId('wf')}/${key}/transcript.json`,
    system: 's',
    prompt: 'p',
    schema: Full,
    compactSchema: Compact,
    answerTokens: 900,
  });
  type ItemsSchema = { properties: { items: { maxItems: number; items: { maxLength: number } } } };
  const sent = (p: ScriptedProvider) => {
    const req = p.calls.at(-1)!;
    const items = (req.jsonSchema!.schema as ItemsSchema).properties.items;
    return { maxItems: items.maxItems, maxLength: items.items.maxLength, maxTokens: req.params.maxTokens };
  };

  // The scripted provider stands in for the local model (it answers as `local`).
  const local = new ScriptedProvider([{ role: 'review', reply: { items: ['short'] }, times: 2 }]);
  const askLocal = createAsk({ config, log: recordingLogger(), store, llmProvider: local });
  expect(await askLocal(request('local'))).toMatchObject({ ok: true, parsed: { items: ['short'] } });
  expect(sent(local)).toEqual({ maxItems: 2, maxLength: 50, maxTokens: 900 });
  // An explicit maxTokens wins.
  await askLocal({ ...request('local-max'), maxTokens: 64 });
  expect(sent(local).maxTokens).toBe(64);

  // A hosted provider: the full schema, and the role's limit (the local default here, 640), not 900.
  const script = new ScriptedProvider([{ role: 'review', reply: { items: ['a', 'b', 'c'] } }]);
  const hosted: LlmProvider = { name: 'openai', complete: (req) => script.complete(req) };
  const askHosted = createAsk({ config, log: recordingLogger(), store, llmProvider: hosted });
  expect(await askHosted(request('hosted'))).toMatchObject({ ok: true, parsed: { items: ['a', 'b', 'c'] } });
  expect(sent(script)).toEqual({ maxItems: 8, maxLength: 400, maxTokens: 640 });
});
