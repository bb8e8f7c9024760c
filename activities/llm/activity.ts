/**
 * `llmCall` as a Temporal activity: a thin adapter that streams the reply with heartbeats
 * (a long generation never hits its heartbeat timeout, and a cancelled workflow stops the
 * stream), records the transcript in the store and returns only keys and small numbers.
 */
import { Context } from '@temporalio/activity';
import { classified } from '../../lib/errors';
import type { ActivityDeps } from '../deps';
import { createLlmClient, type LlmClient } from './client';
import { parseModelRef } from './roles';
import { llmSchema } from './schemas';
import type { LlmCallInput, RecordedLlmResult } from './call-types';
import { recordedCall, transcriptKey, type RecordOptions } from './recorded';
import type { ChatMessage, ContextPart } from './types';
import { HEARTBEAT_THROTTLE_MS, reportProgress } from '../keepalive';

/**
 * What a model call reports while it streams: its step, the reply characters seen so far, and
 * those seen by earlier attempts of the same step that were cut off. A retry reads it back
 * (the server keeps the last details across attempts) to count what those attempts cost.
 */
interface StreamProgress {
  step: string;
  outputChars: number;
  interrupted: number[];
}

/**
 * Inside an activity: the attempt's cancellation signal, a text callback that reports progress
 * (at most once a second) while tokens arrive, and the reply characters earlier attempts of
 * this step streamed before they died. The worker's keep-alive heartbeats through a silent
 * wait for the first token. Outside an activity (scripts, unit tests): just the step.
 */
export function activityStreaming(step: string): RecordOptions {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return { step };
  }
  const prior = ctx.info.heartbeatDetails as Partial<StreamProgress> | undefined;
  // An attempt that died before a token arrived is not counted: whether the provider billed
  // its prompt cannot be known from here.
  const interrupted =
    prior?.step === step
      ? [...(prior.interrupted ?? []), ...(prior.outputChars ? [prior.outputChars] : [])]
      : [];
  let chars = 0;
  let lastBeat = Date.now();
  const report = () => reportProgress({ step, outputChars: chars, interrupted } satisfies StreamProgress);
  report();
  return {
    step,
    signal: ctx.cancellationSignal,
    interruptedOutputChars: interrupted,
    onReply: (outputChars) => {
      chars = outputChars;
      report();
    },
    onText: (chunk) => {
      chars += chunk.length;
      const now = Date.now();
      if (now - lastBeat >= HEARTBEAT_THROTTLE_MS) {
        lastBeat = now;
        report();
      }
    },
  };
}
const clients = new WeakMap<object, LlmClient>();

/** One LLM client per set of activity deps: providers (and the local model) are shared. */
export function llmClientFor(deps: Pick<ActivityDeps, 'config' | 'log' | 'llmProvider'>): LlmClient {
  let client = clients.get(deps);
  if (!client) {
    client = createLlmClient({ config: deps.config, log: deps.log, provider: deps.llmProvider });
    clients.set(deps, client);
  }
  return client;
}

export function createLlmActivities(deps: ActivityDeps) {
  const llm = llmClientFor(deps);
  return {
    /** One model call; the transcript goes to `llm/<workflowId>/<step>/transcript.json`. */
    async llmCall(input: LlmCallInput): Promise<RecordedLlmResult> {
      return classified(async () => {
        const ctx = Context.current();
        const messages: ChatMessage[] = await Promise.all(
          input.messages.map(async (m) => ({
            role: m.role,
            content: m.content,
            ...(m.images?.length
              ? {
                  images: await Promise.all(
                    m.images.map(async (img) => ({
                      mediaType: img.mediaType,
                      base64: (await deps.store.get(img.key)).toString('base64'),
                    })),
                  ),
                }
              : {}),
          })),
        );
        const context: ContextPart[] | undefined = input.context
          ? await Promise.all(
              input.context.map(async (part) =>
                'textKey' in part
                  ? {
                      name: part.name,
                      priority: part.priority,
                      required: part.required,
                      text: await deps.store.getText(part.textKey),
                    }
                  : part,
              ),
            )
          : undefined;
        return recordedCall(
          { llm, store: deps.store },
          transcriptKey(
            ctx.info.workflowExecution?.workflowId ?? `activity-${ctx.info.activityId}`,
            input.step,
          ),
          {
            role: input.role,
            system: input.system,
            context,
            messages,
            schema: input.schema ? llmSchema(input.schema) : undefined,
            schemaName: input.schema,
            maxTokens: input.maxTokens,
            temperature: input.temperature,
            stop: input.stop,
            model: input.model ? parseModelRef(input.model, 'llmCall model') : undefined,
          },
          activityStreaming(input.step),
        );
      });
    },
  };
}
