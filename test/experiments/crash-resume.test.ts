/**
 * Checkpoint resume: a real GPU worker process (workers/gpu.ts) is SIGKILLed mid-training; a
 * second one takes the retried activity, restores the last heartbeated checkpoint into a new
 * container, and the run finishes from there with one final result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import Docker from 'dockerode';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ExperimentHeartbeat, RunExperimentResult } from '../../activities/experiments';
import { PROJECT_ROOT } from '../../lib/paths';
import { connectClient, installRuntimeLogger } from '../../lib/temporal';
import { DockerSandboxRunner, LABEL } from '../../sandbox';
import { createLogger } from '../../lib/log';
import path from 'node:path';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { templateFiles, testWorkflowWorker, toyFiles, uploadWorkspace } from './helpers';

const config = suiteConfig('crash-resume');
const store = suiteStore(config);

/** Starts `workers/gpu.ts` as its own process group on this suite's queue and prefix. */
function startGpuWorker(
  name: string,
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/gpu.ts'], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SCIENTIST_GPU_TASK_QUEUE: config.temporal.gpuTaskQueue,
      SCIENTIST_S3_PREFIX: config.s3.prefix,
      SCIENTIST_GPU_COUNT: '0',
      SCIENTIST_CHECKPOINT_EVERY: '10',
      SCIENTIST_SANDBOX_WORK_MB: '256',
      SCIENTIST_LOG_LEVEL: 'info',
      ...env,
    },
  });
  child.stdout.on('data', (b: Buffer) => (output += `[${name}] ${b.toString()}`));
  child.stderr.on('data', (b: Buffer) => (output += `[${name}] ${b.toString()}`));
  return { child, output: () => output };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

describe('checkpoint resume after a GPU worker is SIGKILLed', () => {
  let client: Client;
  let main: { worker: Worker; close: () => Promise<void> };
  let mainRun: Promise<void>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    installRuntimeLogger('WARN');
    client = await connectClient(config);
    main = await testWorkflowWorker(config);
    mainRun = main.worker.run();
  });
  afterAll(async () => {
    children.forEach((c) => killGroup(c, 'SIGKILL'));
    // A failed run may leave the killed workers' containers running: reap them now.
    const docker = new Docker({ socketPath: config.docker.socketPath });
    await new DockerSandboxRunner(docker, createLogger('reaper', 'warn'), {
      workRoot: path.join(config.dataDir, 'sandbox-work'),
    }).reapOrphans();
    main.worker.shutdown();
    await mainRun;
    await main.close();
    await client.connection.close();
  });

  interface Case {
    files: Record<string, string | Buffer>;
    fast: boolean;
    checkpointEvery: number;
    /** Kill the first worker once a checkpoint at or past this step is heartbeated. */
    killAtStep: number;
  }

  /** Starts the run on worker 1, SIGKILLs it mid-training, lets worker 2 finish; returns the result. */
  async function crashAndResume(
    c: Case,
  ): Promise<{ r: RunExperimentResult; beat: ExperimentHeartbeat; paperId: string }> {
    const paperId = uniqueId('paper');
    const workspace = await uploadWorkspace(store, paperId, c.files);
    const env = { SCIENTIST_CHECKPOINT_EVERY: String(c.checkpointEvery) };
    const first = startGpuWorker('gpu-1', env);
    children.push(first.child);
    const handle = await client.workflow.start('runExperimentTestWorkflow', {
      workflowId: uniqueId('resume'),
      taskQueue: config.temporal.taskQueue,
      args: [
        { paperId, runName: 'run_1', templateName: 'test', workspace, fast: c.fast, timeoutMs: 240_000 },
        { gpuTaskQueue: config.temporal.gpuTaskQueue, heartbeatTimeoutMs: 5000, maximumAttempts: 3 },
      ],
    });

    // Wait until the server holds a heartbeat with a checkpoint far enough in.
    let beat: ExperimentHeartbeat | undefined;
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      const desc = await handle.describe();
      const payload = desc.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
      beat = payload ? defaultPayloadConverter.fromPayload<ExperimentHeartbeat>(payload) : undefined;
      if ((beat?.checkpointStep ?? 0) >= c.killAtStep) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if ((beat?.checkpointStep ?? 0) < c.killAtStep)
      throw new Error(`no checkpoint heartbeat: ${JSON.stringify(beat)}\n${first.output()}`);
    expect(beat!.checkpointKey).toBe(`papers/${paperId}/experiments/run_1/checkpoint.pt`);

    // Crash: no graceful shutdown, the container is orphaned.
    killGroup(first.child, 'SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    // A new worker reaps the orphan and picks up the retry after the heartbeat timeout.
    const second = startGpuWorker('gpu-2', env);
    children.push(second.child);
    const out = (await handle.result()) as { ok?: RunExperimentResult; failure?: unknown };
    if (!out.ok) throw new Error(`run failed: ${JSON.stringify(out)}\n${first.output()}\n${second.output()}`);

    // One final result: one activity completion, after exactly two attempts.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.activityTaskCompletedEventAttributes).length).toBe(1);
    expect(
      events.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt,
    ).toBe(2);

    // The orphaned container of the killed worker is gone.
    const docker = new Docker({ socketPath: config.docker.socketPath });
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.sandbox}=1`] } });
    expect(left.filter((x) => (x.Labels[LABEL.runId] ?? '').includes(paperId))).toEqual([]);
    killGroup(second.child, 'SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    return { r: out.ok, beat: beat!, paperId };
  }

  it('resumes the test experiment from the last checkpoint and finishes once', async () => {
    // 400 steps × 60 ms ≈ 25 s of training, a checkpoint every 10 steps.
    const { r, beat } = await crashAndResume({
      files: toyFiles({ 'toy_config.json': '{"step_sleep_s": 0.06}' }),
      fast: false,
      checkpointEvery: 10,
      killAtStep: 50,
    });
    expect(beat.step!).toBeLessThan(400);
    expect(r.resumedFromStep).toBeGreaterThan(0);
    expect(r.resumedFromStep).toBeGreaterThanOrEqual(beat.checkpointStep! - 10);
    expect(r.metrics['toy.resumed_from']).toBe(r.resumedFromStep);
    expect(r.metrics['toy.final_loss']).toBeLessThan(r.metrics['toy.first_loss']!);
    expect(r.logKey).toMatch(/attempt-2\.log$/);
    expect(await store.getText(r.logKey)).toMatch(/SCIENTIST_RESUMED \{"step": \d+\}/);
    expect(await store.getText(r.outputKeys['run_1/notes.txt']!)).toMatch(
      new RegExp(`trained 400 steps from step ${r.resumedFromStep}`),
    );
  }, 300_000);

  it('resumes the grokking template from its checkpoint and finishes once', async () => {
    // Fast mode trains ~20 s here; kill as soon as the first checkpoint is heartbeated.
    const { r, beat } = await crashAndResume({
      files: templateFiles('grokking'),
      fast: true,
      checkpointEvery: 25,
      killAtStep: 1,
    });
    expect(beat.checkpointStep).toBeGreaterThan(0);
    expect(r.resumedFromStep).toBeGreaterThan(0);
    expect(await store.getText(r.logKey)).toMatch(/SCIENTIST_RESUMED \{"step": [1-9]\d*\}/);
    expect(Object.keys(r.finalInfo ?? {}).length).toBeGreaterThan(0);
    expect(Object.keys(r.metrics).length).toBeGreaterThan(0);
    expect(r.outputKeys['run_1/final_info.json']).toBeDefined();
  }, 300_000);
});
