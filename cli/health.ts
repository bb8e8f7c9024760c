import type { Config } from '../lib/config';
import { connectClient, installRuntimeLogger, workflowUiUrl } from '../lib/temporal';
import type { healthCheckWorkflow, HealthCheckResult } from '../workflows';
import { createWorker } from '../workers/create-worker';

/**
 * Runs the health-check workflow with a main and a GPU worker in this process (so it works with
 * no worker deployed), on the configured task queues.
 */
export async function runHealthCheck(
  config: Config,
): Promise<{ result: HealthCheckResult; workflowId: string; uiUrl: string }> {
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  const main = await createWorker({ config, role: 'main' });
  const gpu = await createWorker({ config, role: 'gpu', maxConcurrentActivities: 1 });
  const workflowId = `health-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    const result = await main.worker.runUntil(
      gpu.worker.runUntil(
        client.workflow.execute<typeof healthCheckWorkflow>('healthCheckWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [{ gpuTaskQueue: config.temporal.gpuTaskQueue, numbers: [1, 2, 3, 4.5] }],
          workflowExecutionTimeout: '10 minutes',
        }),
      ),
    );
    return { result, workflowId, uiUrl: workflowUiUrl(config, workflowId) };
  } finally {
    await Promise.all([main.connection.close(), gpu.connection.close(), client.connection.close()]);
  }
}
