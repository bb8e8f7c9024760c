/**
 * The sandbox contract: run a command in a locked-down container over its own size-limited work
 * area, with every limit enforced from outside the code that runs.
 */
import type { SandboxOutcome } from '../contracts';

export interface SandboxLimits {
  /** Memory limit; swap is disabled (memory+swap = memory). SCIENTIST_SANDBOX_MEMORY_MB, default 4096. */
  memoryMB: number;
  /** CPU quota in cores (e.g. 1.5). SCIENTIST_SANDBOX_CPUS, default 2. */
  cpus: number;
  /** Process and thread limit (fork bombs stop here). SCIENTIST_SANDBOX_PIDS_LIMIT, default 256. */
  pidsLimit: number;
  /** Wall-clock limit; the runner kills the container when it passes. SCIENTIST_SANDBOX_TIMEOUT_S, default 7200 s. */
  timeoutMs: number;
  /** Size of the writable tmpfs /tmp (counts against memory). SCIENTIST_SANDBOX_TMP_MB, default 512. */
  tmpMB: number;
  /** Size of the writable /work area; 0 = unlimited plain folder. SCIENTIST_SANDBOX_WORK_MB, default 2048. */
  workMB: number;
  /** Stdout+stderr bytes kept before the run is killed for flooding its log. SCIENTIST_SANDBOX_OUTPUT_CAP_MB, default 16 MB. */
  outputCapBytes: number;
  /** Bytes of files copied back out of /work after the run. SCIENTIST_SANDBOX_COLLECT_MB, default 256 MB. */
  collectBytes: number;
}

/** The OCI runtime: runc (default; the only one with GPUs) or gVisor's runsc (a user-space kernel). */
export type SandboxRuntime = 'runc' | 'runsc';

export interface SandboxRunSpec {
  /** Names the container and labels it; unique per attempt (e.g. workflow id + step + attempt). */
  runId: string;
  image: string;
  command: string[];
  /**
   * Host folder: its files are copied into the container's /work before the start, and /work's
   * regular files are copied back into it after the run (up to `limits.collectBytes` and
   * COLLECT_CAPS, by handle: see sandbox/collect.ts). The container never sees this folder
   * itself. It must be owned by the worker (make it with createHostFolder); the runner makes it
   * 0700 and removes from it whatever is not the worker's regular files and folders (links,
   * special files, other users' entries) before and after the run.
   */
  workDir: string;
  /** Plain settings only: the runner refuses names that look like secrets. */
  env?: Record<string, string>;
  limits: SandboxLimits;
  runtime?: SandboxRuntime;
  /** GPU device ids to expose (NVIDIA runtime); none = CPU only. */
  gpuDeviceIds?: string[];
  /**
   * Host folders mounted read-only inside /work (a template's data folders, e.g. /work/data):
   * the code reads them where it expects them, cannot change them, and they are never copied
   * in or back. Each must be readable by the sandbox user; `containerPath` must be under /work/.
   */
  readOnlyDirs?: { hostPath: string; containerPath: string }[];
  /** Receives output as it arrives (heartbeats show its tail). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /**
   * Called about every `tickMs` while the process runs, with a read-only view of the live work
   * area (e.g. to upload a new checkpoint). Errors it throws are logged, not fatal.
   */
  onTick?: (live: LiveWorkArea) => Promise<void>;
  /** Interval of `onTick`; default 2000 ms. */
  tickMs?: number;
  /** Aborting kills the container (activity cancellation). */
  signal?: AbortSignal;
}

/** The work area while the container runs; reads never follow links the code may have planted. */
export interface LiveWorkArea {
  /** Size and modification time of a regular file under /work, or null (missing, not a regular file). */
  stat(relPath: string): Promise<{ bytes: number; mtimeMs: number } | null>;
  /** The bytes of a regular file under /work, refusing links and files above `maxBytes`. */
  read(relPath: string, maxBytes: number): Promise<Buffer | null>;
}

export type { SandboxOutcome };

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
  /** Files copied back into `workDir` (relative paths, bytes). */
  collected: { path: string; bytes: number }[];
  /**
   * Files left behind (the first SKIPPED_LISTED): over the collect budget or caps, links, special
   * files, names that are not UTF-8 text, paths too long or deep. The log lists each with its reason.
   */
  skipped: string[];
  /** The limits the run had, so error messages can name them. */
  limits: SandboxLimits;
}

export interface SandboxRunner {
  run(spec: SandboxRunSpec): Promise<SandboxResult>;
  /** The image's id (sha256:…) and registry digest where it has one (reproducibility manifests). */
  describeImage?(image: string): Promise<{ id: string; digest?: string }>;
  /** Removes sandbox containers and work areas that a crashed worker left behind; returns how many. */
  reapOrphans(): Promise<number>;
}
