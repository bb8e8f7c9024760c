/**
 * The llmCall activity's input and result: plain data that workflows may import (types only).
 */
import type { ChatMessage, ContextPart, ImageInput, LlmRole, LlmUsage } from './types';

/** A context part whose text is a stored artifact: the workflow passes the key, not the text. */
export interface StoredContextPart extends Omit<ContextPart, 'text'> {
  textKey: string;
}

/** An image in the store, shown to the model with a message (figure review). */
export interface StoredImage {
  key: string;
  mediaType: ImageInput['mediaType'];
}

/** The activity input: plain data; schemas by registered name, images by key. */
export interface LlmCallInput {
  role: LlmRole;
  /** Unique within the workflow (e.g. `ideation/idea-3/reflection-2`): names the transcript's key. */
  step: string;
  system: string;
  /** Context parts, each with its text inline or (for anything large) the key of a text artifact. */
  context?: (ContextPart | StoredContextPart)[];
  messages: (Omit<ChatMessage, 'images'> & { images?: StoredImage[] })[];
  /** Name of a schema registered with defineLlmSchema. */
  schema?: string;
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
  /** `provider:model`, overriding the role's model. */
  model?: string;
}

/** What a recorded call returns: small, fit for workflow history. */
export interface RecordedLlmResult<T = unknown> {
  key: string;
  /** First characters of the reply, for logs and the UI. */
  summary: string;
  /** The validated object, when the request had a schema and it is at most 32 KiB as JSON. */
  parsed?: T;
  parsedInline: boolean;
  usage: LlmUsage;
  costUsd: number;
  model: string;
  provider: string;
  latencyMs: number;
  requestId: string;
  attempts: number;
  trimmed: string[];
  /**
   * True when an earlier attempt's transcript was reused instead of calling the model again
   * (that attempt's result never reached the workflow, so its usage and cost are reported here).
   */
  reused: boolean;
  /**
   * Earlier attempts of this call that a dead worker cut off mid-reply, estimated (see
   * activities/llm/recorded.ts). Counted in `spend`, not in `usage`/`costUsd` (this reply's own).
   */
  interrupted?: { attempts: number; outputChars: number[]; usage: LlmUsage; costUsd: number };
  /** What was billed for this call, the interrupted attempts included: what ledgers add up. */
  spend: { costUsd: number; inputTokens: number; outputTokens: number; calls: number };
}
