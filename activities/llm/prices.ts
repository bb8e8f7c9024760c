/**
 * What models cost and how much they can read. List prices in USD per million tokens at the
 * time of writing; providers change them, so SCIENTIST_LLM_PRICES overrides any entry. A model
 * not in the table costs 0 with a warning: cost accounting must never stop research.
 */
import { readLlmPrices } from '../../lib/config';
import type { Logger } from '../../lib/log';
import type { LlmUsage, ModelRef } from './types';

export interface ModelInfo {
  /** USD per million input tokens. */
  input: number;
  /** USD per million input tokens read from the prompt cache. */
  cachedInput: number;
  /** USD per million output tokens. */
  output: number;
  /** Context window in tokens (prompt + output). */
  contextTokens: number;
  /** Takes images with a message (figure critique); SCIENTIST_LLM_IMAGE_MODELS overrides. */
  images: boolean;
}

const info = (
  input: number,
  cachedInput: number,
  output: number,
  contextTokens: number,
  images = false,
): ModelInfo => ({ input, cachedInput, output, contextTokens, images });
const IMAGES = true;

/** Keys match a model id exactly or as the longest prefix ("gpt-4o-2024-08-06" → "gpt-4o"). */
export const BUILTIN_MODELS: Record<string, ModelInfo> = {
  'gpt-4o': info(2.5, 1.25, 10, 128_000, IMAGES),
  'gpt-4o-mini': info(0.15, 0.075, 0.6, 128_000, IMAGES),
  'gpt-4.1': info(2, 0.5, 8, 1_047_576, IMAGES),
  'gpt-4.1-mini': info(0.4, 0.1, 1.6, 1_047_576, IMAGES),
  'gpt-4.1-nano': info(0.1, 0.025, 0.4, 1_047_576, IMAGES),
  'gpt-5': info(1.25, 0.125, 10, 400_000, IMAGES),
  'gpt-5-mini': info(0.25, 0.025, 2, 400_000, IMAGES),
  'gpt-5-nano': info(0.05, 0.005, 0.4, 400_000, IMAGES),
  o1: info(15, 7.5, 60, 200_000, IMAGES),
  o3: info(2, 0.5, 8, 200_000, IMAGES),
  'o3-mini': info(1.1, 0.55, 4.4, 200_000),
  'o4-mini': info(1.1, 0.275, 4.4, 200_000, IMAGES),
  'claude-opus-4': info(15, 1.5, 75, 200_000, IMAGES),
  'claude-opus-4-5': info(5, 0.5, 25, 200_000, IMAGES),
  'claude-sonnet-4': info(3, 0.3, 15, 200_000, IMAGES),
  'claude-3-7-sonnet': info(3, 0.3, 15, 200_000, IMAGES),
  'claude-3-5-sonnet': info(3, 0.3, 15, 200_000, IMAGES),
  'claude-haiku-4-5': info(1, 0.1, 5, 200_000, IMAGES),
  'claude-3-5-haiku': info(0.8, 0.08, 4, 200_000),
  'deepseek-chat': info(0.27, 0.07, 1.1, 64_000),
  'deepseek-reasoner': info(0.55, 0.14, 2.19, 64_000),
  'gemini-2.5-pro': info(1.25, 0.31, 10, 1_048_576, IMAGES),
  'gemini-2.5-flash': info(0.3, 0.075, 2.5, 1_048_576, IMAGES),
};

/** Window assumed for a model the table does not know. */
export const UNKNOWN_CONTEXT_TOKENS = 32_768;

/** Model prices and windows: the built-in table under SCIENTIST_LLM_PRICES. */
export class PriceTable {
  private readonly models: Record<string, ModelInfo>;
  private readonly warned = new Set<string>();

  constructor(
    overridesJson: string | undefined,
    private readonly log: Logger,
    /** The local model's window comes from config (SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS). */
    private readonly localContextTokens = 4096,
    /** SCIENTIST_LLM_IMAGE_MODELS: ids or prefixes that take images; `-id` one that does not. */
    private readonly imageModels: readonly string[] = [],
  ) {
    this.models = { ...BUILTIN_MODELS };
    if (overridesJson) {
      // The loader's own check (lib/config); a table built from another string is checked here too.
      for (const [model, p] of Object.entries(readLlmPrices(overridesJson))) {
        const base = this.lookup(model);
        this.models[model] = {
          input: p.input,
          cachedInput: p.cachedInput ?? p.input,
          output: p.output,
          contextTokens: p.contextTokens ?? base?.contextTokens ?? UNKNOWN_CONTEXT_TOKENS,
          images: base?.images ?? false,
        };
      }
    }
  }

  /** The table's entry for a model: exact id, else the longest matching prefix; vendor prefixes ("openai/…") ignored. */
  lookup(model: string): ModelInfo | undefined {
    const key = longestMatch(model, Object.keys(this.models));
    return key === undefined ? undefined : this.models[key];
  }

  contextTokens(ref: ModelRef): number {
    if (ref.provider === 'local') return this.localContextTokens;
    return this.lookup(ref.model)?.contextTokens ?? UNKNOWN_CONTEXT_TOKENS;
  }

  /**
   * Whether the model takes images with a message. The local models never do; a model named in
   * SCIENTIST_LLM_IMAGE_MODELS does (`-name`: does not), matched like the table (exact id, else
   * the longest prefix, vendor prefix ignored); else the table's entry says; an unknown model does not.
   */
  takesImages(ref: ModelRef): boolean {
    if (ref.provider === 'local') return false;
    const settings = Object.fromEntries(
      this.imageModels.map((e) => (e.startsWith('-') ? [e.slice(1), false] : [e, true])),
    ) as Record<string, boolean>;
    const setting = longestMatch(ref.model, Object.keys(settings));
    if (setting !== undefined) return settings[setting]!;
    return this.lookup(ref.model)?.images ?? false;
  }

  /** USD for one call's usage; 0 (and one warning per model) when the model's price is unknown. */
  cost(ref: ModelRef, usage: LlmUsage): number {
    if (ref.provider === 'local') return 0;
    const p = this.lookup(ref.model);
    if (!p) {
      if (!this.warned.has(ref.model)) {
        this.warned.add(ref.model);
        this.log.warn(
          `no price known for model "${ref.model}": counting its calls as $0 (set SCIENTIST_LLM_PRICES)`,
        );
      }
      return 0;
    }
    const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
    // Anthropic bills cache writes at 1.25× the input price; OpenAI reports none.
    const usd =
      uncached * p.input +
      usage.cachedInputTokens * p.cachedInput +
      usage.cacheWriteTokens * p.input * 1.25 +
      usage.outputTokens * p.output;
    return usd / 1_000_000;
  }
}

/** The key naming `model`: its exact id, else the longest key it extends (`-`, `:`, `@`); vendor prefixes ("openai/…") ignored. */
function longestMatch(model: string, keys: string[]): string | undefined {
  const candidates = [model, model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : model];
  for (const id of candidates) {
    if (keys.includes(id)) return id;
    let best: string | undefined;
    for (const key of keys) {
      if (id.startsWith(key + '-') || id.startsWith(key + ':') || id.startsWith(key + '@')) {
        if (!best || key.length > best.length) best = key;
      }
    }
    if (best) return best;
  }
  return undefined;
}
