import type { Config } from '../lib/config';
import type { SandboxLimits } from './runner';

const MB = 1024 * 1024;

/** Largest private /dev/shm (MB; multiprocessing, DataLoader workers); never more than tmpMB. Counts against memory. */
export const SHM_MAX_MB = 64;

/** The size of a run's /dev/shm (MB). */
export function shmMB(limits: SandboxLimits): number {
  return Math.min(SHM_MAX_MB, limits.tmpMB);
}

/** The configured limits, with per-run overrides (e.g. a shorter timeout for plots). */
export function sandboxLimits(config: Config, overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  return {
    memoryMB: config.sandbox.memoryMB,
    cpus: config.sandbox.cpus,
    pidsLimit: config.sandbox.pidsLimit,
    timeoutMs: config.sandbox.timeoutMs,
    tmpMB: config.sandbox.tmpMB,
    workMB: config.sandbox.workMB,
    outputCapBytes: config.sandbox.outputCapMB * MB,
    collectBytes: config.sandbox.collectMB * MB,
    ...overrides,
  };
}
