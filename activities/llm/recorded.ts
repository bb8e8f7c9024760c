/**
 * An LLM call whose full prompt and completion go to the artifact store under a key derived
 * from the workflow id and a step name: the claim check that keeps history small, and the
 * idempotence that keeps a retried activity from paying twice (a transcript of the same
 * request already at its key is reused).
 */
import { createHash } from 'node:crypto';
import { LlmOutputInvalidError } from '../../lib/errors';
import type { ArtifactStore } from '../../lib/store';
import { artifactKey } from '../../lib/store/keys';
import type { LlmCallOptions, LlmClient } from './client';
import type { RecordedLlmResult } from './call-types';
import type { ChatMessage, LlmRequest, LlmResponse, LlmUsage, ModelRef } from './types';

/** Bytes of `parsed` returned inline; larger objects are read from the transcript. */
export const MAX_INLINE_PARSED_BYTES = 32 * 1024;
const SUMMARY_CHARS = 240;

/** The transcript key of a workflow's step: `llm/<workflowId>/<step…>/transcript.json`. */
export function transcriptKey(workflowId: string, step: string): string {
  return artifactKey('llm', workflowId, ...step.split('/').filter(Boolean), 'transcript.json');
}

export interface Transcript {
  requestHash: string;
  step: string;
  request: Omit<LlmRequest, 'schema'> & { schemaName?: string; resolvedModel: ModelRef };
  response: Omit<LlmResponse, 'parsed'> & { parsed?: unknown };
  /** Earlier attempts of this step cut off mid-reply (a worker died): estimated, counted once. */
  interrupted?: InterruptedSpend;
}

/**
 * What attempts of a call that died mid-reply were billed, estimated: a provider bills the
 * prompt and the tokens it streamed before the client went away, and reports neither (usage
 * comes at the end of a stream). The prompt is this reply's input tokens, uncached; the output
 * is the characters the attempt had reported streaming, at this reply's characters per token.
 */
export interface InterruptedSpend {
  attempts: number;
  outputChars: number[];
  usage: LlmUsage;
  costUsd: number;
}

export interface RecordOptions extends LlmCallOptions {
  /** Reply characters each earlier, interrupted attempt of this step had streamed. */
  interruptedOutputChars?: number[];
  /**
   * Called with the reply's length once it is in, before the transcript is stored: if storing
   * fails, the retry knows this reply was billed.
   */
  onReply?: (outputChars: number) => void;
}

function interruptedSpend(
  llm: LlmClient,
  ref: ModelRef,
  reply: { text: string; usage: LlmUsage },
  outputChars: number[],
): InterruptedSpend | undefined {
  if (outputChars.length === 0) return undefined;
  const charsPerToken =
    reply.usage.outputTokens > 0 && reply.text.length > 0 ? reply.text.length / reply.usage.outputTokens : 4;
  const usage: LlmUsage = {
    inputTokens: reply.usage.inputTokens * outputChars.length,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: outputChars.reduce((sum, chars) => sum + Math.ceil(chars / charsPerToken), 0),
  };
  return { attempts: outputChars.length, outputChars, usage, costUsd: llm.prices.cost(ref, usage) };
}

/**
 * A message as its transcript keeps it: each image as its media type, size and sha256 instead of
 * its bytes (the figures are in the store already; a transcript stays text a person can read).
 */
function withImageDigests(m: ChatMessage): ChatMessage {
  if (!m.images?.length) return m;
  return {
    ...m,
    images: m.images.map((img) => {
      const bytes = Buffer.from(img.base64, 'base64');
      return {
        mediaType: img.mediaType,
        base64: `<${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}>`,
      };
    }),
  };
}

function hashRequest<T>(req: LlmRequest<T>, ref: ModelRef): string {
  const { schema: _schema, ...plain } = req;
  return createHash('sha256')
    .update(JSON.stringify({ ...plain, ref }))
    .digest('hex');
}

