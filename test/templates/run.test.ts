/**
 * The shipped templates on the real Docker engine, in the real sandbox image and policy:
 * fast mode trains for real (loss goes down) and writes a valid final_info.json, plot.py draws
 * from the run folders, and a run killed mid-way resumes from its checkpoint to the same result.
 * A user's AI-Scientist-layout template (no conventions of ours) runs unchanged.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { parseFinalInfo, type FinalInfo } from '../../activities/experiments/final-info';
import { createLogger } from '../../lib/log';
import { DockerSandboxRunner, sandboxImage, sandboxLimits, type SandboxResult } from '../../sandbox';
import { suiteConfig, uniqueId } from '../harness';
import { FIXTURES, SHIPPED_TEMPLATES, TEMPLATES_DIR } from './helpers';

const config = suiteConfig('templates');
const workRoot = path.join(config.dataDir, 'sandbox-work-test', uniqueId('templates'));
const runner = new DockerSandboxRunner(
  new Docker({ socketPath: config.docker.socketPath }),
  createLogger('templates', 'warn'),
  {
    workRoot,
  },
);
// The configured policy; only the wall clock is shorter, so a hung template fails the test.
const limits = sandboxLimits(config, { timeoutMs: 240_000 });
const tmpDirs: string[] = [];
const timings: string[] = [];

afterAll(() => {
  tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  rmSync(workRoot, { recursive: true, force: true });
  console.log(`sandbox wall times:\n${timings.join('\n')}`);
});

/** What each template must report, per dataset/condition. */
const EXPECTED: Record<(typeof SHIPPED_TEMPLATES)[number], { conditions: string[]; metrics: string[] }> = {
  grokking: {
    conditions: ['x_plus_y', 'x_minus_y', 'x_div_y', 'permutation'],
    metrics: [
      'final_train_loss',
      'final_val_loss',
      'final_train_acc',
      'final_val_acc',
      'step_val_acc_99',
      'train_time_s',
      'n_params',
    ],
  },
  diffusion2d: {
    conditions: ['circle', 'moons', 'line', 'spiral'],
    metrics: [
      'training_loss',
      'eval_loss',
      'kl_divergence',
      'mmd',
      'training_time',
      'inference_time',
      'n_params',
    ],
  },
  nanogpt: {
    conditions: ['fables'],
    metrics: [
      'final_train_loss',
      'final_val_loss',
      'best_val_loss',
      'total_train_time',
      'train_tokens_per_second',
      'sample_tokens_per_second',
      'n_params',
    ],
  },
};

/** Kill point for the resume test: past a checkpoint, inside a later dataset where there are several. */
const RESUME: Record<(typeof SHIPPED_TEMPLATES)[number], { every: number; stopAfter: number }> = {
  grokking: { every: 40, stopAfter: 230 }, // 4 × 150 steps: killed in the 2nd dataset
  diffusion2d: { every: 100, stopAfter: 450 }, // 4 × 300 steps: killed in the 2nd dataset
  nanogpt: { every: 50, stopAfter: 130 }, // 250 steps
};

function workspace(from: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tpl-run-'));
  tmpDirs.push(dir);
  cpSync(from, dir, { recursive: true });
  return dir;
}

async function sandboxed(
  workDir: string,
  command: string[],
  env: Record<string, string> = {},
): Promise<SandboxResult> {
  return runner.run({ runId: uniqueId('tpl'), image: sandboxImage(config), command, workDir, env, limits });
}

function expectOk(res: SandboxResult): void {
  if (res.outcome !== 'ok')
    throw new Error(
      `sandbox run ended ${res.outcome} (exit ${res.exitCode}):\n${res.stderrTail}\n${res.stdoutTail}`,
    );
}

interface ProgressLine {
  step: number;
  total: number;
  loss: number;
}

function progressLines(log: string): ProgressLine[] {
  return [...log.matchAll(/^SCIENTIST_PROGRESS (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as ProgressLine);
}

function resumedStep(log: string): number | undefined {
  const m = /^SCIENTIST_RESUMED (\{.*\})$/m.exec(log);
  return m ? (JSON.parse(m[1]!) as { step: number }).step : undefined;
}

function readFinalInfo(workDir: string): FinalInfo {
  const file = path.join(workDir, 'run_0', 'final_info.json');
  return parseFinalInfo(readFileSync(file, 'utf8'), 'run_0/final_info.json');
}

/** Metrics that measure the model, not the clock (those must survive a resume unchanged). */
function modelMetrics(info: FinalInfo): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cond, { means }] of Object.entries(info)) {
    for (const [k, v] of Object.entries(means))
      if (!/time|per_second/.test(k)) out[`${cond}.${k}`] = v as number;
  }
  return out;
}

