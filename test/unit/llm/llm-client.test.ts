/**
 * The LLM layer without Temporal: the real `openai` and `@anthropic-ai/sdk` clients against the
 * local fake server speaking their wire formats.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { z } from 'zod';
import { createLlmClient, fitContext, parseModelRef, roleTable } from '../../../activities/llm';
import {
  ConfigError,
  LlmAuthError,
  LlmContextLengthError,
  LlmOutputInvalidError,
  LlmRateLimitedError,
  LlmRefusalError,
  LlmUnavailableError,
} from '../../../lib/errors';
import { FakeLlmServer, reply } from '../../llm/fake-llm-server';
import { llmConfig, recordingLogger } from '../../llm/helpers';
import { ScriptedProvider } from '../../llm/scripted-provider';

const Idea = z.object({ title: z.string().min(3), score: z.number().int().min(1).max(10) });

let server: FakeLlmServer;
beforeAll(async () => {
  server = await FakeLlmServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function openaiClient(model = 'gpt-4o', extra: Record<string, string> = {}) {
  const log = recordingLogger();
  const config = llmConfig({
    SCIENTIST_LLM_DEFAULT: `openai:${model}`,
    SCIENTIST_OPENAI_API_KEY: 'sk-test',
    SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
    ...extra,
  });
  return { llm: createLlmClient({ config, log }), log };
}

function anthropicClient(model = 'claude-sonnet-4-5') {
  const log = recordingLogger();
  const config = llmConfig({
    SCIENTIST_LLM_DEFAULT: `anthropic:${model}`,
    SCIENTIST_ANTHROPIC_API_KEY: 'sk-ant-test',
    SCIENTIST_ANTHROPIC_BASE_URL: server.anthropicBaseUrl,
  });
  return { llm: createLlmClient({ config, log }), log };
}

describe('fake server speaks both wire formats to the official clients', () => {
  test('non-streaming chat.completions and messages, with usage and cached tokens', async () => {
    server.enqueue(
      reply.text('hello from openai', { input: 100, cached: 40, output: 5 }),
      reply.text('hello from anthropic', { input: 100, cached: 60, cacheWrite: 10, output: 6 }),
    );
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.openaiBaseUrl, maxRetries: 0 });
    const o = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(o.choices[0]!.message.content).toBe('hello from openai');
    expect(o.usage).toMatchObject({
      prompt_tokens: 100,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 40 },
    });
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: server.anthropicBaseUrl, maxRetries: 0 });
    const a = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(a.content[0]).toMatchObject({ type: 'text', text: 'hello from anthropic' });
    expect(a.usage).toMatchObject({
      input_tokens: 30,
      cache_read_input_tokens: 60,
      cache_creation_input_tokens: 10,
      output_tokens: 6,
    });
  });
});

describe('openai provider', () => {
  test('streams text, reports usage with cached tokens, prices it, and keeps the request id', async () => {
    const { llm } = openaiClient('gpt-4o');
    server.enqueue(
      reply.text('a streamed answer that spans several chunks', {
        input: 2_000_000,
        cached: 1_000_000,
        output: 1_000_000,
      }),
    );
    const chunks: string[] = [];
    const r = await llm.call(
      { role: 'writing', system: 'be brief', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3 },
      { onText: (c) => chunks.push(c) },
    );
    expect(r.text).toBe('a streamed answer that spans several chunks');
    expect(chunks.length).toBeGreaterThan(3);
    expect(r.usage).toEqual({
      inputTokens: 2_000_000,
      cachedInputTokens: 1_000_000,
      cacheWriteTokens: 0,
      outputTokens: 1_000_000,
    });
    // gpt-4o: $2.50/M input, $1.25/M cached, $10/M output.
    expect(r.costUsd).toBeCloseTo(2.5 + 1.25 + 10, 6);
    expect(r.requestId).toMatch(/^req_fake_\d+$/);
    expect(r.provider).toBe('openai');
    const body = server.requests[0]!.body;
    expect(body).toMatchObject({ model: 'gpt-4o', stream: true, temperature: 0.3, max_tokens: 4096 });
    expect(body.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
  });

  test('reasoning models get max_completion_tokens, no temperature, and the system prompt as developer', async () => {
    const { llm } = openaiClient('o3-mini');
    server.enqueue(reply.text('done'));
    await llm.call({
      role: 'coding',
      system: 'sys',
      messages: [{ role: 'user', content: 'go' }],
      temperature: 0.9,
      maxTokens: 123,
    });
    const body = server.requests[0]!.body;
    expect(body.max_completion_tokens).toBe(123);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('max_tokens');
    expect((body.messages as { role: string }[])[0]!.role).toBe('developer');
  });

  test('structured output is sent as native json_schema and validated', async () => {
    const { llm } = openaiClient();
    server.enqueue(reply.json({ title: 'Grokking with weight decay', score: 7 }));
    const r = await llm.call({
      role: 'ideation',
      system: 's',
      messages: [{ role: 'user', content: 'idea' }],
      schema: Idea,
      schemaName: 'idea',
    });
    expect(r.parsed).toEqual({ title: 'Grokking with weight decay', score: 7 });
    const format = server.requests[0]!.body.response_format as {
      type: string;
      json_schema: { name: string; strict: boolean; schema: { required: string[] } };
    };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.name).toBe('idea');
    expect(format.json_schema.strict).toBe(true);
    expect(format.json_schema.schema.required).toEqual(['title', 'score']);
  });

  test('endpoints without json_schema get JSON mode and the schema in the prompt', async () => {
    const { llm } = openaiClient('deepseek-chat', { SCIENTIST_OPENAI_JSON_MODE: 'json_object' });
    server.enqueue(reply.json({ title: 'Sparse grokking', score: 5 }));
    const r = await llm.call({
      role: 'ideation',
      system: 's',
      messages: [{ role: 'user', content: 'idea' }],
      schema: Idea,
    });
    expect(r.parsed).toEqual({ title: 'Sparse grokking', score: 5 });
    const body = server.requests[0]!.body as { response_format: unknown; messages: { content: string }[] };
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0]!.content).toContain('"required":["title","score"]');
  });

  test('images go as data-URL content parts', async () => {
    const { llm } = openaiClient();
    await llm.call({
      role: 'review',
      system: 's',
      messages: [
        { role: 'user', content: 'look', images: [{ mediaType: 'image/png', base64: 'iVBORw0KGgo=' }] },
      ],
    });
    const user = (server.requests[0]!.body.messages as { content: unknown }[])[1]!;
    expect(user.content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ]);
  });
});

describe('anthropic provider', () => {
  test('puts cache_control on the long stable prefix and counts cache reads and writes', async () => {
    const { llm } = anthropicClient('claude-sonnet-4-5');
    server.enqueue(
      reply.text('reviewed', { input: 1_000_000, cached: 500_000, cacheWrite: 100_000, output: 1_000_000 }),
    );
    const r = await llm.call({
      role: 'review',
      system: 'You are a reviewer.',
      context: [{ name: 'Paper draft', text: 'x'.repeat(5000), priority: 1 }],
      messages: [{ role: 'user', content: 'review it' }],
      temperature: 0.1,
    });
    expect(r.text).toBe('reviewed');
    expect(r.usage).toEqual({
      inputTokens: 1_000_000,
      cachedInputTokens: 500_000,
      cacheWriteTokens: 100_000,
      outputTokens: 1_000_000,
    });
    // claude-sonnet-4: $3/M input, $0.30/M cache read, 1.25×$3 cache write, $15/M output.
    expect(r.costUsd).toBeCloseTo(0.4 * 3 + 0.5 * 0.3 + 0.1 * 3.75 + 15, 6);
    const system = server.requests[0]!.body.system as { text: string; cache_control?: unknown }[];
    expect(system).toHaveLength(2);
    expect(system[1]!.text).toContain('## Paper draft');
    expect(system[1]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(system[0]!.cache_control).toBeUndefined();
  });

  test('structured output is a forced tool call whose input is validated', async () => {
    const { llm } = anthropicClient();
    server.enqueue(reply.json({ title: 'Diffusion on rings', score: 6 }));
    const r = await llm.call({
      role: 'ideation',
      system: 's',
      messages: [{ role: 'user', content: 'idea' }],
      schema: Idea,
      schemaName: 'idea',
    });
    expect(r.parsed).toEqual({ title: 'Diffusion on rings', score: 6 });
    const body = server.requests[0]!.body as {
      tools: { name: string; input_schema: unknown }[];
      tool_choice: unknown;
    };
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'idea' });
    expect(body.tools[0]!.input_schema).toMatchObject({ type: 'object', required: ['title', 'score'] });
  });
});

describe('errors sort into the taxonomy', () => {
  const cases: [string, () => ReturnType<typeof reply.text>, new (...a: never[]) => Error, boolean][] = [
    ['429', () => reply.rateLimited(7), LlmRateLimitedError, true],
    ['500', () => reply.serverError(), LlmUnavailableError, true],
    ['529 overloaded', () => reply.overloaded(), LlmUnavailableError, true],
    ['400 context length', () => reply.contextLength(), LlmContextLengthError, false],
    ['401', () => reply.unauthorized(), LlmAuthError, false],
  ];
  for (const make of [openaiClient, anthropicClient]) {
    for (const [what, answer, type, retryable] of cases) {
      test(`${make === openaiClient ? 'openai' : 'anthropic'}: ${what} → ${type.name}`, async () => {
        const { llm } = make();
        server.enqueue(answer());
        const err = await llm
          .call({ role: 'writing', system: 's', messages: [{ role: 'user', content: 'x' }] })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(type);
        expect((err as { retryable: boolean }).retryable).toBe(retryable);
        if (what === '429') expect((err as { retryAfterMs: number }).retryAfterMs).toBe(7000);
        // The SDKs' own retries are off: Temporal owns retrying.
        expect(server.requests).toHaveLength(1);
      });
    }
  }

  for (const make of [openaiClient, anthropicClient]) {
    test(`${make === openaiClient ? 'openai' : 'anthropic'}: an error event in the middle of a stream is retryable`, async () => {
      const { llm } = make();
      server.enqueue(reply.midstreamOverloaded());
      await expect(
        llm.call({ role: 'writing', system: 's', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toBeInstanceOf(LlmUnavailableError);
    });
  }

  test('an unreachable endpoint is retryable', async () => {
    const config = llmConfig({
      SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o',
      SCIENTIST_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    const llm = createLlmClient({ config, log: recordingLogger() });
    await expect(
      llm.call({ role: 'writing', system: 's', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(LlmUnavailableError);
  });

  test('a refusal is non-retryable', async () => {
    const { llm } = openaiClient();
    server.enqueue(reply.refusal('I cannot help with that'));
    await expect(
      llm.call({ role: 'writing', system: 's', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(LlmRefusalError);
  });
});

describe('structured output repair', () => {
  test('an invalid reply is shown its validation error once, and the repaired reply is used', async () => {
    const { llm, log } = openaiClient();
    server.enqueue(
      reply.json({ title: 'ok title', score: 42 }, { input: 10, output: 10 }),
      reply.json({ title: 'ok title', score: 4 }, { input: 30, output: 10 }),
    );
    const r = await llm.call({
      role: 'ideation',
      system: 's',
      messages: [{ role: 'user', content: 'idea' }],
      schema: Idea,
    });
    expect(r.parsed).toEqual({ title: 'ok title', score: 4 });
    expect(r.attempts).toBe(2);
    expect(r.usage.inputTokens).toBe(40);
    expect(r.usage.outputTokens).toBe(20);
    const repair = server.requests[1]!.body.messages as { role: string; content: string }[];
    expect(repair.at(-2)).toEqual({ role: 'assistant', content: '{"title":"ok title","score":42}' });
    expect(repair.at(-1)!.content).toMatch(/did not match the required JSON schema[\s\S]*score/);
    expect(log.lines.some((l) => l.level === 'warn' && /repair/.test(l.msg))).toBe(true);
  });

  test('a reply still invalid after the repair round fails non-retryably with the raw text', async () => {
    const { llm } = openaiClient();
    server.enqueue(reply.text('not json at all'), reply.text('{"title": "x"'));
    const err = await llm
      .call({ role: 'ideation', system: 's', messages: [{ role: 'user', content: 'idea' }], schema: Idea })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmOutputInvalidError);
    expect((err as LlmOutputInvalidError).retryable).toBe(false);
    expect((err as LlmOutputInvalidError).raw).toBe('{"title": "x"');
    expect(server.requests).toHaveLength(2);
  });
});

describe('context fitting', () => {
  test('drops the lowest-priority parts first and shortens the next one to fit', () => {
    const parts = [
      { name: 'template code', text: 'c'.repeat(3000), priority: 10 },
      { name: 'related work', text: 'r'.repeat(3000), priority: 1 },
      { name: 'old notes', text: 'n'.repeat(3000), priority: 0 },
    ];
    const fit = fitContext({
      system: 's',
      parts,
      messages: [{ role: 'user', content: 'q' }],
      maxTokens: 500,
      contextTokens: 2300,
    });
    expect(fit.trimmed).toEqual(['old notes', 'related work']);
    expect(fit.parts.map((p) => p.name)).toEqual(['template code', 'related work']);
    expect(fit.parts[0]!.text).toBe('c'.repeat(3000));
    expect(fit.parts[1]!.text).toMatch(/characters omitted/);
    expect(fit.promptTokens + fit.maxTokens).toBeLessThanOrEqual(2300);
    expect(fit.maxTokens).toBe(500);
  });

  test('required parts are never trimmed: a request that cannot fit fails before it is sent', () => {
    expect(() =>
      fitContext({
        system: 's',
        parts: [{ name: 'draft', text: 'd'.repeat(9000), priority: 1, required: true }],
        messages: [],
        maxTokens: 100,
        contextTokens: 1000,
      }),
    ).toThrow(LlmContextLengthError);
  });

  test('the client trims to the window from the price table before calling the provider', async () => {
    const { llm } = openaiClient('my-small-model', {
      SCIENTIST_LLM_PRICES: JSON.stringify({
        'my-small-model': { input: 1, output: 2, contextTokens: 3000 },
      }),
    });
    const r = await llm.call({
      role: 'writing',
      system: 's',
      context: [
        { name: 'keep', text: 'k'.repeat(600), priority: 5 },
        { name: 'drop', text: 'd'.repeat(30000), priority: 1 },
      ],
      messages: [{ role: 'user', content: 'q' }],
      maxTokens: 1000,
    });
    expect(r.trimmed).toEqual(['drop']);
    const system = (server.requests[0]!.body.messages as { content: string }[])[0]!.content;
    expect(system).toContain('k'.repeat(600));
    expect(system.length).toBeLessThan(3000 * 3);
    expect(server.requests[0]!.body.max_tokens).toBeLessThanOrEqual(1000);
  });
});

describe('fitting with the provider’s own tokenizer', () => {
  test('LaTeX that tokenizes densely is trimmed again until the real count leaves room for the reply', async () => {
    // A local model whose tokenizer sees 1 token per character (3× the estimate), a 4096 window.
    const scripted = new ScriptedProvider([{ reply: 'ok', times: Infinity }]);
    const counted: number[] = [];
    const provider = Object.assign(scripted, {
      countTokens: (text: string) => {
        counted.push(text.length);
        return Promise.resolve(text.length);
      },
    });
    const llm = createLlmClient({ config: llmConfig({}), log: recordingLogger(), provider });
    const paper = '\\section{Results} $x_{i}^{2}$ '.repeat(800);
    const r = await llm.call({
      role: 'writing',
      system: 'You write one section of a paper.',
      context: [{ name: 'The paper so far', text: paper, priority: 1 }],
      messages: [{ role: 'user', content: 'Write the experimental setup.' }],
      maxTokens: 640,
    });
    expect(r.trimmed).toEqual(['The paper so far']);
    // What was sent fits the window by the real count, with room for the whole reply.
    const sent = scripted.calls[0]!;
    const real = [sent.system, sent.context, ...sent.messages.map((m) => m.content)].join('\n').length;
    expect(real + sent.params.maxTokens).toBeLessThanOrEqual(4096);
    expect(sent.params.maxTokens).toBe(640);
    // The first fit (by the estimate) did not fit by the real count: it was fitted again.
    expect(counted.length).toBeGreaterThan(1);
    expect(counted[0]!).toBeGreaterThan(4096 - 640);
  });
});

describe('roles, config and prices', () => {
  test('with no API key every role uses the local model', () => {
    const roles = roleTable(llmConfig({}));
    for (const role of ['ideation', 'coding', 'writing', 'review', 'novelty'] as const)
      expect(roles.model(role).provider).toBe('local');
  });

  test('one env switches all roles, one role can differ, params merge per role', () => {
    const roles = roleTable(
      llmConfig({
        SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o',
        SCIENTIST_OPENAI_API_KEY: 'k',
        SCIENTIST_ANTHROPIC_API_KEY: 'k',
        SCIENTIST_LLM_REVIEW: 'anthropic:claude-sonnet-4-5',
        SCIENTIST_LLM_PARAMS: '{"default":{"temperature":0.7},"review":{"temperature":0.1,"maxTokens":2000}}',
      }),
    );
    expect(roles.model('ideation')).toEqual({ provider: 'openai', model: 'gpt-4o' });
    expect(roles.model('review')).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
    expect(roles.params('review')).toEqual({ maxTokens: 2000, temperature: 0.1 });
    expect(roles.params('writing')).toEqual({ maxTokens: 4096, temperature: 0.7 });
    // The offline model gets a tighter default (it rambles to any limit), still overridable.
    expect(roleTable(llmConfig({})).params('writing')).toEqual({ maxTokens: 640, temperature: 0.3 });
  });

  test('model ids may contain colons; a hosted role without its key is a config error naming the setting', () => {
    expect(parseModelRef('openai:llama3.1:8b')).toEqual({ provider: 'openai', model: 'llama3.1:8b' });
    expect(() => roleTable(llmConfig({ SCIENTIST_LLM_CODING: 'anthropic:claude-sonnet-4-5' }))).toThrow(
      /SCIENTIST_ANTHROPIC_API_KEY/,
    );
    expect(() => roleTable(llmConfig({ SCIENTIST_LLM_PARAMS: '{"reviw":{}}' }))).toThrow(ConfigError);
  });

  test('an unknown model costs 0 with one warning, never a crash; overrides replace list prices', async () => {
    const { llm, log } = openaiClient('mystery-model-9000');
    await llm.call({ role: 'writing', system: 's', messages: [{ role: 'user', content: 'x' }] });
    const r = await llm.call({ role: 'writing', system: 's', messages: [{ role: 'user', content: 'x' }] });
    expect(r.costUsd).toBe(0);
    expect(log.lines.filter((l) => l.level === 'warn' && /no price known/.test(l.msg))).toHaveLength(1);
    const priced = openaiClient('gpt-4o', { SCIENTIST_LLM_PRICES: '{"gpt-4o":{"input":1,"output":1}}' }).llm;
    expect(
      priced.prices.cost(
        { provider: 'openai', model: 'gpt-4o-2024-08-06' },
        { inputTokens: 1e6, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 1e6 },
      ),
    ).toBe(2);
    expect(priced.prices.lookup('openai/gpt-4o-mini')?.input).toBe(0.15);
  });
});

describe('scripted provider (for pipeline tests)', () => {
  test('answers by role and step in order and fails loudly when its script runs out', async () => {
    const scripted = new ScriptedProvider([
      { role: 'ideation', step: /^idea-/, reply: { title: 'scripted idea', score: 5 }, times: 2 },
      { role: 'review', reply: 'looks fine' },
    ]);
    const llm = createLlmClient({ config: llmConfig({}), log: recordingLogger(), provider: scripted });
    const a = await llm.call(
      { role: 'ideation', system: 's', messages: [{ role: 'user', content: 'x' }], schema: Idea },
      { step: 'idea-1' },
    );
    expect(a.parsed).toEqual({ title: 'scripted idea', score: 5 });
    await llm.call(
      { role: 'ideation', system: 's', messages: [{ role: 'user', content: 'x' }] },
      { step: 'idea-2' },
    );
    expect(
      (await llm.call({ role: 'review', system: 's', messages: [{ role: 'user', content: 'x' }] })).text,
    ).toBe('looks fine');
    await expect(
      llm.call(
        { role: 'ideation', system: 's', messages: [{ role: 'user', content: 'x' }] },
        { step: 'idea-3' },
      ),
    ).rejects.toThrow(/no answer for role=ideation step=idea-3/);
    expect(scripted.remaining).toBe(0);
  });
});
