/** Shared by the sandbox suites: a runner over the real engine, tiny limits, a script runner. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { Config } from '../../lib/config';
import { createLogger } from '../../lib/log';
import {
  DockerSandboxRunner,
  LABEL,
  sandboxImage,
  type SandboxLimits,
  type SandboxResult,
  type SandboxRunSpec,
} from '../../sandbox';
import { uniqueId } from '../harness';

/** Small limits so each adversarial case ends in seconds on 2 cores. */
export const SMALL: SandboxLimits = {
  memoryMB: 256,
  cpus: 1,
  pidsLimit: 64,
  timeoutMs: 8000,
  tmpMB: 16,
  workMB: 64,
  outputCapBytes: 1024 * 1024,
  collectBytes: 8 * 1024 * 1024,
};

export function sandboxKit(config: Config, suite: string) {
  const docker = new Docker({ socketPath: config.docker.socketPath });
  const workRoot = path.join(config.dataDir, 'sandbox-work-test', uniqueId(suite));
  const runner = new DockerSandboxRunner(docker, createLogger(suite, 'warn'), { workRoot });
  const runIdPrefix = uniqueId(suite);

  /** Runs a Python script as /work/main.py; returns the result and the host folder. */
  async function runPython(
    script: string,
    limits: Partial<SandboxLimits> = {},
    extra: Partial<SandboxRunSpec> = {},
  ): Promise<{ result: SandboxResult; workDir: string; runId: string }> {
    const workDir = mkdtempSync(path.join(tmpdir(), `${suite}-`));
    writeFileSync(path.join(workDir, 'main.py'), script);
    const runId = `${runIdPrefix}-${Math.random().toString(36).slice(2, 8)}`;
    const result = await runner.run({
      runId,
      image: sandboxImage(config),
      command: ['python3', 'main.py'],
      workDir,
      limits: { ...SMALL, ...limits },
      ...extra,
    });
    return { result, workDir, runId };
  }

  /** Sandbox containers of this suite still on the engine (running or not). */
  async function leftoverContainers(): Promise<string[]> {
    const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.sandbox}=1`] } });
    return list
      .filter((c) => (c.Labels[LABEL.runId] ?? '').startsWith(runIdPrefix))
      .map((c) => c.Names[0] ?? c.Id);
  }

  /** Work-area mounts and files of this suite still on the host. */
  function leftoverWorkAreas(): string[] {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(workRoot));
    let files: string[] = [];
    try {
      files = readdirSync(workRoot);
    } catch {
      /* never created */
    }
    return [...mounts, ...files];
  }

  /** Removes the suite's (empty) work root. */
  function cleanup(): void {
    rmSync(workRoot, { recursive: true, force: true });
  }

  return { docker, runner, workRoot, runIdPrefix, runPython, leftoverContainers, leftoverWorkAreas, cleanup };
}

/** Host processes whose command line contains `marker` (container processes are visible to the host). */
export function hostProcesses(marker: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}
