/**
 * OpenAI chat completions through the official `openai` package; also any OpenAI-compatible
 * endpoint (OpenRouter, vLLM, Ollama, llama.cpp server, DeepSeek, Gemini) by base URL.
 * Streams, so the activity can heartbeat and a cancel stops the bill. The SDK's own retries are
 * off: Temporal owns retries (with the server's Retry-After).
 */
import OpenAI from 'openai';
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { LlmRefusalError } from '../../../lib/errors';
import { classifyProviderError } from '../classify';
import type { LlmProvider, LlmUsage, ProviderCallOptions, ProviderRequest, ProviderResult } from '../types';

export interface OpenAiProviderOptions {
  apiKey?: string;
  baseUrl?: string;
  timeoutMs: number;
  /**
   * How structured output is asked for: native `json_schema` (default), `json_object` for
   * endpoints that only know JSON mode (DeepSeek), or `prompt` (schema in the prompt only).
   */
  jsonMode?: 'json_schema' | 'json_object' | 'prompt';
}

/** o1/o3/o4 and gpt-5 families: no temperature, max_completion_tokens, developer role. */
export function isReasoningModel(model: string): boolean {
  const id = model.slice(model.lastIndexOf('/') + 1);
  return /^(o\d+|gpt-5)(\b|-|$)/.test(id);
}

/** OpenAI's strict mode needs every property required and no additional properties. */
function strictCompatible(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(strictCompatible);
  if (!schema || typeof schema !== 'object') return true;
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' || s.properties) {
    const props = Object.keys((s.properties as object) ?? {});
    const required = new Set((s.required as string[]) ?? []);
    if (s.additionalProperties !== false || props.some((p) => !required.has(p))) return false;
  }
  return Object.values(s).every(strictCompatible);
}

export function createOpenAiProvider(options: OpenAiProviderOptions): LlmProvider {
  const client = new OpenAI({
    // Local OpenAI-compatible servers (Ollama, vLLM) often need no key; the SDK insists on one.
    apiKey: options.apiKey ?? 'no-key',
    baseURL: options.baseUrl,
    maxRetries: 0,
    timeout: options.timeoutMs,
  });

  return {
    name: 'openai',
    async complete(req: ProviderRequest, { signal, onText }: ProviderCallOptions): Promise<ProviderResult> {
      const reasoning = isReasoningModel(req.model);
      const jsonMode = options.jsonMode ?? 'json_schema';
      let systemText = req.context ? `${req.system}\n\n${req.context}` : req.system;
      if (req.jsonSchema && jsonMode !== 'json_schema') {
        // Without native schemas the model must read the schema; the reply is validated anyway.
        systemText += `\n\nReply with only a JSON object that satisfies this JSON Schema:\n${JSON.stringify(req.jsonSchema.schema)}`;
      }
      const messages: ChatCompletionMessageParam[] = [
        reasoning ? { role: 'developer', content: systemText } : { role: 'system', content: systemText },
        ...req.messages.map((m): ChatCompletionMessageParam => {
          if (m.role === 'assistant') return { role: 'assistant', content: m.content };
          if (!m.images?.length) return { role: 'user', content: m.content };
          const parts: ChatCompletionContentPart[] = [
            { type: 'text', text: m.content },
            ...m.images.map((img): ChatCompletionContentPart => ({
              type: 'image_url',
              image_url: { url: `data:${img.mediaType};base64,${img.base64}` },
            })),
          ];
          return { role: 'user', content: parts };
        }),
      ];
      try {
        const { data: stream, request_id } = await client.chat.completions
          .create(
            {
              model: req.model,
              messages,
              stream: true,
              stream_options: { include_usage: true },
              ...(reasoning
                ? { max_completion_tokens: req.params.maxTokens }
                : { max_tokens: req.params.maxTokens, temperature: req.params.temperature }),
              ...(req.params.stop?.length ? { stop: req.params.stop } : {}),
              ...(req.jsonSchema && jsonMode === 'json_object'
                ? { response_format: { type: 'json_object' as const } }
                : {}),
              ...(req.jsonSchema && jsonMode === 'json_schema'
                ? {
                    response_format: {
                      type: 'json_schema' as const,
                      json_schema: {
                        name: req.jsonSchema.name,
                        schema: req.jsonSchema.schema,
                        strict: strictCompatible(req.jsonSchema.schema),
                      },
                    },
                  }
                : {}),
            },
            { signal },
          )
          .withResponse();
        let text = '';
        let refusal = '';
        let finishReason = 'unknown';
        let model = req.model;
        let usage: LlmUsage = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };
        for await (const chunk of stream) {
          if (chunk.model) model = chunk.model;
          const choice = chunk.choices[0];
          const delta = choice?.delta;
          if (delta?.content) {
            text += delta.content;
            onText?.(delta.content);
          }
          if (delta?.refusal) refusal += delta.refusal;
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk.usage) {
            usage = {
              inputTokens: chunk.usage.prompt_tokens,
              cachedInputTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
              cacheWriteTokens: 0,
              outputTokens: chunk.usage.completion_tokens,
            };
          }
        }
        if (refusal || finishReason === 'content_filter') {
          throw new LlmRefusalError(`openai:${req.model} refused: ${refusal || 'content filter'}`);
        }
        return { text, usage, requestId: request_id ?? '', model, finishReason };
      } catch (err) {
        throw classifyProviderError(err, 'openai', req.model);
      }
    },
  };
}