describe.each(SHIPPED_TEMPLATES)('template %s', (name) => {
  let uninterrupted: FinalInfo | undefined;

  test('fast mode trains (loss goes down), writes final_info.json, and plot.py draws the runs', async () => {
    const ws = workspace(path.join(TEMPLATES_DIR, name));
    const res = await sandboxed(ws, ['python3', 'experiment.py', '--out_dir', 'run_0'], {
      SCIENTIST_FAST: '1',
    });
    expectOk(res);
    timings.push(`  ${name}: experiment.py fast ${(res.durationMs / 1000).toFixed(1)} s`);

    const info = readFinalInfo(ws);
    expect(Object.keys(info)).toEqual(EXPECTED[name].conditions);
    for (const cond of EXPECTED[name].conditions) {
      expect(Object.keys(info[cond]!.means).sort()).toEqual([...EXPECTED[name].metrics].sort());
      for (const v of Object.values(info[cond]!.means)) expect(Number.isFinite(v)).toBe(true);
    }
    uninterrupted = info;

    const progress = progressLines(res.log);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[0]!.step).toBe(1);
    expect(progress.at(-1)!.step).toBe(progress.at(-1)!.total);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss * 0.8);
    expect(resumedStep(res.log)).toBeUndefined();
    expect(existsSync(path.join(ws, 'run_0', 'checkpoint.pt'))).toBe(true);

    // A second run folder, as after the first planned experiment: plot.py reads every run_*.
    cpSync(path.join(ws, 'run_0'), path.join(ws, 'run_1'), { recursive: true });
    const plot = await sandboxed(ws, ['python3', 'plot.py']);
    expectOk(plot);
    timings.push(`  ${name}: plot.py ${(plot.durationMs / 1000).toFixed(1)} s`);
    const pngs = readdirSync(ws).filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBeGreaterThan(0);
    for (const png of pngs) {
      const buf = readFileSync(path.join(ws, png));
      expect(buf.subarray(1, 4).toString()).toBe('PNG');
      expect(buf.length).toBeGreaterThan(5000);
    }
  }, 400_000);

  test('a run killed mid-way resumes from its checkpoint and reaches the same result', async () => {
    const ws = workspace(path.join(TEMPLATES_DIR, name));
    const { every, stopAfter } = RESUME[name];
    const killed = await sandboxed(ws, ['python3', 'experiment.py', '--out_dir', 'run_0'], {
      SCIENTIST_FAST: '1',
      SCIENTIST_CHECKPOINT_EVERY: String(every),
      SCIENTIST_STOP_AFTER_STEPS: String(stopAfter),
    });
    expect(killed.outcome).toBe('failed');
    expect(killed.exitCode).toBe(75);
    expect(existsSync(path.join(ws, 'run_0', 'final_info.json'))).toBe(false);
    expect(existsSync(path.join(ws, 'run_0', 'checkpoint.pt'))).toBe(true);
    expect(existsSync(path.join(ws, 'run_0', 'checkpoint.pt.tmp'))).toBe(false);

    const resumed = await sandboxed(ws, ['python3', 'experiment.py', '--out_dir', 'run_0'], {
      SCIENTIST_FAST: '1',
    });
    expectOk(resumed);
    timings.push(
      `  ${name}: killed at step ${stopAfter} after ${(killed.durationMs / 1000).toFixed(1)} s, resumed run ${(resumed.durationMs / 1000).toFixed(1)} s`,
    );
    const from = resumedStep(resumed.log);
    expect(from).toBe(Math.floor(stopAfter / every) * every);
    // It continued where it stopped instead of starting over.
    const progress = progressLines(resumed.log);
    expect(progress[0]!.step).toBe(from! + 1);
    expect(progress.at(-1)!.step).toBe(progress.at(-1)!.total);

    const info = readFinalInfo(ws);
    expect(uninterrupted).toBeDefined();
    const a = modelMetrics(uninterrupted!);
    const b = modelMetrics(info);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    // Seeded data order, initialisation and RNG state in the checkpoint: the same numbers.
    for (const [k, v] of Object.entries(a)) expect([k, b[k]!]).toEqual([k, expect.closeTo(v, 4)]);
  }, 400_000);
});

test('an AI-Scientist-layout template without our conventions runs unchanged in the sandbox', async () => {
  const ws = workspace(path.join(FIXTURES, 'ai-scientist'));
  rmSync(path.join(ws, 'run_0'), { recursive: true, force: true });
  mkdirSync(path.join(ws, 'run_0'));
  const res = await sandboxed(ws, ['python3', 'experiment.py', '--out_dir', 'run_0']);
  expectOk(res);
  const info = readFinalInfo(ws);
  expect(Object.keys(info)).toEqual(['noisy_line', 'quadratic']);
  expect(info.noisy_line!.means.final_loss).toBeLessThan(info.noisy_line!.means.initial_loss as number);
  const plot = await sandboxed(ws, ['python3', 'plot.py']);
  expectOk(plot);
  expect(readFileSync(path.join(ws, 'train_loss.png')).subarray(1, 4).toString()).toBe('PNG');
}, 120_000);
