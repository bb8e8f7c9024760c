/**
 * The fake OpenAI-compatible LLM of the crash tests, scripted for the paper pipeline
 * (pipeline-llm-script.ts): it labels every request with its step, can hold a step's reply back
 * so that a worker is killed while it waits for a model, and says what the provider would bill.
 */
import { PriceTable } from '../../activities/llm/prices';
import { createLogger } from '../../lib/log';
import { FakeLlmServer, type FakeReply, type FakeUsage, type RecordedRequest } from '../llm/fake-llm-server';
import { answerFor, stepOf } from './pipeline-llm-script';

/** The model every role uses in the crash tests, with a price so that costs are not zero. */
export const CRASH_MODEL = 'crash-model';
const PRICES = { [CRASH_MODEL]: { input: 3, output: 15, contextTokens: 128_000 } };

export interface LabelledRequest {
  /** 1-based order of arrival at the server. */
  n: number;
  step: string;
  /** The reply's tag (`r<n>`), found in every artifact made from this reply. */
  tag: string;
  request: RecordedRequest;
  /** Characters of the reply text it was given (set once the answer is chosen). */
  replyChars?: number;
}

export interface Hold {
  /** Resolves when the held request arrives. */
  arrived: Promise<LabelledRequest>;
  /** Lets a held-back reply go (it is dropped if its client is gone). */
  release(): void;
}

/**
 * The fake OpenAI-compatible server (test/llm/fake-llm-server.ts) scripted for the paper
 * pipeline: each request is labelled with its step (stepOf) and answered (answerFor). `hold`
 * makes the next request of a step wait (`before`: no byte until released) or stream very
 * slowly (`stream`: one chunk a second), so a worker can be killed while it waits for a model.
 */
export class PipelineLlm {
  readonly calls: LabelledRequest[] = [];
  private readonly holds: {
    match: RegExp;
    mode: 'before' | 'stream';
    fired: boolean;
    resolve: (r: LabelledRequest) => void;
    released: Promise<void>;
  }[] = [];
  private releasers: (() => void)[] = [];
  readonly prices = new PriceTable(JSON.stringify(PRICES), createLogger('crash-prices', 'warn'));

  private constructor(
    readonly server: FakeLlmServer,
    private readonly script: typeof answerFor,
  ) {
    server.fallback = (req) => this.answer(req);
  }

  /** `script` answers each step (default: the grokking paper's, pipeline-llm-script.ts). */
  static async start(script: typeof answerFor = answerFor): Promise<PipelineLlm> {
    return new PipelineLlm(await FakeLlmServer.start(), script);
  }

  /** Settings that route every role to this server. */
  get env(): Record<string, string> {
    return {
      SCIENTIST_LLM_DEFAULT: `openai:${CRASH_MODEL}`,
      SCIENTIST_OPENAI_BASE_URL: this.server.openaiBaseUrl,
      SCIENTIST_OPENAI_API_KEY: 'sk-crash-test',
      SCIENTIST_LLM_PRICES: JSON.stringify(PRICES),
      SCIENTIST_LLM_TIMEOUT_S: '600',
    };
  }

  hold(match: RegExp, mode: 'before' | 'stream' = 'before'): Hold {
    let resolve!: (r: LabelledRequest) => void;
    const arrived = new Promise<LabelledRequest>((r) => (resolve = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    this.releasers.push(release);
    this.holds.push({ match, mode, fired: false, resolve, released });
    return { arrived, release };
  }

  /** Lets every held reply go (teardown). */
  releaseAll(): void {
    this.releasers.forEach((r) => r());
  }

  /** Requests of a step (RegExp on the label). */
  of(step: RegExp): LabelledRequest[] {
    return this.calls.filter((c) => step.test(c.step));
  }

  /** What the provider would bill: the usage of every reply that was delivered whole. */
  billed(): { calls: number; inputTokens: number; outputTokens: number; costUsd: number } {
    const done = this.calls.filter((c) => c.request.outcome === 'completed');
    const sum = (f: (u: FakeUsage) => number) => done.reduce((s, c) => s + f(c.request.usage!), 0);
    return {
      calls: done.length,
      inputTokens: sum((u) => u.input),
      outputTokens: sum((u) => u.output),
      costUsd: done.reduce((s, c) => s + this.costOf(c.request.usage!), 0),
    };
  }

  costOf(u: FakeUsage): number {
    return this.prices.cost(
      { provider: 'openai', model: CRASH_MODEL },
      {
        inputTokens: u.input,
        cachedInputTokens: u.cached,
        cacheWriteTokens: u.cacheWrite,
        outputTokens: u.output,
      },
    );
  }

  async close(): Promise<void> {
    this.releaseAll();
    await this.server.close();
  }

  private async answer(req: RecordedRequest): Promise<FakeReply> {
    const n = this.calls.length + 1;
    const step = stepOf(req.body);
    const call: LabelledRequest = { n, step, tag: `r${n}`, request: req };
    this.calls.push(call);
    const reply = this.script(step, call.tag, req.body);
    if (!reply)
      return {
        kind: 'error',
        status: 400,
        message: `the crash tests' LLM script has no answer for step "${step}": ${JSON.stringify(req.body.messages).slice(0, 300)}`,
      };
    if (reply.kind === 'text') call.replyChars = reply.text.length;
    const hold = this.holds.find((h) => !h.fired && h.match.test(step));
    if (!hold) return reply;
    hold.fired = true;
    hold.resolve(call);
    if (hold.mode === 'stream' && reply.kind === 'text') {
      // Long enough to stream for minutes at one 8-character chunk a second.
      // The tag goes first, so the part that arrives before the kill carries it.
      const text = `(${call.tag}) ${reply.text}\n${'We discuss this at length. '.repeat(30)}`;
      call.replyChars = text.length;
      return { ...reply, text, chunkDelayMs: 1000 };
    }
    await hold.released;
    return reply;
  }
}
