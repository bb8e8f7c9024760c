/**
 * The LLM call every stage uses, independent of Temporal: route the role to its provider and
 * model, fit the context to the window, stream the reply, validate structured output (with a
 * bounded repair round), and account usage and cost.
 */
import type { Config } from '../../lib/config';
import { InvalidInputError, LlmContextLengthError, LlmOutputInvalidError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { estimateTokens, fitContext, renderContext } from './context';
import { PriceTable } from './prices';
import { ProviderPool, roleTable, type RoleTable } from './roles';
import { parseStructured, toJsonSchema } from './schemas';
import type {
  ChatMessage,
  LlmProvider,
  LlmRequest,
  LlmResponse,
  LlmUsage,
  ProviderCallOptions,
  ProviderRequest,
} from './types';

export interface LlmCallOptions extends ProviderCallOptions {
  /** The call's step name, for scripted providers and logs. */
  step?: string;
}

export interface LlmClient {
  call<T>(request: LlmRequest<T>, options?: LlmCallOptions): Promise<LlmResponse<T>>;
  readonly roles: RoleTable;
  readonly prices: PriceTable;
  close(): Promise<void>;
}

export interface LlmClientDeps {
  config: Config;
  log: Logger;
  /** Tests: serve every role with this provider (e.g. test/llm/scripted-provider). */
  provider?: LlmProvider;
}

const addUsage = (a: LlmUsage, b: LlmUsage): LlmUsage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
  cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  outputTokens: a.outputTokens + b.outputTokens,
});

/** Fits tried against the provider's own tokenizer before a request is sent as it is. */
const MAX_FIT_ROUNDS = 3;

/**
 * Fits a request into the model's window. The estimate (3 characters a token) is wrong for LaTeX
 * and code, which tokenize densely; a provider that can count (the local model) measures the
 * fitted prompt with its own tokenizer, and while that is more than the estimate the parts are
 * fitted again at the measured ratio. A prompt the window cannot hold never reaches the model.
 */
async function fitToWindow(
  provider: LlmProvider,
  input: Omit<Parameters<typeof fitContext>[0], 'count'>,
): Promise<ReturnType<typeof fitContext>> {
  let fit = fitContext({ ...input, count: estimateTokens });
  let scale = 1;
  for (let round = 1; provider.countTokens && round <= MAX_FIT_ROUNDS; round++) {
    const text = [input.system, renderContext(fit.parts), ...input.messages.map((m) => m.content)].join('\n');
    const real = await provider.countTokens(text);
    if (real <= fit.promptTokens) break;
    scale *= (real / fit.promptTokens) * 1.05;
    try {
      fit = fitContext({ ...input, count: (t) => Math.ceil(estimateTokens(t) * scale) });
    } catch (err) {
      // Nothing left to trim: send the last fit, and the provider caps the reply to the room
      // its tokenizer leaves (the local engine does).
      if (err instanceof LlmContextLengthError) break;
      throw err;
    }
  }
  return fit;
}

/** Builds the client from config. Validates role settings and prices at once (ConfigError). */
export function createLlmClient({ config, log, provider }: LlmClientDeps): LlmClient {
  const roles = roleTable(config);
  const prices = new PriceTable(
    config.llm.pricesJson,
    log,
    config.llm.local.contextTokens,
    config.llm.imageModels,
  );
  const pool = new ProviderPool(config, provider);

  async function call<T>(req: LlmRequest<T>, options: LlmCallOptions = {}): Promise<LlmResponse<T>> {
    const ref = req.model ?? roles.model(req.role);
    const base = roles.params(req.role);
    const params = {
      maxTokens: req.maxTokens ?? base.maxTokens,
      temperature: req.temperature ?? base.temperature,
      stop: req.stop ?? base.stop,
    };
    // A model that takes no images would get the text alone and answer as if it had looked.
    if (req.messages.some((m) => m.images?.length) && !prices.takesImages(ref))
      throw new InvalidInputError(
        `${ref.provider}:${ref.model} takes no images (the model table and SCIENTIST_LLM_IMAGE_MODELS say so); the request had some`,
      );
    const p = pool.get(ref);
    const fit = await fitToWindow(p, {
      system: req.system,
      parts: req.context ?? [],
      messages: req.messages,
      maxTokens: params.maxTokens,
      contextTokens: prices.contextTokens(ref),
    });
    if (fit.trimmed.length)
      log.info('trimmed context to fit the window', {
        role: req.role,
        model: ref.model,
        trimmed: fit.trimmed,
      });
    params.maxTokens = fit.maxTokens;
    const jsonSchema = req.schema
      ? { name: req.schemaName ?? 'answer', schema: toJsonSchema(req.schema) }
      : undefined;
    const started = Date.now();
    let messages: ChatMessage[] = req.messages;
    let usage: LlmUsage = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };
    const requestIds: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const providerRequest: ProviderRequest = {
        model: ref.model,
        system: req.system,
        context: renderContext(fit.parts),
        messages,
        params,
        jsonSchema,
        meta: { role: req.role, step: options.step },
      };
      const result = await p.complete(providerRequest, options);
      usage = addUsage(usage, result.usage);
      requestIds.push(result.requestId);
      const done = (parsed: T | undefined): LlmResponse<T> => ({
        text: result.text,
        parsed,
        usage,
        costUsd: prices.cost(ref, usage),
        model: result.model,
        provider: ref.provider,
        latencyMs: Date.now() - started,
        requestId: requestIds.join(','),
        attempts: attempt,
        trimmed: fit.trimmed,
        finishReason: result.finishReason,
      });
      if (!req.schema) return done(undefined);
      const outcome = parseStructured(result.text, req.schema);
      if (outcome.ok) return done(outcome.value);
      if (attempt > config.llm.repairRounds) {
        const spent = done(undefined);
        throw new LlmOutputInvalidError(
          `${ref.provider}:${ref.model} gave no valid ${jsonSchema!.name} after ${attempt} replies: ${outcome.error.slice(0, 500)}`,
          result.text,
          {
            spend: {
              costUsd: spent.costUsd,
              inputTokens: spent.usage.inputTokens,
              outputTokens: spent.usage.outputTokens,
              calls: attempt,
            },
          },
        );
      }
      log.warn('structured output invalid; asking the model to repair it', {
        role: req.role,
        model: ref.model,
        attempt,
        error: outcome.error.slice(0, 300),
      });
      // The repair round shows the model its own reply and exactly what was wrong with it.
      messages = [
        ...messages,
        { role: 'assistant', content: result.text },
        {
          role: 'user',
          content: `Your reply did not match the required JSON schema:\n${outcome.error}\n\nReply again with only the corrected JSON object, nothing else.`,
        },
      ];
    }
  }

  return { call, roles, prices, close: () => pool.close() };
}
