import Docker from 'dockerode';
import { LABEL } from '../../sandbox';
import type { HealthCheckResult } from '../../workflows';
import { startTestWorkers, suiteConfig, suiteStore, uniqueId, type TestWorkers } from '../harness';

describe('plumbing: a workflow on the real dev server, activities on both queues, a sandbox container, S3', () => {
  const config = suiteConfig('plumbing');
  let workers: TestWorkers;

  beforeAll(async () => {
    workers = await startTestWorkers(config);
  });
  afterAll(async () => workers?.close());

  it('runs the health check end to end and leaves its artifacts in S3', async () => {
    const workflowId = uniqueId('health');
    const result = await workers.run(
      () =>
        workers.client.workflow.execute('healthCheckWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [{ gpuTaskQueue: config.temporal.gpuTaskQueue, numbers: [3, 4, 5.5] }],
          workflowExecutionTimeout: '5 minutes',
        }) as Promise<HealthCheckResult>,
    );

    // The sandbox ran real PyTorch on the probe and the main queue checked its answer.
    expect(result.sum).toBe(12.5);
    expect(result.torchVersion).toMatch(/^\d+\.\d+/);

    // The test reads the container's output back from S3 itself.
    const store = suiteStore(config);
    const output = await store.getJson<{ sum: number; sumsq: number }>(result.outputKey);
    expect(output).toMatchObject({ sum: 12.5, sumsq: 9 + 16 + 30.25 });
    expect(await store.getText(result.logKey)).toContain('sandbox probe ok');

    // Activities really ran on both task queues.
    const history = await workers.client.workflow.getHandle(workflowId).fetchHistory();
    const queues = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name)
      .filter((q): q is string => Boolean(q));
    expect(new Set(queues)).toEqual(new Set([config.temporal.taskQueue, config.temporal.gpuTaskQueue]));

    // Only keys went through history: it stays tiny.
    const desc = await workers.client.workflow.getHandle(workflowId).describe();
    expect(desc.status.name).toBe('COMPLETED');
    expect(desc.historySize).toBeLessThan(20_000);
  });

  it('leaves no sandbox container behind', async () => {
    const docker = new Docker({ socketPath: config.docker.socketPath });
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.sandbox}=1`] } });
    expect(left.filter((c) => (c.Labels[LABEL.runId] ?? '').includes('plumbing'))).toEqual([]);
  });
});
