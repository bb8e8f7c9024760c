/**
 * Real worker processes (workers/main.ts, workers/gpu.ts, run with node + tsx as in production),
 * each its own process group so that a test can kill it for real (SIGKILL: nothing flushed) or
 * stop it gracefully, and tear down every one it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';

export interface WorkerProc {
  name: string;
  role: 'main' | 'gpu';
  child: ChildProcess;
  /** Resolves once the worker polls its task queue. */
  polling: Promise<void>;
  exited: Promise<number | null>;
  output(): string;
}

const live = new Set<WorkerProc>();

/** Starts `workers/<role>.ts` as its own process group (node + tsx, as in production). */
export function startWorker(
  role: 'main' | 'gpu',
  env: Record<string, string>,
  name: string = role,
): WorkerProc {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('workers', `${role}.ts`)], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const append = (b: Buffer) => {
    out += b.toString();
    // Keep the tail only: a long test must not hold megabytes of worker logs.
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const w: WorkerProc = {
    name,
    role,
    child,
    exited,
    output: () =>
      out
        .split('\n')
        .map((l) => `[${name}] ${l}`)
        .join('\n'),
    polling: new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/polling \S+ on /.test(out)) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`${name} exited before polling (${code}):\n${out.slice(-3000)}`));
      });
    }),
  };
  void w.polling.catch(() => undefined);
  live.add(w);
  void exited.then(() => live.delete(w));
  return w;
}

/** A GPU worker and a main worker, once both poll: how every crash test starts. */
export async function startPollingWorkers(
  env: Record<string, string>,
  mainName = 'main',
): Promise<{ gpu: WorkerProc; main: WorkerProc }> {
  const gpu = startWorker('gpu', env, 'gpu');
  const main = startWorker('main', env, mainName);
  await Promise.all([gpu.polling, main.polling]);
  return { gpu, main };
}

/** SIGKILL to the worker's whole process group: no graceful shutdown, nothing flushed. */
export async function killWorker(w: WorkerProc): Promise<number> {
  const at = Date.now();
  try {
    process.kill(-w.child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await w.exited;
  return at;
}

/** SIGTERM (graceful shutdown); SIGKILL after `graceMs`. */
export async function stopWorker(w: WorkerProc, graceMs = 40_000): Promise<void> {
  try {
    process.kill(-w.child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-w.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await w.exited;
  clearTimeout(timer);
}

/** Kills every worker process this module started that is still running (test teardown). */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...live].map((w) => killWorker(w)));
}
