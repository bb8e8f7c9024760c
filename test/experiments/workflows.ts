/** Test-only workflows: call the experiment activities on the GPU queue and report failures as data. */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { BaselineInput, ExperimentActivities, RunExperimentInput } from '../../activities/experiments';

export interface CallOptions {
  gpuTaskQueue: string;
  heartbeatTimeoutMs: number;
  maximumAttempts: number;
}

export interface CaughtFailure {
  type: string | null | undefined;
  nonRetryable: boolean | null | undefined;
  message: string;
  details: unknown[];
}

function acts(o: CallOptions) {
  return proxyActivities<ExperimentActivities>({
    taskQueue: o.gpuTaskQueue,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: o.heartbeatTimeoutMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 1, maximumAttempts: o.maximumAttempts },
  });
}

async function caught<T>(p: Promise<T>): Promise<{ ok: T } | { failure: CaughtFailure }> {
  try {
    return { ok: await p };
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      const c = err.cause;
      return {
        failure: {
          type: c.type,
          nonRetryable: c.nonRetryable,
          message: c.message,
          details: c.details ? [...c.details] : [],
        },
      };
    }
    throw err;
  }
}

export async function runExperimentTestWorkflow(input: RunExperimentInput, o: CallOptions) {
  return caught(acts(o).runExperiment(input));
}

export async function runBaselineTestWorkflow(input: BaselineInput, o: CallOptions) {
  return caught(acts(o).runBaseline(input));
}

/** Starts a run, cancels it after `afterMs`, and reports how the activity ended. */
export async function cancelExperimentTestWorkflow(
  input: RunExperimentInput,
  o: CallOptions,
  afterMs: number,
): Promise<string> {
  const scope = new CancellationScope();
  const run = scope.run(() => acts(o).runExperiment(input));
  await sleep(afterMs);
  scope.cancel();
  try {
    await run;
    return 'completed';
  } catch (err) {
    return err instanceof ActivityFailure && err.cause instanceof CancelledFailure
      ? 'cancelled'
      : `failed: ${String(err)}`;
  }
}
