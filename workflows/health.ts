import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { GpuActivities, MainActivities } from '../activities';
import { probeActivityOptions } from '../contracts';

export interface HealthCheckInput {
  /** The GPU workers' task queue (workflow code cannot read config). */
  gpuTaskQueue: string;
  numbers: number[];
}

export interface HealthCheckResult {
  probeKey: string;
  outputKey: string;
  logKey: string;
  torchVersion: string;
  sum: number;
  sandboxMs: number;
}

const main = proxyActivities<MainActivities>(probeActivityOptions());

/**
 * Proves the plumbing: a probe goes to S3 from the main queue, through PyTorch in a sandbox on
 * the GPU queue, and is checked back on the main queue.
 */
export async function healthCheckWorkflow(input: HealthCheckInput): Promise<HealthCheckResult> {
  const checkId = workflowInfo().workflowId;
  const gpu = proxyActivities<GpuActivities>(probeActivityOptions(input.gpuTaskQueue));
  const probeKey = await main.writeProbe(checkId, { numbers: input.numbers });
  const sandboxed = await gpu.sandboxProbe(checkId);
  const { sum } = await main.verifyProbe(checkId, sandboxed.outputKey);
  return {
    probeKey,
    outputKey: sandboxed.outputKey,
    logKey: sandboxed.logKey,
    torchVersion: sandboxed.torchVersion,
    sum,
    sandboxMs: sandboxed.durationMs,
  };
}
