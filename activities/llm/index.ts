/** The LLM layer: one call shape for every provider, roles from config, structured output, cost. */
export { activityStreaming, createLlmActivities, llmClientFor } from './activity';
export { createAsk } from './ask';
export type { LlmCallInput, RecordedLlmResult, StoredContextPart, StoredImage } from './call-types';
export { createLlmClient } from './client';
export type { LlmCallOptions, LlmClient, LlmClientDeps } from './client';
export { estimateTokens, fitContext } from './context';
export { classifyProviderError, retryAfterMs } from './classify';
export { BUILTIN_MODELS, PriceTable } from './prices';
export type { ModelInfo } from './prices';
export { recordedCall, transcriptKey, MAX_INLINE_PARSED_BYTES } from './recorded';
export type { Transcript } from './recorded';
export { LOCAL_MODEL_ID, parseModelRef, roleTable } from './roles';
export type { RoleTable } from './roles';
export { defineLlmSchema, llmSchema, parseStructured, toJsonSchema } from './schemas';
export { LLM_ROLES } from './types';
export type {
  ChatMessage,
  ContextPart,
  ImageInput,
  LlmParams,
  LlmProvider,
  LlmRequest,
  LlmResponse,
  LlmRole,
  LlmUsage,
  ModelRef,
  ProviderCallOptions,
  ProviderName,
  ProviderRequest,
  ProviderResult,
} from './types';
