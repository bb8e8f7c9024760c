/**
 * The one shape of an LLM call, whatever the provider. Everything here is plain data (no
 * functions, no classes) except the zod schema, so a request minus its schema can cross
 * Temporal as an activity input.
 */
import type { z } from 'zod';
import { LLM_ROLES, type LlmRole } from '../../contracts';

/** What a call is for; config maps each role to a provider + model + parameters. */
export { LLM_ROLES, type LlmRole };

export type ProviderName = 'openai' | 'anthropic' | 'local';

/** A provider and a model id, e.g. { provider: 'openai', model: 'gpt-4o' }. */
export interface ModelRef {
  provider: ProviderName;
  model: string;
}

/** An image for figure review: base64 bytes and their media type. */
export interface ImageInput {
  mediaType: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  base64: string;
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
  /** Images shown with this (user) message. */
  images?: ImageInput[];
}

/**
 * A block of context (template code, the paper draft, related work) placed after the system
 * prompt. Parts form the long, stable prefix that providers cache; when the request would not
 * fit the model's window, the parts with the lowest priority are shortened or dropped first.
 */
export interface ContextPart {
  /** Heading shown to the model, and the name reported when the part was trimmed. */
  name: string;
  text: string;
  /** Higher survives longer; `Infinity` (or omitted `priority` with `required`) is never trimmed. */
  priority: number;
  /** Never trimmed: the request fails with LlmContextLengthError instead. */
  required?: boolean;
}

/** Sampling parameters, from the role's config unless the request sets them. */
export interface LlmParams {
  /** Output tokens at most. */
  maxTokens: number;
  /** Ignored by reasoning models (o-series, gpt-5), which do not accept it. */
  temperature?: number;
  stop?: string[];
}

export interface LlmRequest<T = unknown> extends Partial<LlmParams> {
  role: LlmRole;
  system: string;
  context?: ContextPart[];
  messages: ChatMessage[];
  /** Structured output: the reply must parse as JSON and satisfy this schema. */
  schema?: z.ZodType<T>;
  /** Name of the schema for providers that want one (OpenAI json_schema, the Anthropic tool). */
  schemaName?: string;
  /** Overrides the role's model from config (e.g. an ensemble of reviewers). */
  model?: ModelRef;
}

/** Token counts of one call (or a sum of calls). `inputTokens` includes cached and cache-write tokens. */
export interface LlmUsage {
  inputTokens: number;
  /** Input tokens read from the provider's prompt cache (billed at the cached rate). */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache (Anthropic bills them at 1.25× input). */
  cacheWriteTokens: number;
  outputTokens: number;
}

export interface LlmResponse<T = unknown> {
  text: string;
  /** The validated object when the request had a schema. */
  parsed: T | undefined;
  usage: LlmUsage;
  costUsd: number;
  model: string;
  provider: ProviderName;
  latencyMs: number;
  /** The provider's request id (for support tickets); local calls get a local id. */
  requestId: string;
  /** Model replies this call took: 1, plus one per repair round. */
  attempts: number;
  /** Names of context parts shortened or dropped to fit the window. */
  trimmed: string[];
  finishReason: string;
}

/** What a provider is asked: a request already routed, trimmed and rendered. */
export interface ProviderRequest {
  model: string;
  system: string;
  /** The stable prefix after the system prompt (rendered context parts); empty when none. */
  context: string;
  messages: ChatMessage[];
  params: LlmParams;
  /** JSON Schema of the wanted output (from the zod schema). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /** For scripted/test providers: the call's role and step. */
  meta: { role: LlmRole; step?: string };
}

export interface ProviderResult {
  text: string;
  usage: LlmUsage;
  requestId: string;
  /** Provider's model id as it answered (may be more specific than requested). */
  model: string;
  finishReason: string;
}

export interface ProviderCallOptions {
  signal?: AbortSignal;
  /** Called with each piece of text as it streams in (heartbeats hang off this). */
  onText?: (chunk: string) => void;
}

/** One small adapter per provider (see ./providers). */
export interface LlmProvider {
  readonly name: ProviderName;
  complete(request: ProviderRequest, options: ProviderCallOptions): Promise<ProviderResult>;
  /** Tokens the provider would count for `text`, when it can say exactly (the local model). */
  countTokens?(text: string): Promise<number>;
  close?(): Promise<void>;
}
