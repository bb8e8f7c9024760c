/**
 * From config to calls: which provider and model serve a role, with which parameters, and the
 * provider instances themselves (one per process and provider, created on first use).
 */
import { readLlmParams, readModelRef, type Config } from '../../lib/config';
import { createAnthropicProvider } from './providers/anthropic';
import { localModelPath } from './local-models';
import { createLocalProvider } from './providers/local';
import { createOpenAiProvider } from './providers/openai';
import { PriceTable } from './prices';
import {
  LLM_ROLES,
  type LlmParams,
  type LlmProvider,
  type LlmRole,
  type ModelRef,
  type ProviderName,
} from './types';

/** Name the local model answers to when the setting says just `local`. */
export const LOCAL_MODEL_ID = 'smollm2-135m-instruct-q4_1';

const DEFAULT_PARAMS: LlmParams = { maxTokens: 4096, temperature: 0.7 };
/**
 * The small local model rambles to whatever limit it is given, at about 30 tokens/s on one CPU
 * core: a tighter default keeps an offline paper to minutes per stage. Settings override it.
 */
const LOCAL_DEFAULT_PARAMS: Partial<LlmParams> = { maxTokens: 640, temperature: 0.3 };

/**
 * Parses `provider[:model]` with the config's own check (lib/config readModelRef); the model part
 * may itself contain colons (Ollama's `llama3.1:8b`). Throws a ConfigError naming `setting`.
 */
export function parseModelRef(text: string, setting = 'SCIENTIST_LLM_DEFAULT'): ModelRef {
  const ref = readModelRef(text, setting);
  return ref.provider === 'local' ? { provider: 'local', model: ref.model || LOCAL_MODEL_ID } : ref;
}

export interface RoleTable {
  model(role: LlmRole): ModelRef;
  params(role: LlmRole): LlmParams;
}

/**
 * Resolves every role once at start. The settings were validated when the config was loaded
 * (model names, JSON shapes, credentials), so `scientist config` and `doctor` refuse what a
 * worker would refuse.
 */
export function roleTable(config: Config): RoleTable {
  const llm = config.llm;
  const models = {} as Record<LlmRole, ModelRef>;
  const fallback = parseModelRef(llm.default);
  for (const role of LLM_ROLES) {
    const setting = llm.roles[role];
    models[role] = setting ? parseModelRef(setting, `SCIENTIST_LLM_${role.toUpperCase()}`) : fallback;
  }
  // The reader the config loader checked the setting with (lib/config/settings.ts).
  const params = llm.paramsJson ? readLlmParams(llm.paramsJson) : {};
  return {
    model: (role) => models[role],
    params: (role) => ({
      ...DEFAULT_PARAMS,
      ...(models[role].provider === 'local' ? LOCAL_DEFAULT_PARAMS : {}),
      ...params.default,
      ...params[role],
    }),
  };
}

/** What serves a role, as `provider:model`, and whether it takes images (figure critique). */
export interface RoleImageSupport {
  model: string;
  images: boolean;
}

/**
 * Whether the model that serves `role` takes images, from config alone: the model catalog
 * (activities/llm/prices.ts) under SCIENTIST_LLM_IMAGE_MODELS. No provider is made.
 */
export function roleImageSupport(config: Config, role: LlmRole): RoleImageSupport {
  const ref = roleTable(config).model(role);
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const table = new PriceTable(
    config.llm.pricesJson,
    quiet,
    config.llm.local.contextTokens,
    config.llm.imageModels,
  );
  return { model: `${ref.provider}:${ref.model}`, images: table.takesImages(ref) };
}

/**
 * Provider instances, created on first use (a local model loads only if a role needs it): one per
 * hosted provider, one per local model file (roles may run on different local models).
 */
export class ProviderPool {
  private readonly made = new Map<string, LlmProvider>();

  constructor(
    private readonly config: Config,
    /** Tests: one provider that serves every role (e.g. the scripted provider). */
    private readonly override?: LlmProvider,
  ) {}

  get(ref: ModelRef): LlmProvider {
    if (this.override) return this.override;
    const name: ProviderName = ref.provider;
    const modelPath = name === 'local' ? localModelPath(this.config, ref.model) : '';
    const key = name === 'local' ? `local:${modelPath}` : name;
    let p = this.made.get(key);
    if (!p) {
      const { llm } = this.config;
      p =
        name === 'openai'
          ? createOpenAiProvider({
              apiKey: llm.openai.apiKey,
              baseUrl: llm.openai.baseUrl,
              jsonMode: llm.openai.jsonMode,
              timeoutMs: llm.timeoutMs,
            })
          : name === 'anthropic'
            ? createAnthropicProvider({
                apiKey: llm.anthropic.apiKey,
                baseUrl: llm.anthropic.baseUrl,
                timeoutMs: llm.timeoutMs,
              })
            : createLocalProvider({ ...llm.local, modelPath });
      this.made.set(key, p);
    }
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.made.values()].map(async (p) => p.close?.()));
    this.made.clear();
  }
}
