import type { Config } from '../lib/config';
import { connectClient, installRuntimeLogger, workflowUiUrl } from '../lib/temporal';
import type { healthCheckWorkflow, HealthCheckResult } from '../workflows';
import { withLocalWorkers } from '../workers/create-worker';

/**
 * Runs the health-check workflow with a main and a GPU worker in this process (so it works with
 * no worker deployed), on the configured task queues.
 */
export async function runHealthCheck(
  config: Config,
): Promise<{ result: HealthCheckResult; workflowId: string; uiUrl: string }> {
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  const workflowId = `health-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    const result = await withLocalWorkers(config, ['main', 'gpu'], () =>
      client.workflow.execute<typeof healthCheckWorkflow>('healthCheckWorkflow', {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [{ gpuTaskQueue: config.temporal.gpuTaskQueue, numbers: [1, 2, 3, 4.5] }],
        workflowExecutionTimeout: '10 minutes',
      }),
    );
    return { result, workflowId, uiUrl: workflowUiUrl(config, workflowId) };
  } finally {
    await client.connection.close();
  }
}
