/**
 * A local HTTP server that speaks the OpenAI chat.completions and Anthropic messages wire
 * formats (JSON and SSE streaming, usage with cached tokens, json_schema and forced-tool
 * structured output), so tests and the bench drive the real `openai` and `@anthropic-ai/sdk`
 * clients. Replies are scripted: queue answers or failures (429 + Retry-After, 500, 529, 400
 * context length, 401); when the queue is empty the fallback answers. Records every request,
 * and how its reply ended (completed or cut off by the client) with the usage it carried.
 *
 * The fallback may answer asynchronously, so a test can script replies by request content and
 * hold one back (say, until it has killed the worker that is waiting for it); a text reply may
 * stream slowly (`chunkDelayMs`), so a client can be killed mid-generation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUsage {
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
}

export type FakeReply =
  | {
      kind: 'text';
      text: string;
      usage?: Partial<FakeUsage>;
      finishReason?: string;
      refusal?: string;
      /** Pause between streamed chunks of this reply (ms); overrides the server's `chunkDelayMs`. */
      chunkDelayMs?: number;
    }
  | { kind: 'error'; status: number; retryAfterS?: number; type?: string; code?: string; message?: string }
  /** A stream that starts fine, then carries an error event (streaming requests only). */
  | { kind: 'midstream'; text: string; type: string };

export interface RecordedRequest {
  api: 'openai' | 'anthropic';
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
  /**
   * How the reply ended: `completed` (the whole text reply was written: a provider bills it),
   * `aborted` (the client went away first), `error` (an error reply); unset while in flight.
   */
  outcome?: 'completed' | 'aborted' | 'error';
  /** Date.now() when the reply ended. */
  endedAt?: number;
  /** The usage a text reply carried (what a provider would bill for it). */
  usage?: FakeUsage;
}

export const reply = {
  text: (text: string, usage?: Partial<FakeUsage>): FakeReply => ({ kind: 'text', text, usage }),
  json: (value: unknown, usage?: Partial<FakeUsage>): FakeReply => ({
    kind: 'text',
    text: JSON.stringify(value),
    usage,
  }),
  rateLimited: (retryAfterS: number): FakeReply => ({ kind: 'error', status: 429, retryAfterS }),
  serverError: (): FakeReply => ({ kind: 'error', status: 500 }),
  overloaded: (): FakeReply => ({ kind: 'error', status: 529 }),
  contextLength: (): FakeReply => ({ kind: 'error', status: 400, code: 'context_length_exceeded' }),
  unauthorized: (): FakeReply => ({ kind: 'error', status: 401 }),
  refusal: (why: string): FakeReply => ({ kind: 'text', text: '', refusal: why }),
  midstreamOverloaded: (text = 'partial answer '): FakeReply => ({
    kind: 'midstream',
    text,
    type: 'overloaded_error',
  }),
};

