/**
 * A deploy with changed workflow code, on small fixture workflows (./fixtures/deploy-*.ts):
 * version 2 inserts an activity after step a. Replaying a version-1 history against version 2
 * fails with a determinism violation (what the replay tests in test/replay catch before a
 * deploy); the same change guarded by `patched()` replays, and a workflow started on a version-1
 * worker and continued on a version-2 worker completes on its old path while a new one takes
 * the new path.
 */
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { connectClient, installRuntimeLogger } from '../../lib/temporal';
import { suiteConfig, uniqueId } from '../harness';
import { deployActivities } from './fixtures/deploy-activities';
import { activitiesOf, waitUntil } from './history';

type Version = 'v1' | 'v2' | 'v2-patched';

describe('a deploy with changed workflow code', () => {
  const config = suiteConfig('crash-deploy');
  const bundles = {} as Record<Version, string>;
  let client: Client;
  let connection: NativeConnection;

  beforeAll(async () => {
    installRuntimeLogger('WARN');
    const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
    for (const v of ['v1', 'v2', 'v2-patched'] as const) {
      bundles[v] = (
        await bundleWorkflowCode({
          workflowsPath: path.join(__dirname, 'fixtures', `deploy-${v}.ts`),
          logger: quiet,
        })
      ).code;
    }
    client = await connectClient(config);
    connection = await NativeConnection.connect({ address: config.temporal.address });
  }, 120_000);
  afterAll(async () => {
    await connection.close();
    await client.connection.close();
  });

  async function worker(v: Version, calls: string[]): Promise<Worker> {
    return Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundle: { code: bundles[v] },
      activities: deployActivities(calls),
      // Each version replays from history, as a freshly deployed worker process would.
      maxCachedWorkflows: 0,
    });
  }

  const start = (label: string) =>
    client.workflow.start('deployWorkflow', {
      workflowId: uniqueId(label),
      taskQueue: config.temporal.taskQueue,
      workflowExecutionTimeout: '5 minutes',
    });

  /** Waits until step a has completed (the workflow then waits for `proceed`). */
  const pastStepA = (h: WorkflowHandle) =>
    waitUntil(
      'step a to complete',
      async () => (await activitiesOf(h)).some((a) => a.state === 'completed'),
      60_000,
    );

  const replay = (v: Version, h: WorkflowHandle) =>
    h
      .fetchHistory()
      .then((history) =>
        Worker.runReplayHistory({ workflowBundle: { code: bundles[v] } }, history, h.workflowId),
      );

  it('replay catches the unguarded change; patched() replays and keeps a running workflow going', async () => {
    const v1Calls: string[] = [];
    const v1 = await worker('v1', v1Calls);
    // One workflow finished on version 1, one left waiting for `proceed` when the deploy happens.
    const { finished, running } = await v1.runUntil(async () => {
      const finished = await start('deploy-finished');
      await pastStepA(finished);
      await finished.signal('proceed');
      expect(await finished.result()).toEqual(['a', 'b']);
      const running = await start('deploy-running');
      await pastStepA(running);
      return { finished, running };
    });
    expect(v1Calls).toEqual(['a', 'b', 'a']);

    // Replay: version 1 history against each version of the code.
    await replay('v1', finished);
    await expect(replay('v2', finished)).rejects.toThrow(DeterminismViolationError);
    await replay('v2-patched', finished);

    // The deploy: a version-2 (patched) worker takes over the running workflow.
    const v2Calls: string[] = [];
    const v2 = await worker('v2-patched', v2Calls);
    const { fresh } = await v2.runUntil(async () => {
      await running.signal('proceed');
      expect(await running.result()).toEqual(['a', 'b']);
      const fresh = await start('deploy-fresh');
      await pastStepA(fresh);
      await fresh.signal('proceed');
      expect(await fresh.result()).toEqual(['a', 'check', 'b']);
      return { fresh };
    });
    // Nothing lost, nothing run twice: the running workflow did only step b on the new worker.
    expect(v2Calls).toEqual(['b', 'a', 'check', 'b']);

    // The continued workflow's history replays on the new code; the new workflow's carries the
    // patch marker and (rolling back) no longer replays on version 1.
    await replay('v2-patched', running);
    await replay('v2-patched', fresh);
    const markers = ((await fresh.fetchHistory()).events ?? []).filter(
      (e) => e.markerRecordedEventAttributes,
    );
    expect(markers).toHaveLength(1);
    await expect(replay('v1', fresh)).rejects.toThrow(DeterminismViolationError);
  }, 300_000);
});