function small<T>(
  response: {
    text: string;
    parsed?: T;
    usage: LlmUsage;
    costUsd: number;
    model: string;
    provider: string;
    latencyMs: number;
    requestId: string;
    attempts: number;
    trimmed: string[];
  },
  key: string,
  reused: boolean,
  interrupted?: InterruptedSpend,
): RecordedLlmResult<T> {
  const inline =
    response.parsed !== undefined &&
    Buffer.byteLength(JSON.stringify(response.parsed)) <= MAX_INLINE_PARSED_BYTES;
  return {
    key,
    summary:
      response.text.length > SUMMARY_CHARS ? `${response.text.slice(0, SUMMARY_CHARS)}…` : response.text,
    parsed: inline ? response.parsed : undefined,
    parsedInline: inline,
    usage: response.usage,
    costUsd: response.costUsd,
    model: response.model,
    provider: response.provider,
    latencyMs: response.latencyMs,
    requestId: response.requestId,
    attempts: response.attempts,
    trimmed: response.trimmed,
    reused,
    ...(interrupted ? { interrupted } : {}),
    spend: {
      costUsd: response.costUsd + (interrupted?.costUsd ?? 0),
      inputTokens: response.usage.inputTokens + (interrupted?.usage.inputTokens ?? 0),
      outputTokens: response.usage.outputTokens + (interrupted?.usage.outputTokens ?? 0),
      calls: response.attempts + (interrupted?.attempts ?? 0),
    },
  };
}

/**
 * Calls the model and stores the transcript (JSON) at `key`. A structured reply that stays
 * invalid is stored at `<key>.invalid.txt` and the LlmOutputInvalidError names that key.
 */
export async function recordedCall<T>(
  deps: { llm: LlmClient; store: ArtifactStore },
  key: string,
  request: LlmRequest<T>,
  options: RecordOptions = {},
): Promise<RecordedLlmResult<T>> {
  return (await recordedCallFull(deps, key, request, options)).result;
}

/** recordedCall, also handing the in-process caller the full text and parsed object. */
export async function recordedCallFull<T>(
  deps: { llm: LlmClient; store: ArtifactStore },
  key: string,
  request: LlmRequest<T>,
  options: RecordOptions = {},
): Promise<{ result: RecordedLlmResult<T>; text: string; parsed: T | undefined }> {
  const ref = request.model ?? deps.llm.roles.model(request.role);
  const requestHash = hashRequest(request, ref);
  if (await deps.store.exists(key)) {
    const prior = await deps.store.getJson<Transcript>(key);
    if (prior.requestHash === requestHash) {
      const parsed =
        request.schema && prior.response.parsed !== undefined
          ? request.schema.parse(prior.response.parsed)
          : undefined;
      return {
        result: small({ ...prior.response, parsed }, key, true, prior.interrupted),
        text: prior.response.text,
        parsed,
      };
    }
  }
  const { interruptedOutputChars, onReply, ...callOptions } = options;
  let response: LlmResponse<T>;
  try {
    response = await deps.llm.call(request, callOptions);
  } catch (err) {
    if (err instanceof LlmOutputInvalidError) {
      const rawKey = (await deps.store.put(`${key}.invalid.txt`, err.raw, { contentType: 'text/plain' })).key;
      throw new LlmOutputInvalidError(`${err.message} (raw reply: ${rawKey})`, err.raw, {
        cause: err,
        spend: err.spend,
        rawKey,
      });
    }
    throw err;
  }
  onReply?.(response.text.length);
  const interrupted = interruptedSpend(deps.llm, ref, response, interruptedOutputChars ?? []);
  const { schema: _schema, ...plainRequest } = request;
  const transcript: Transcript = {
    requestHash,
    step: options.step ?? key,
    request: {
      ...plainRequest,
      messages: request.messages.map(withImageDigests),
      schemaName: request.schemaName,
      resolvedModel: ref,
    },
    response,
    ...(interrupted ? { interrupted } : {}),
  };
  await deps.store.putJson(key, transcript);
  return { result: small(response, key, false, interrupted), text: response.text, parsed: response.parsed };
}