export class FakeLlmServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeReply[] = [];
  /** Answers when the queue is empty; may take its time (a promise). */
  fallback: (req: RecordedRequest) => FakeReply | Promise<FakeReply> = () => reply.text('ok');
  /** Pause between streamed chunks (ms), to make generations take time. */
  chunkDelayMs = 0;
  /** Characters per streamed chunk. */
  chunkChars = 8;
  /** Streams the client closed before they ended (a cancelled call). */
  aborted = 0;
  private nextId = 1;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeLlmServer> {
    const handlers: { handle?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
    const server = createServer((req, res) => void handlers.handle!(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const self = new FakeLlmServer(server, `http://127.0.0.1:${port}`);
    handlers.handle = (req, res) => self.handle(req, res);
    return self;
  }

  /** Base URL for the openai client (ends in /v1). */
  get openaiBaseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Base URL for the Anthropic client (it appends /v1/messages). */
  get anthropicBaseUrl(): string {
    return this.url;
  }

  enqueue(...replies: FakeReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  get pending(): number {
    return this.queue.length;
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.fallback = () => reply.text('ok');
    this.chunkDelayMs = 0;
    this.aborted = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0]!;
    const api = path.endsWith('/chat/completions')
      ? 'openai'
      : path.endsWith('/messages')
        ? 'anthropic'
        : undefined;
    if (req.method !== 'POST' || !api) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const recorded: RecordedRequest = { api, path, headers: req.headers, body, at: Date.now() };
    this.requests.push(recorded);
    let closed = false;
    res.on('close', () => {
      closed = true;
      if (!recorded.outcome) {
        recorded.outcome = res.writableFinished ? 'completed' : 'aborted';
        recorded.endedAt = Date.now();
      }
    });
    const answer = this.queue.shift() ?? (await this.fallback(recorded));
    const id = this.nextId++;
    if (closed) return; // the client gave up while the answer was held back
    if (answer.kind === 'error') {
      recorded.outcome = 'error';
      return this.sendError(res, api, answer);
    }
    if (answer.kind === 'midstream') {
      recorded.outcome = 'error';
      return this.sendMidstreamError(res, api, answer);
    }
    const usage = this.usageFor(body, answer);
    recorded.usage = usage;
    const delay = answer.chunkDelayMs ?? this.chunkDelayMs;
    const model = typeof body.model === 'string' ? body.model : 'unknown';
    if (api === 'openai') {
      res.setHeader('x-request-id', `req_fake_${id}`);
      if (body.stream)
        await this.streamOpenAi(
          res,
          id,
          model,
          answer,
          usage,
          Boolean((body.stream_options as { include_usage?: boolean })?.include_usage),
          delay,
        );
      else this.sendOpenAi(res, id, model, answer, usage);
    } else {
      res.setHeader('request-id', `req_fake_${id}`);
      const tool =
        Array.isArray(body.tools) && body.tools.length
          ? String((body.tools[0] as { name: string }).name)
          : undefined;
      if (body.stream) await this.streamAnthropic(res, id, model, answer, usage, tool, delay);
      else this.sendAnthropic(res, id, model, answer, usage, tool);
    }
  }

  private usageFor(body: Record<string, unknown>, answer: Extract<FakeReply, { kind: 'text' }>): FakeUsage {
    const promptChars = JSON.stringify(body.messages ?? '').length + JSON.stringify(body.system ?? '').length;
    return {
      input: answer.usage?.input ?? Math.ceil(promptChars / 4),
      cached: answer.usage?.cached ?? 0,
      cacheWrite: answer.usage?.cacheWrite ?? 0,
      output: answer.usage?.output ?? Math.max(1, Math.ceil(answer.text.length / 4)),
    };
  }

  private sendError(
    res: ServerResponse,
    api: 'openai' | 'anthropic',
    e: Extract<FakeReply, { kind: 'error' }>,
  ): void {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (e.retryAfterS !== undefined) headers['retry-after'] = String(e.retryAfterS);
    const defaults: Record<number, { type: string; message: string; code?: string }> = {
      400: { type: 'invalid_request_error', message: 'invalid request' },
      401: { type: 'authentication_error', message: 'invalid x-api-key', code: 'invalid_api_key' },
      429: {
        type: 'rate_limit_error',
        message: 'rate limit exceeded, retry later',
        code: 'rate_limit_exceeded',
      },
      500: { type: 'api_error', message: 'internal server error', code: 'server_error' },
      529: { type: 'overloaded_error', message: 'Overloaded' },
    };
    const d = defaults[e.status] ?? { type: 'api_error', message: `error ${e.status}` };
    const contextLength = e.code === 'context_length_exceeded';
    const message =
      e.message ??
      (contextLength
        ? api === 'openai'
          ? "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens."
          : 'prompt is too long: 210000 tokens > 200000 maximum'
        : d.message);
    const payload =
      api === 'openai'
        ? {
            error: {
              message,
              type: e.type ?? d.type,
              param: contextLength ? 'messages' : null,
              code: e.code ?? d.code ?? null,
            },
          }
        : { type: 'error', error: { type: e.type ?? d.type, message } };
    res.writeHead(e.status, headers).end(JSON.stringify(payload));
  }

  private async sendMidstreamError(
    res: ServerResponse,
    api: 'openai' | 'anthropic',
    m: Extract<FakeReply, { kind: 'midstream' }>,
  ): Promise<void> {
    const error = { type: m.type, message: `${m.type} during generation` };
    if (api === 'openai') {
      const base = { id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 0, model: 'm' };
      await this.sse(res, [
        ...this.pieces(m.text).map((p) => ({
          data: { ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] },
        })),
        { data: { error } },
      ]);
    } else {
      await this.sse(res, [
        {
          event: 'message_start',
          data: {
            type: 'message_start',
            message: {
              id: 'msg_x',
              type: 'message',
              role: 'assistant',
              model: 'm',
              content: [],
              stop_reason: null,
              stop_sequence: null,
              usage: { input_tokens: 1, output_tokens: 1 },
            },
          },
        },
        {
          event: 'content_block_start',
          data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        },
        ...this.pieces(m.text).map((p) => ({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } },
        })),
        { event: 'error', data: { type: 'error', error } },
      ]);
    }
  }

  private pieces(text: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += this.chunkChars) out.push(text.slice(i, i + this.chunkChars));
    return out;
  }

  private async sse(
    res: ServerResponse,
    events: { event?: string; data: unknown }[],
    chunkDelayMs = this.chunkDelayMs,
  ): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.on('close', () => {
      if (!res.writableFinished) this.aborted += 1;
    });
    for (const e of events) {
      if (res.destroyed) return;
      res.write(
        `${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`,
      );
      if (chunkDelayMs > 0) await new Promise((r) => setTimeout(r, chunkDelayMs));
    }
    res.end();
  }

  private openAiUsage(u: FakeUsage) {
    return {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
      prompt_tokens_details: { cached_tokens: u.cached },
    };
  }

  private sendOpenAi(
    res: ServerResponse,
    id: number,
    model: string,
    a: Extract<FakeReply, { kind: 'text' }>,
    u: FakeUsage,
  ): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `chatcmpl-${id}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: a.refusal ? null : a.text, refusal: a.refusal ?? null },
            finish_reason: a.finishReason ?? 'stop',
          },
        ],
        usage: this.openAiUsage(u),
      }),
    );
  }

  private async streamOpenAi(
    res: ServerResponse,
    id: number,
    model: string,
    a: Extract<FakeReply, { kind: 'text' }>,
    u: FakeUsage,
    includeUsage: boolean,
    chunkDelayMs?: number,
  ): Promise<void> {
    const base = {
      id: `chatcmpl-${id}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model,
    };
    const events: { data: unknown }[] = [
      {
        data: {
          ...base,
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        },
      },
    ];
    if (a.refusal)
      events.push({
        data: { ...base, choices: [{ index: 0, delta: { refusal: a.refusal }, finish_reason: null }] },
      });
    for (const p of this.pieces(a.text))
      events.push({ data: { ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] } });
    events.push({
      data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: a.finishReason ?? 'stop' }] },
    });
    if (includeUsage) events.push({ data: { ...base, choices: [], usage: this.openAiUsage(u) } });
    events.push({ data: '[DONE]' });
    await this.sse(res, events, chunkDelayMs);
  }

  private anthropicUsage(u: FakeUsage) {
    // Anthropic's input_tokens counts only the uncached part.
    return {
      input_tokens: u.input - u.cached - u.cacheWrite,
      output_tokens: u.output,
      cache_read_input_tokens: u.cached,
      cache_creation_input_tokens: u.cacheWrite,
    };
  }

  private sendAnthropic(
    res: ServerResponse,
    id: number,
    model: string,
    a: Extract<FakeReply, { kind: 'text' }>,
    u: FakeUsage,
    tool?: string,
  ): void {
    const content = tool
      ? [{ type: 'tool_use', id: `toolu_${id}`, name: tool, input: JSON.parse(a.text || '{}') as unknown }]
      : [{ type: 'text', text: a.text }];
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: a.refusal ? 'refusal' : (a.finishReason ?? (tool ? 'tool_use' : 'end_turn')),
        stop_sequence: null,
        usage: this.anthropicUsage(u),
      }),
    );
  }

  private async streamAnthropic(
    res: ServerResponse,
    id: number,
    model: string,
    a: Extract<FakeReply, { kind: 'text' }>,
    u: FakeUsage,
    tool?: string,
    chunkDelayMs?: number,
  ): Promise<void> {
    const usage = this.anthropicUsage(u);
    const events: { event: string; data: unknown }[] = [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: `msg_${id}`,
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...usage, output_tokens: 1 },
          },
        },
      },
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 0,
          content_block: tool
            ? { type: 'tool_use', id: `toolu_${id}`, name: tool, input: {} }
            : { type: 'text', text: '' },
        },
      },
      { event: 'ping', data: { type: 'ping' } },
    ];
    for (const p of this.pieces(a.text)) {
      events.push({
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 0,
          delta: tool ? { type: 'input_json_delta', partial_json: p } : { type: 'text_delta', text: p },
        },
      });
    }
    events.push(
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: {
            stop_reason: a.refusal ? 'refusal' : (a.finishReason ?? (tool ? 'tool_use' : 'end_turn')),
            stop_sequence: null,
          },
          usage: { output_tokens: u.output },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    );
    await this.sse(res, events, chunkDelayMs);
  }
}
