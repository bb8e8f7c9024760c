import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTemporal, stop } from '../../infra/dev/services';
import { createLogger } from '../../lib/log';
import { connectClient } from '../../lib/temporal';
import type { HealthCheckResult } from '../../workflows';
import { startTestWorkers, suiteConfig, uniqueId } from '../harness';

/**
 * A second dev server of its own (own ports, own SQLite file) so that stopping it does not
 * disturb other suites: a completed workflow must survive a server stop and start.
 */
describe('Temporal dev server restart', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ds-temporal-restart-'));
  const config = suiteConfig('restart', {
    SCIENTIST_DATA_DIR: dataDir,
    SCIENTIST_TEMPORAL_ADDRESS: '127.0.0.1:17233',
    SCIENTIST_TEMPORAL_UI_URL: 'http://127.0.0.1:18233',
  });
  const log = createLogger('restart-test', 'warn');

  afterAll(async () => {
    await stop(config, 'temporal', 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a completed workflow visible after the server is stopped and started on the same DB file', async () => {
    await startTemporal(config, log);
    const workflowId = uniqueId('survivor');
    const workers = await startTestWorkers(config);
    try {
      await workers.run(
        () =>
          workers.client.workflow.execute('healthCheckWorkflow', {
            workflowId,
            taskQueue: config.temporal.taskQueue,
            args: [{ gpuTaskQueue: config.temporal.gpuTaskQueue, numbers: [1] }],
            workflowExecutionTimeout: '5 minutes',
          }) as Promise<HealthCheckResult>,
      );
    } finally {
      await workers.close();
    }

    expect(await stop(config, 'temporal')).toBe(true);
    await startTemporal(config, log);

    const client = await connectClient(config);
    try {
      const desc = await client.workflow.getHandle(workflowId).describe();
      expect(desc.status.name).toBe('COMPLETED');
      const result = (await client.workflow.getHandle(workflowId).result()) as HealthCheckResult;
      expect(result.sum).toBe(1);
      // Our search attributes survive too (registered idempotently on every start).
      const sa = await client.connection.operatorService.listSearchAttributes({
        namespace: config.temporal.namespace,
      });
      expect(Object.keys(sa.customAttributes ?? {})).toContain('ScientistScore');
    } finally {
      await client.connection.close();
    }
  });
});
