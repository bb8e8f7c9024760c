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
  STDERR_TAIL_CHARS,
  TimeoutError,
  sandboxError,
} from './errors';
export { ensureSandboxImage, localSandboxTag, sandboxImage } from './images';
export { sandboxLimits } from './policy';
