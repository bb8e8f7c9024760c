import type { Config } from '../lib/config';
import type { SandboxLimits } from './runner';

const MB = 1024 * 1024;

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
