import { proxyActivities } from '@temporalio/workflow';
import type { MainActivities } from '../activities';
import type { LlmCallInput, RecordedLlmResult } from '../activities/llm/call-types';
import { llmCallActivityOptions } from '../contracts';

export interface LlmProbeInput {
  calls: LlmCallInput[];
  /** Seconds without a heartbeat before an attempt counts as lost (default: HEARTBEAT_TIMEOUT). */
  heartbeatTimeoutS?: number;
  maximumAttempts?: number;
}

export interface LlmProbeResult {
  results: RecordedLlmResult[];
  /** Sums over the calls (USD and tokens). */
  total: {
    costUsd: number;
    inputTokens: number;
    cachedInputTokens: number;
    outputTokens: number;
    calls: number;
  };
}

/**
 * Runs LLM calls one after another as `llmCall` activities and sums their usage: the smallest
 * workflow that exercises the LLM layer through Temporal (tests, bench, `scientist doctor`).
 */
export async function llmProbeWorkflow(input: LlmProbeInput): Promise<LlmProbeResult> {
  const { llmCall } = proxyActivities<MainActivities>(
    llmCallActivityOptions(
      input.heartbeatTimeoutS ? `${input.heartbeatTimeoutS} seconds` : undefined,
      input.maximumAttempts,
    ),
  );
  const results: RecordedLlmResult[] = [];
  const total = { costUsd: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, calls: 0 };
  for (const call of input.calls) {
    const r = await llmCall(call);
    results.push(r);
    total.costUsd += r.costUsd;
    total.inputTokens += r.usage.inputTokens;
    total.cachedInputTokens += r.usage.cachedInputTokens;
    total.outputTokens += r.usage.outputTokens;
    total.calls += r.spend.calls;
  }
  return { results, total };
}
