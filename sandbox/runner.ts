/**
 * The sandbox contract: run a command in a locked-down container over one host work folder,
 * with every limit enforced from outside the code that runs.
 */

export interface SandboxLimits {
  /** Memory limit; swap is disabled (memory+swap = memory). */
  memoryMB: number;
  /** CPU quota in cores (e.g. 1.5). */
  cpus: number;
  /** Process and thread limit (fork bombs stop here). */
  pidsLimit: number;
  /** Wall-clock limit; the runner kills the container when it passes. */
  timeoutMs: number;
  /** Size of the writable tmpfs /tmp. */
  tmpMB: number;
  /** Stdout+stderr bytes kept before the run is killed for flooding its log. */
  outputCapBytes: number;
}

export interface SandboxRunSpec {
  /** Names the container and labels it; unique per attempt (e.g. workflow id + step + attempt). */
  runId: string;
  image: string;
  command: string[];
  /** Host folder mounted read-write at /work (the only host path the container sees). */
  workDir: string;
  /** Plain settings only: the runner refuses names that look like secrets. */
  env?: Record<string, string>;
  limits: SandboxLimits;
  /** GPU device ids to expose (NVIDIA runtime); none = CPU only. */
  gpuDeviceIds?: string[];
  /** Receives output as it arrives (heartbeats show its tail). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Aborting kills the container (activity cancellation). */
  signal?: AbortSignal;
}

export type SandboxOutcome = 'ok' | 'failed' | 'timeout' | 'oom' | 'output-cap' | 'cancelled';

export interface SandboxResult {
  outcome: SandboxOutcome;
  /** The process's exit code; null when it was killed before it exited by itself. */
  exitCode: number | null;
  durationMs: number;
  /** The last bytes of each stream (about 4 KB). */
  stdoutTail: string;
  stderrTail: string;
  /** The whole interleaved log, up to the output cap. */
  log: string;
  /** Time from container start to its first output byte; null if it printed nothing. */
  firstOutputMs: number | null;
}

export interface SandboxRunner {
  run(spec: SandboxRunSpec): Promise<SandboxResult>;
  /** Removes sandbox containers that a crashed worker left behind; returns how many. */
  reapOrphans(): Promise<number>;
}
