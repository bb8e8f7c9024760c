/**
 * runExperiment and runBaseline on the GPU task queue: real Temporal, real S3, real Docker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { Client } from '@temporalio/client';
import { createLogger } from '../../lib/log';
import { toApplicationFailure } from '../../lib/errors';
import { ApplicationFailure } from '@temporalio/common';
import { runExperimentOnce, type RunExperimentResult } from '../../activities/experiments';
import { baselineHash } from '../../activities/experiments/baseline';
import { fetchWorkspace, workspaceHash } from '../../activities/experiments/workspace';
import { DockerSandboxRunner, LABEL, SandboxUnavailableError } from '../../sandbox';
import { connectClient, installRuntimeLogger } from '../../lib/temporal';
import { createWorker, realDeps, type PollingWorker } from '../../workers/create-worker';
import { S3ArtifactStore } from '../../lib/store';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { testWorkflowWorker, toyFiles, uploadWorkspace } from './helpers';
import type { CaughtFailure } from './workflows';

const config = suiteConfig('experiments', {
  SCIENTIST_GPU_COUNT: '0',
  SCIENTIST_SANDBOX_WORK_MB: '256',
  SCIENTIST_SANDBOX_MEMORY_MB: '1024',
  SCIENTIST_CHECKPOINT_EVERY: '20',
});
const store = suiteStore(config);
const call = { gpuTaskQueue: config.temporal.gpuTaskQueue, heartbeatTimeoutMs: 30_000, maximumAttempts: 3 };

describe('runExperiment on the GPU queue', () => {
  let client: Client;
  const workers: { worker: PollingWorker; close: () => Promise<void> }[] = [];
  let runningWorkers: Promise<unknown> | undefined;

  beforeAll(async () => {
    installRuntimeLogger('WARN');
    client = await connectClient(config);
    workers.push(await testWorkflowWorker(config));
    const gpu = await createWorker({ config, role: 'gpu' });
    workers.push({ worker: gpu.worker, close: () => gpu.connection.close() });
    runningWorkers = Promise.all(workers.map((w) => w.worker.run()));
  });
  afterAll(async () => {
    workers.forEach((w) => w.worker.shutdown());
    await runningWorkers;
    await Promise.all(workers.map((w) => w.close()));
    await client?.connection.close();
  });

  const execute = <T>(workflow: string, args: unknown[]) =>
    client.workflow.execute(workflow, {
      workflowId: uniqueId(workflow),
      taskQueue: config.temporal.taskQueue,
      args,
    }) as Promise<T>;

  it('runs the experiment, validates final_info.json and stores log, outputs and checkpoint', async () => {
    const paperId = uniqueId('paper');
    const workspace = await uploadWorkspace(store, paperId, toyFiles());
    const out = await execute<{ ok: RunExperimentResult }>('runExperimentTestWorkflow', [
      { paperId, runName: 'run_1', templateName: 'toy', workspace, fast: true, timeoutMs: 120_000 },
      call,
    ]);
    const r = out.ok;
    expect(r.outcome).toBe('ok');
    expect(r.exitCode).toBe(0);
    expect(r.gpu).toBeNull();
    expect(r.resumedFromStep).toBeNull();
    expect(r.metrics['toy.final_loss']).toBeLessThan(r.metrics['toy.first_loss']!);
    expect(r.finalInfo?.toy?.stderrs).toEqual({ final_loss: 0 });
    // The run's outputs, and the reproducibility manifest the worker measured (issue 13).
    expect(Object.keys(r.outputKeys).sort()).toEqual([
      'run_1/final_info.json',
      'run_1/notes.txt',
      'run_1/reproducibility.json',
    ]);
    expect(r.finalInfoKey).toBe(r.outputKeys['run_1/final_info.json']);
    expect(r.logKey).toBe(`papers/${paperId}/experiments/run_1/attempt-1.log`);
    expect(await store.getText(r.logKey)).toMatch(/SCIENTIST_PROGRESS .*"total": 60/);
    expect(await store.getText(r.outputKeys['run_1/notes.txt']!)).toContain('trained 60 steps from step 0');
    expect(await store.exists(`papers/${paperId}/experiments/run_1/checkpoint.pt`)).toBe(true);
    // Keys only: the result is small.
    expect(JSON.stringify(r).length).toBeLessThan(4000);
  });

  it('fails non-retryably with the stderr tail when the code is at fault', async () => {
    const paperId = uniqueId('paper');
    const workspace = await uploadWorkspace(
      store,
      paperId,
      toyFiles({ 'toy_config.json': '{"fail": "the learning rate is negative"}' }),
    );
    const out = await execute<{ failure: CaughtFailure }>('runExperimentTestWorkflow', [
      { paperId, runName: 'run_2', templateName: 'toy', workspace, fast: true },
      call,
    ]);
    const f = out.failure;
    expect(f.type).toBe('SandboxExitCode');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(
      /exited with code 1.*\n--- stderr tail ---\n[\s\S]*RuntimeError: the learning rate is negative/,
    );
    const details = f.details[0] as { stderrTail: string; logKey: string; outcome: string; exitCode: number };
    expect(details).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(details.stderrTail).toContain('RuntimeError: the learning rate is negative');
    expect(details.stderrTail.length).toBeLessThanOrEqual(1500);
    expect(await store.getText(details.logKey)).toContain('the learning rate is negative');
  });

  it('rejects a final_info.json of the wrong shape with a message the coder can act on', async () => {
    const paperId = uniqueId('paper');
    const script =
      'import argparse, json, os\np = argparse.ArgumentParser(); p.add_argument("--out_dir"); a = p.parse_args()\nos.makedirs(a.out_dir, exist_ok=True)\njson.dump({"acc": 0.9}, open(os.path.join(a.out_dir, "final_info.json"), "w"))\n';
    const workspace = await uploadWorkspace(store, paperId, { 'experiment.py': script });
    const out = await execute<{ failure: CaughtFailure }>('runExperimentTestWorkflow', [
      { paperId, runName: 'run_1', templateName: 'toy', workspace },
      call,
    ]);
    expect(out.failure.type).toBe('InvalidFinalInfo');
    expect(out.failure.nonRetryable).toBe(true);
    expect(out.failure.message).toMatch(/expected shape .*means/);
  });

  it('completes a diverged run: Python writes NaN and Infinity, the run is a result and not a failure', async () => {
    const paperId = uniqueId('paper');
    const script =
      'import argparse, json, os\np = argparse.ArgumentParser(); p.add_argument("--out_dir"); a = p.parse_args()\nos.makedirs(a.out_dir, exist_ok=True)\njson.dump({"toy": {"means": {"final_loss": float("nan"), "grad_norm": float("inf"), "acc": 0.1}}}, open(os.path.join(a.out_dir, "final_info.json"), "w"))\n';
    const workspace = await uploadWorkspace(store, paperId, { 'experiment.py': script });
    const out = await execute<{ ok: RunExperimentResult }>('runExperimentTestWorkflow', [
      { paperId, runName: 'run_2', templateName: 'toy', workspace },
      call,
    ]);
    expect(out.ok.outcome).toBe('ok');
    expect(out.ok.finalInfo?.toy?.means).toEqual({ final_loss: 'NaN', grad_norm: 'Infinity', acc: 0.1 });
    expect(out.ok.metrics).toEqual({ 'toy.acc': 0.1 });
    // The stored file is what Python wrote (plot.py reads it back with json.load).
    expect(await store.getText(out.ok.finalInfoKey)).toContain('"final_loss": NaN');
  });

  it('produces the baseline run_0 once per template code and fast flag, then serves it from the store', async () => {
    const id = uniqueId('tpl');
    const workspace = await uploadWorkspace(store, id, toyFiles());
    const input = { templateName: 'toy', workspace, fast: true };
    const first = await execute<{ ok: RunExperimentResult & { cached: boolean; baselineHash: string } }>(
      'runBaselineTestWorkflow',
      [input, call],
    );
    expect(first.ok.cached).toBe(false);
    expect(first.ok.outputKeys['run_0/final_info.json']).toMatch(
      new RegExp(`^cache/baseline/${first.ok.baselineHash}/`),
    );
    const t0 = Date.now();
    const second = await execute<{ ok: RunExperimentResult & { cached: boolean; baselineHash: string } }>(
      'runBaselineTestWorkflow',
      [input, call],
    );
    expect(second.ok.cached).toBe(true);
    expect(second.ok.metrics).toEqual(first.ok.metrics);
    expect(Date.now() - t0).toBeLessThan(first.ok.durationMs + 5000);
    // The same code in full mode is a different baseline.
    const full = await execute<{ ok: { cached: boolean; baselineHash: string } }>('runBaselineTestWorkflow', [
      { ...input, fast: false },
      call,
    ]);
    expect(full.ok.baselineHash).not.toBe(first.ok.baselineHash);
    expect(full.ok.cached).toBe(false);
  });

  it("names a baseline by its files' sha256 as before, without downloading content-addressed files", async () => {
    const workspace = await uploadWorkspace(store, uniqueId('tpl'), toyFiles());
    // A content-addressed data file (hashed by its key) beside the uploaded ones (fetched and hashed).
    const data = await store.putContent('cas/file', Buffer.from('x,y\n'.repeat(50_000)));
    const manifest = { ...workspace, 'data/table.csv': data.key };
    const dir = mkdtempSync(path.join(tmpdir(), 'ds-hash-'));
    try {
      // The hash the cache keys were always made of: every file fetched and hashed.
      const fetched = workspaceHash(await fetchWorkspace(store, manifest, dir), { fast: true });
      expect(await baselineHash(store, { templateName: 'toy', workspace: manifest, fast: true })).toBe(
        fetched,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A content-addressed key whose object is not there still hashes: nothing was downloaded for it.
    const gone = { ...manifest, 'data/big.bin': `cas/file/${'0'.repeat(64)}` };
    await expect(baselineHash(store, { templateName: 'toy', workspace: gone, fast: true })).resolves.toMatch(
      /^[0-9a-f]{64}$/,
    );
  });

  it('cancelling the activity kills its container at once', async () => {
    const paperId = uniqueId('paper');
    const workspace = await uploadWorkspace(
      store,
      paperId,
      toyFiles({ 'toy_config.json': '{"step_sleep_s": 1}' }),
    );
    const t0 = Date.now();
    const how = await execute<string>('cancelExperimentTestWorkflow', [
      { paperId, runName: 'run_1', templateName: 'toy', workspace, fast: false, timeoutMs: 600_000 },
      { ...call, heartbeatTimeoutMs: 10_000 },
      6000,
    ]);
    expect(how).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(30_000);
    const docker = new Docker({ socketPath: config.docker.socketPath });
    const deadline = Date.now() + 10_000;
    let mine = [{}];
    while (mine.length && Date.now() < deadline) {
      const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.sandbox}=1`] } });
      mine = list.filter((c) => (c.Labels[LABEL.runId] ?? '').includes(paperId));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(mine).toEqual([]);
  });

  it('leaves no sandbox container behind', async () => {
    const docker = new Docker({ socketPath: config.docker.socketPath });
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.sandbox}=1`, `${LABEL.ownerPid}=${process.pid}`] },
    });
    expect(left).toEqual([]);
  });
});

describe('runExperiment when the infrastructure fails', () => {
  it('Docker down is a retryable SandboxUnavailable failure', async () => {
    const deps = realDeps(config);
    const sandbox = new DockerSandboxRunner(
      new Docker({ socketPath: '/nonexistent/docker.sock' }),
      createLogger('t', 'error'),
    );
    const paperId = uniqueId('paper');
    const workspace = await uploadWorkspace(store, paperId, toyFiles());
    const err = await runExperimentOnce(
      { ...deps, sandbox, slot: { kind: 'cpu' }, attempt: 1, reportProgress: () => undefined },
      { paperId, runName: 'run_1', templateName: 'toy', workspace, fast: true },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    const failure = toApplicationFailure(err) as ApplicationFailure;
    expect(failure.type).toBe('SandboxUnavailable');
    expect(failure.nonRetryable).toBe(false);
  });

  it('S3 down is retryable too (the workspace cannot be fetched)', async () => {
    const deps = realDeps(config);
    const deadStore = S3ArtifactStore.fromConfig({
      ...config,
      s3: { ...config.s3, endpoint: 'http://127.0.0.1:9' },
    });
    const err = await runExperimentOnce(
      { ...deps, store: deadStore, slot: { kind: 'cpu' }, attempt: 1, reportProgress: () => undefined },
      {
        paperId: uniqueId('paper'),
        runName: 'run_1',
        templateName: 'toy',
        workspace: { 'experiment.py': 'test-workspaces/x/experiment.py' },
      },
    ).catch((e: unknown) => e);
    const failure = toApplicationFailure(err) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/ECONNREFUSED|connect|unavailable/i);
  });
});
