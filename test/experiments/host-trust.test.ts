/**
 * Nothing a sandbox produces is trusted on the host (issue 16), at the experiment activity:
 * hostile experiment.py files against runExperimentOnce with the real sandbox and the real S3
 * store. Each case asserts what the worker did: its event-loop lag and memory, what reached the
 * store, how the run ended (a non-retryable failed run for the model, never a retryable error),
 * and how long it took. Plus the LaTeX compile's host folder against a hostile local user.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ApplicationFailure } from '@temporalio/common';
import {
  InvalidFinalInfoError,
  runExperimentOnce,
  type RunExperimentInput,
} from '../../activities/experiments';
import { FINAL_INFO_MAX_METRICS } from '../../activities/experiments/final-info';
import { RESULT_MAX_BYTES } from '../../activities/experiments/result-bounds';
import { compileLatex } from '../../activities/latex/compile';
import type { ExperimentFailureDetails } from '../../contracts';
import { toApplicationFailure } from '../../lib/errors';
import { realDeps } from '../../workers/create-worker';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { uploadWorkspace } from './helpers';

const config = suiteConfig('host-trust-exp', {
  SCIENTIST_GPU_COUNT: '0',
  SCIENTIST_SANDBOX_WORK_MB: '256',
  SCIENTIST_SANDBOX_MEMORY_MB: '1024',
});
const store = suiteStore(config);
const deps = realDeps(config);

/** Runs `experimentPy` as a paper's run_1; returns the result or the error, the time and the worker's lag and memory. */
async function hostileRun(experimentPy: string) {
  const paperId = uniqueId('paper');
  const workspace = await uploadWorkspace(store, paperId, { 'experiment.py': experimentPy });
  const input: RunExperimentInput = {
    paperId,
    runName: 'run_1',
    templateName: 'hostile',
    workspace,
    timeoutMs: 120_000,
  };
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let peakRss = process.memoryUsage().rss;
  const rss0 = peakRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  lag.enable();
  const t0 = Date.now();
  try {
    const value = await runExperimentOnce(
      { ...deps, store, slot: { kind: 'cpu' }, attempt: 1, reportProgress: () => undefined },
      input,
    ).then(
      (r) => ({ ok: r, err: undefined }),
      (e: unknown) => ({ ok: undefined, err: e }),
    );
    return {
      ...value,
      paperId,
      ms: Date.now() - t0,
      maxLagMs: lag.max / 1e6,
      rssGrowthMB: (peakRss - rss0) / 2 ** 20,
    };
  } finally {
    lag.disable();
    clearInterval(sampler);
  }
}

/** The error as Temporal sees it: a non-retryable failure whose details carry the stored log. */
async function expectFailedRun(
  err: unknown,
  type: string,
  message: RegExp,
): Promise<ExperimentFailureDetails> {
  const failure = toApplicationFailure(err) as ApplicationFailure;
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(message);
  const details = failure.details?.[0] as ExperimentFailureDetails;
  expect(details.outcome).toBe('failed');
  expect(await store.exists(details.logKey)).toBe(true);
  // What travels back is small whatever the code wrote.
  expect(JSON.stringify({ message: failure.message, details }).length).toBeLessThan(8 * 1024);
  return details;
}

const PY_HEADER =
  'import json, os, sys\nout = sys.argv[sys.argv.index("--out_dir") + 1]\nos.makedirs(out, exist_ok=True)\n';

