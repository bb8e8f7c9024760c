/**
 * Sandbox outcomes as named errors. Each carries the run's SandboxResult and says how to fix
 * the code; all but SandboxUnavailableError blame the code that ran, so they are not retried.
 */
import { ScientistError, type ScientistErrorOptions } from '../lib/errors';
import { shmMB } from './policy';
import type { SandboxOutcome, SandboxResult } from './runner';

/** The characters of stderr that travel with a failure (enough for a coding model to act on). */
export const STDERR_TAIL_CHARS = 1500;

/** Base of every sandbox outcome error: the run's result is in `result`. */
export abstract class SandboxError extends ScientistError {
  readonly retryable: boolean = false;
  constructor(
    readonly result: SandboxResult,
    message: string,
    options: ScientistErrorOptions = {},
  ) {
    const tail = (result.stderrTail || result.stdoutTail).slice(-STDERR_TAIL_CHARS);
    super(tail ? `${message}\n--- stderr tail ---\n${tail}` : message, options);
  }
}

/** The wall-clock limit passed and the container was killed. */
export class TimeoutError extends SandboxError {
  readonly type = 'SandboxTimeout';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      `the run passed its ${Math.round(result.limits.timeoutMs / 1000)} s time limit and was killed. ` +
        'Make it finish sooner (fewer steps, a smaller model, honour SCIENTIST_FAST); the limit is set outside the container and cannot be changed from inside.',
      options,
    );
  }
}

/** The kernel killed the run for using more memory than its limit. */
export class OutOfMemoryError extends SandboxError {
  readonly type = 'SandboxOutOfMemory';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      `the run used more than its ${result.limits.memoryMB} MB memory limit (files in /tmp count too) and was killed. ` +
        'Use smaller batches or models, free tensors you no longer need, and do not keep whole histories in memory.',
      options,
    );
  }
}

/** The run hit the process/thread limit (fork bombs, runaway workers). */
export class PidsLimitError extends SandboxError {
  readonly type = 'SandboxPidsLimit';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      `the run reached its limit of ${result.limits.pidsLimit} processes and threads. ` +
        'Do not spawn processes in loops; use DataLoader(num_workers=0) and a fixed torch.set_num_threads().',
      options,
    );
  }
}

/** /work or /tmp filled up. */
export class DiskQuotaError extends SandboxError {
  readonly type = 'SandboxDiskQuota';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      `the run filled its disk space (/work ${result.limits.workMB || 'unlimited'} MB, /tmp ${result.limits.tmpMB} MB, /dev/shm ${shmMB(result.limits)} MB; ` +
        'a memory-mapped file that cannot grow kills the process with SIGBUS, exit 135). ' +
        'Write fewer and smaller files: keep one checkpoint and overwrite it, save figures once at the end.',
      options,
    );
  }
}

/** The run printed more than the output cap and was killed. */
export class OutputCapError extends SandboxError {
  readonly type = 'SandboxOutputCap';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      `the run printed more than ${Math.round(result.limits.outputCapBytes / 1024 / 1024)} MB and was killed. ` +
        'Print a summary every N steps instead of every step, and write bulky data to files.',
      options,
    );
  }
}

/** The run tried to use the network, which sandboxes do not have. */
export class NetworkDeniedError extends SandboxError {
  readonly type = 'SandboxNetworkDenied';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      'the run tried to reach the network; sandboxes have none. ' +
        'Use data shipped with the template or generated in code; nothing can be downloaded at run time.',
      options,
    );
  }
}

/** The code exited non-zero on its own (an exception, a failed assertion). */
export class ExitCodeError extends SandboxError {
  readonly type = 'SandboxExitCode';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      result.exitCode === null
        ? 'the sandbox ended the run; the last lines below say why.'
        : `the run exited with code ${result.exitCode}. Read the stderr tail below and fix the error it shows.`,
      options,
    );
  }
}

/**
 * The container's init (pid 1) was stopped (a ptrace attach, SIGSTOP) or gone while the container
 * stayed up: the sandbox ended the run instead of letting it hold its slot until the time limit.
 */
export class StalledError extends SandboxError {
  readonly type = 'SandboxStalled';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(
      result,
      "the run was ended early: the container's init process (pid 1) was stopped or had gone while the container stayed up, which would have held the run's slot until its time limit. " +
        'Do not ptrace, stop, signal or kill process 1 (no debuggers or tracers attached to it); let the code exit on its own.',
      options,
    );
  }
}

/** The run was cancelled (activity cancellation): the caller asked, nobody is at fault. */
export class SandboxCancelledError extends SandboxError {
  readonly type = 'SandboxCancelled';
  constructor(result: SandboxResult, options?: ScientistErrorOptions) {
    super(result, 'the run was cancelled and its container killed.', options);
  }
}

/** The Docker engine (or the host's work area) failed: not the code's fault, so retried. */
export class SandboxUnavailableError extends ScientistError {
  readonly type = 'SandboxUnavailable';
  readonly retryable = true;
}

const BY_OUTCOME: Record<
  Exclude<SandboxOutcome, 'ok'>,
  new (r: SandboxResult, o?: ScientistErrorOptions) => SandboxError
> = {
  failed: ExitCodeError,
  timeout: TimeoutError,
  oom: OutOfMemoryError,
  pids: PidsLimitError,
  disk: DiskQuotaError,
  'output-cap': OutputCapError,
  network: NetworkDeniedError,
  stalled: StalledError,
  cancelled: SandboxCancelledError,
};

/** The named error for a run that did not end `ok`; null for one that did. */
export function sandboxError(result: SandboxResult, options?: ScientistErrorOptions): SandboxError | null {
  return result.outcome === 'ok' ? null : new BY_OUTCOME[result.outcome](result, options);
}
