/** Shared by the sandbox suites: a runner over the real engine, tiny limits, a script runner. */
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

/** The environment variable that marks a test run's processes. */
const RUN_MARKER = 'DS_TEST_RUN_ID';

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
      // Every process of the run inherits it: processesOf() finds them, and only them, on the host.
      env: { ...extra.env, [RUN_MARKER]: runId },
    });
    return { result, workDir, runId };
  }

  /**
   * Host processes of one run (found by the marker in their environment, which every child
   * inherits), as `pid: command line`: never anyone else's, whatever else runs on the machine.
   */
  function processesOf(runId: string): string[] {
    const found: string[] = [];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
        if (!env.includes(`${RUN_MARKER}=${runId}`)) continue;
        found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
      } catch {
        /* gone meanwhile, or a kernel thread */
      }
    }
    return found;
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

  return {
    docker,
    runner,
    workRoot,
    runIdPrefix,
    runPython,
    processesOf,
    leftoverContainers,
    leftoverWorkAreas,
    cleanup,
  };
}