describe('the experiment activity trusts nothing a run wrote', () => {
  it('finding 2: a 100 MB final_info.json is refused by its size without stalling or bloating the worker', async () => {
    const run = await hostileRun(
      PY_HEADER +
        'with open(os.path.join(out, "final_info.json"), "w") as f:\n' +
        '    f.write(\'{"d": {"means": {"acc": 1.0}}\')\n' +
        '    for _ in range(100): f.write(" " * (1 << 20))\n' +
        '    f.write("}")\n',
    );
    expect(run.ok).toBeUndefined();
    expect(run.err).toBeInstanceOf(InvalidFinalInfoError);
    await expectFailedRun(
      run.err,
      'InvalidFinalInfo',
      /final_info\.json is 100\.0 MB; it may be at most 1 MB/,
    );
    // Nothing of it reached the store (only the log).
    expect(await store.exists(`papers/${run.paperId}/experiments/run_1/outputs/final_info.json`)).toBe(false);
    expect(run.maxLagMs).toBeLessThan(500);
    expect(run.rssGrowthMB).toBeLessThan(200);
    expect(run.ms).toBeLessThan(60_000);
  });

  it('finding 3: 50,000 metrics are refused by count; at the caps the result stays far below the payload limit', async () => {
    const many = await hostileRun(
      PY_HEADER +
        'means = {f"m{i}": i for i in range(50000)}\n' +
        'json.dump({"d": {"means": means}}, open(os.path.join(out, "final_info.json"), "w"))\n',
    );
    expect(many.err).toBeInstanceOf(InvalidFinalInfoError);
    await expectFailedRun(
      many.err,
      'InvalidFinalInfo',
      new RegExp(`holds 50000 means; at most ${FINAL_INFO_MAX_METRICS}`),
    );
    expect(many.ms).toBeLessThan(60_000);

    // The most a run may return: every metric and output at its cap, with long names.
    const full = await hostileRun(
      PY_HEADER +
        `means = {("m%03d" % i) + "x" * 100: float(i) for i in range(${FINAL_INFO_MAX_METRICS})}\n` +
        'json.dump({"d": {"means": means}}, open(os.path.join(out, "final_info.json"), "w"))\n' +
        'for i in range(300): open(os.path.join(out, ("o%03d" % i) + "y" * 150 + ".txt"), "w").write("x")\n',
    );
    expect(full.err).toBeUndefined();
    const r = full.ok!;
    expect(Object.keys(r.metrics)).toHaveLength(FINAL_INFO_MAX_METRICS);
    // At most 200 files the run wrote, plus the reproducibility manifest the worker measured.
    const written = Object.keys(r.outputKeys).filter((k) => k !== 'run_1/reproducibility.json');
    expect(written.length).toBeLessThanOrEqual(200);
    expect(r.outputKeys['run_1/reproducibility.json']).toBeDefined();
    expect(r.finalInfo).toBeNull(); // over 16 KB: by key only
    const bytes = Buffer.byteLength(JSON.stringify(r));
    expect(bytes).toBeLessThan(RESULT_MAX_BYTES);
    expect(bytes).toBeLessThan((2 * 1024 * 1024) / 8);
  });

  it('finding 5: odd files are skipped and reported, the run succeeds; a replaced out dir is a failed run with its log', async () => {
    const odd = await hostileRun(
      PY_HEADER +
        'open(os.path.join(out, "ok.txt"), "w").write("fine")\n' +
        'open(os.path.join(out.encode(), b"bad\\xff.txt"), "w").write("x")\n' +
        'open(os.path.join(out, "my figure.png"), "w").write("x")\n' +
        'os.makedirs(os.path.join(out, "fig.png"))\n' +
        // 20 folders of 250 characters: a path past PATH_MAX, made one folder at a time.
        'top = os.getcwd(); os.chdir(out)\n' +
        'for i in range(20): os.mkdir("d" * 250); os.chdir("d" * 250)\n' +
        'open("deep.txt", "w").write("x"); os.chdir(top)\n' +
        'os.remove("experiment.py"); os.mkdir("experiment.py")\n' +
        'json.dump({"d": {"means": {"acc": 0.5}}}, open(os.path.join(out, "final_info.json"), "w"))\n',
    );
    expect(odd.err).toBeUndefined();
    const r = odd.ok!;
    expect(r.outcome).toBe('ok');
    expect(r.metrics).toEqual({ 'd.acc': 0.5 });
    expect(Object.keys(r.outputKeys).sort()).toEqual([
      'run_1/final_info.json',
      'run_1/ok.txt',
      'run_1/reproducibility.json',
    ]);
    const log = await store.getText(r.logKey);
    expect(log).toMatch(/run_1\/bad\\xff\.txt: its name is not valid UTF-8/);
    expect(log).toMatch(/its path is longer than 1024 bytes/);
    expect(odd.ms).toBeLessThan(60_000);

    const replaced = await hostileRun(
      PY_HEADER + 'import shutil\nshutil.rmtree(out)\nopen(out, "w").write("not a folder")\n',
    );
    expect(replaced.err).toBeInstanceOf(InvalidFinalInfoError);
    const details = await expectFailedRun(
      replaced.err,
      'InvalidFinalInfo',
      /the out dir run_1 was replaced by a file/,
    );
    expect(await store.getText(details.logKey)).toMatch(/run_1: a folder of the host copy has its name/);
    expect(replaced.ms).toBeLessThan(60_000);
  });

  it('finding 4: the LaTeX host folder is private, so a local user cannot plant links for root to follow', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'host-trust-latex-'));
    const target = path.join(scratch, 'root-only');
    writeFileSync(target, 'ROOT-ONLY\n', { mode: 0o600 });
    chmodSync(scratch, 0o755);
    const latexRoot = path.join(config.dataDir, 'latex');
    // An unprivileged user plants a link named like the TeX log in every compile folder it can reach.
    const planter = spawn(
      'sh',
      [
        '-c',
        `while true; do for d in ${tmpdir()}/ds-latex-* ${latexRoot}/ds-latex-*; do ` +
          `[ -d "$d" ] && ln -s ${target} "$d/paper.log" 2>/dev/null && echo planted; done; sleep 0.005; done`,
      ],
      { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let planted = '';
    planter.stdout.on('data', (b: Buffer) => (planted += b.toString()));
    try {
      const paperId = uniqueId('paper');
      const tex = '\\documentclass{article}\\begin{document}Hello.\\end{document}\n';
      const key = (await store.put(`test-workspaces/${paperId}/paper.tex`, tex)).key;
      const result = await compileLatex(deps, { paperId, round: 0, files: { 'paper.tex': key } });
      expect(result.ok).toBe(true);
      expect(await store.getText(result.logKey)).not.toContain('ROOT-ONLY');
    } finally {
      planter.kill('SIGKILL');
    }
    expect(planted).toBe('');
    expect(readFileSync(target, 'utf8')).toBe('ROOT-ONLY\n');
    expect(statSync(latexRoot).mode & 0o777).toBe(0o700);
    rmSync(scratch, { recursive: true, force: true });
  });
});
