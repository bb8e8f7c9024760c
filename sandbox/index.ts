export type {
  LiveWorkArea,
  SandboxLimits,
  SandboxOutcome,
  SandboxResult,
  SandboxRunSpec,
  SandboxRunner,
  SandboxRuntime,
} from './runner';
export {
  DockerSandboxRunner,
  LABEL,
  sandboxEnv,
  sandboxHostConfig,
  type DockerSandboxRunnerOptions,
} from './docker-runner';
export {
  DiskQuotaError,
  ExitCodeError,
  NetworkDeniedError,
  OutOfMemoryError,
  OutputCapError,
  PidsLimitError,
  SandboxCancelledError,
  SandboxError,
  SandboxUnavailableError,
  StalledError,
  STDERR_TAIL_CHARS,
  TimeoutError,
  sandboxError,
} from './errors';
export { claimHostFolder, createHostFolder, removeHostFolder, scrubHostFolder } from './host-folder';
export { COLLECT_CAPS, SKIPPED_LISTED } from './collect';
export { DENIED_SYSCALLS } from './seccomp';
export { ensureSandboxImage, localSandboxTag, sandboxImage } from './images';
export { sandboxLimits } from './policy';
