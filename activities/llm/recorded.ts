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
import type { LlmRequest, LlmResponse, LlmUsage, ModelRef } from './types';

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
    spend: {
      costUsd: response.costUsd,
      inputTokens: response.usage.inputTokens,
      outputTokens: response.usage.outputTokens,
      calls: response.attempts,
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
  options: LlmCallOptions = {},
): Promise<RecordedLlmResult<T>> {
  return (await recordedCallFull(deps, key, request, options)).result;
}

/** recordedCall, also handing the in-process caller the full text and parsed object. */
export async function recordedCallFull<T>(
  deps: { llm: LlmClient; store: ArtifactStore },
  key: string,
  request: LlmRequest<T>,
  options: LlmCallOptions = {},
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
      return { result: small({ ...prior.response, parsed }, key, true), text: prior.response.text, parsed };
    }
  }
  let response: LlmResponse<T>;
  try {
    response = await deps.llm.call(request, options);
  } catch (err) {
    if (err instanceof LlmOutputInvalidError) {
      const rawKey = (await deps.store.put(`${key}.invalid.txt`, err.raw, { contentType: 'text/plain' })).key;
      throw new LlmOutputInvalidError(`${err.message} (raw reply: ${rawKey})`, err.raw, {
        cause: err,
        details: { rawKey, ...(err.details as object) },
      });
    }
    throw err;
  }
  const { schema: _schema, ...plainRequest } = request;
  const transcript: Transcript = {
    requestHash,
    step: options.step ?? key,
    request: { ...plainRequest, schemaName: request.schemaName, resolvedModel: ref },
    response,
  };
  await deps.store.putJson(key, transcript);
  return { result: small(response, key, false), text: response.text, parsed: response.parsed };
}
