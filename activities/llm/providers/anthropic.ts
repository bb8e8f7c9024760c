/**
 * Anthropic messages through `@anthropic-ai/sdk`, streamed. The system prompt and the context
 * parts (template code, the paper draft) are sent as system blocks with `cache_control` on the
 * last one, so calls in a loop over the same prefix pay the cached rate. Structured output is a
 * forced tool call whose `input_schema` is the wanted schema.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam, MessageParam, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { LlmRefusalError } from '../../../lib/errors';
import { classifyProviderError } from '../classify';
import type { LlmProvider, LlmUsage, ProviderCallOptions, ProviderRequest, ProviderResult } from '../types';

export interface AnthropicProviderOptions {
  apiKey?: string;
  baseUrl?: string;
  timeoutMs: number;
}

/** Anthropic caches prefixes from about 1,024 tokens; marking a shorter one only costs a write. */
const MIN_CACHE_CHARS = 3_000;

export function createAnthropicProvider(options: AnthropicProviderOptions): LlmProvider {
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    maxRetries: 0,
    timeout: options.timeoutMs,
  });

  return {
    name: 'anthropic',
    async complete(req: ProviderRequest, { signal, onText }: ProviderCallOptions): Promise<ProviderResult> {
      const system: TextBlockParam[] = [{ type: 'text', text: req.system }];
      if (req.context) system.push({ type: 'text', text: req.context });
      if (req.system.length + req.context.length >= MIN_CACHE_CHARS) {
        system[system.length - 1]!.cache_control = { type: 'ephemeral' };
      }
      const messages: MessageParam[] = req.messages.map((m) => {
        if (!m.images?.length) return { role: m.role, content: m.content };
        const content: ContentBlockParam[] = [
          ...m.images.map((img): ContentBlockParam => ({
            type: 'image',
            source: { type: 'base64', media_type: img.mediaType, data: img.base64 },
          })),
          { type: 'text', text: m.content },
        ];
        return { role: m.role, content };
      });
      const tool = req.jsonSchema
        ? {
            name: req.jsonSchema.name,
            description: 'Give your answer by calling this tool; its input is the structured answer.',
            input_schema: req.jsonSchema.schema as Anthropic.Tool.InputSchema,
          }
        : undefined;
      try {
        const { data: stream, request_id } = await client.messages
          .create(
            {
              model: req.model,
              system,
              messages,
              max_tokens: req.params.maxTokens,
              stream: true,
              ...(req.params.temperature !== undefined ? { temperature: req.params.temperature } : {}),
              ...(req.params.stop?.length ? { stop_sequences: req.params.stop } : {}),
              ...(tool ? { tools: [tool], tool_choice: { type: 'tool' as const, name: tool.name } } : {}),
            },
            { signal },
          )
          .withResponse();
        let text = '';
        let toolJson = '';
        let finishReason = 'unknown';
        let model = req.model;
        let messageId = '';
        const usage: LlmUsage = {
          inputTokens: 0,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 0,
        };
        for await (const event of stream) {
          switch (event.type) {
            case 'message_start': {
              const u = event.message.usage;
              model = event.message.model || model;
              messageId = event.message.id;
              usage.cachedInputTokens = u.cache_read_input_tokens ?? 0;
              usage.cacheWriteTokens = u.cache_creation_input_tokens ?? 0;
              // Anthropic's input_tokens excludes cache reads and writes; ours includes them.
              usage.inputTokens = u.input_tokens + usage.cachedInputTokens + usage.cacheWriteTokens;
              usage.outputTokens = u.output_tokens ?? 0;
              break;
            }
            case 'content_block_delta':
              if (event.delta.type === 'text_delta') {
                text += event.delta.text;
                onText?.(event.delta.text);
              } else if (event.delta.type === 'input_json_delta') {
                toolJson += event.delta.partial_json;
                onText?.(event.delta.partial_json);
              }
              break;
            case 'message_delta':
              if (event.delta.stop_reason) finishReason = event.delta.stop_reason;
              if (event.usage?.output_tokens !== undefined && event.usage.output_tokens !== null)
                usage.outputTokens = event.usage.output_tokens;
              break;
            default:
              break;
          }
        }
        if (finishReason === 'refusal') throw new LlmRefusalError(`anthropic:${req.model} refused to answer`);
        return {
          text: tool ? toolJson : text,
          usage,
          requestId: request_id ?? messageId,
          model,
          finishReason,
        };
      } catch (err) {
        throw classifyProviderError(err, 'anthropic', req.model);
      }
    },
  };
}
