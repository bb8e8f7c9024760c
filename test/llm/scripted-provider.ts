/**
 * TESTS ONLY — a provider that answers from a script, for pipeline and workflow tests that need
 * deterministic model output without a model. Entries match by role and step (exact string or
 * RegExp) in order; each answers `times` calls (default 1). A call that no entry answers fails
 * loudly with the role, step and the script's state, so a test never runs on a guess.
 * Pass it as `deps.llmProvider`; it serves every role.
 */
import { InvalidInputError } from '../../lib/errors';
import type {
  LlmProvider,
  LlmRole,
  LlmUsage,
  ProviderRequest,
  ProviderResult,
} from '../../activities/llm/types';

export interface ScriptEntry {
  role?: LlmRole;
  step?: string | RegExp;
  /** Text, an object (sent as JSON), or a function of the request. */
  reply: string | object | ((req: ProviderRequest) => string | object);
  /** Calls this entry answers; Infinity for every matching call. Default 1. */
  times?: number;
  usage?: Partial<LlmUsage>;
}

export class ScriptedProvider implements LlmProvider {
  readonly name = 'local' as const;
  /** Every request, in order, for assertions. */
  readonly calls: ProviderRequest[] = [];
  private readonly entries: (ScriptEntry & { left: number })[];

  constructor(script: ScriptEntry[]) {
    this.entries = script.map((e) => ({ ...e, left: e.times ?? 1 }));
  }

  /** Entries not used up (a test can assert the whole script ran). */
  get remaining(): number {
    return this.entries.filter((e) => e.left > 0 && e.left !== Infinity).length;
  }

  async complete(req: ProviderRequest): Promise<ProviderResult> {
    this.calls.push(req);
    const { role, step } = req.meta;
    const entry = this.entries.find(
      (e) =>
        e.left > 0 &&
        (e.role === undefined || e.role === role) &&
        (e.step === undefined ||
          (typeof e.step === 'string' ? e.step === step : step !== undefined && e.step.test(step))),
    );
    if (!entry) {
      throw new InvalidInputError(
        `scripted LLM has no answer for role=${role} step=${step ?? '(none)'} (call ${this.calls.length}); ` +
          `script: ${this.entries.map((e) => `${e.role ?? '*'}/${String(e.step ?? '*')}×${e.left}`).join(', ') || '(empty)'}`,
      );
    }
    entry.left -= 1;
    const raw = typeof entry.reply === 'function' ? entry.reply(req) : entry.reply;
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const inputTokens =
      entry.usage?.inputTokens ??
      Math.ceil(
        (req.system.length + req.context.length + req.messages.reduce((n, m) => n + m.content.length, 0)) / 4,
      );
    return {
      text,
      usage: {
        inputTokens,
        cachedInputTokens: entry.usage?.cachedInputTokens ?? 0,
        cacheWriteTokens: entry.usage?.cacheWriteTokens ?? 0,
        outputTokens: entry.usage?.outputTokens ?? Math.ceil(text.length / 4),
      },
      requestId: `scripted-${this.calls.length}`,
      model: req.model,
      finishReason: 'stop',
    };
  }
}
