/**
 * What an experiment run is to the workflows and to the GPU worker alike: its input, its result,
 * how it ended, and where it ran. The sandbox and the experiment activities implement these.
 */

/**
 * How a run ended. `failed` = the code exited non-zero for its own reasons; `stalled` = the
 * container's init was stopped (ptrace, SIGSTOP) or gone while the container lingered, and the
 * sandbox ended the run instead of holding its slot until the time limit; the others name the
 * limit or event that stopped it.
 */
export type SandboxOutcome =
  'ok' | 'failed' | 'timeout' | 'oom' | 'pids' | 'disk' | 'output-cap' | 'network' | 'stalled' | 'cancelled';

/** A place one experiment can run: a GPU id, or the CPU when the host has none. */
export type GpuSlot =
  | {
      kind: 'gpu';
      deviceId: string;
      /** The GPU's CUDA compute capability (e.g. "9.0", from nvidia-smi); absent when unknown. */
      capability?: string;
    }
  | { kind: 'cpu' };

/** Relative path → content-addressed artifact key: a workspace's files. */
export type WorkspaceManifest = Record<string, string>;

/** A metric value as final_info.json holds it (NaN/Infinity arrive as strings, see final-info.ts). */
export type MetricValue = number | string | boolean | null;

/** A run's final_info.json: per dataset or condition, `means` of metrics and optional `stderrs`. */
export type FinalInfo = Record<
  string,
  { means: Record<string, MetricValue>; stderrs?: Record<string, MetricValue>; [field: string]: unknown }
>;

export interface RunExperimentInput {
  paperId: string;
  /** `run_0` (the baseline) … `run_N`: the out dir, as in the AI Scientist layout. */
  runName: string;
  templateName: string;
  /** Relative path → artifact key; must hold `experiment.py`. Earlier runs' results may ride along. */
  workspace: WorkspaceManifest;
  /** Sets SCIENTIST_FAST=1 in the container: the template's small, quick configuration. */
  fast?: boolean;
  /** Wall-clock limit of the run; default SCIENTIST_SANDBOX_TIMEOUT_S. */
  timeoutMs?: number;
  /**
   * A repeat of `runName` with another seed (1, 2, …; absent or 0: the run itself): sets
   * SCIENTIST_SEED in the container, keeps its artifacts apart, and does not give the code the
   * run's own earlier out dir (a checkpoint there would resume the finished run).
   */
  seed?: number;
}

export interface RunExperimentResult {
  runName: string;
  outcome: SandboxOutcome;
  exitCode: number | null;
  durationMs: number;
  /** final_info.json itself when small (≤ 16 KB); always at `finalInfoKey`. */
  finalInfo: FinalInfo | null;
  finalInfoKey: string;
  /** `<dataset>.<metric>` → mean. */
  metrics: Record<string, number>;
  logKey: string;
  /** Relative path (e.g. `run_1/final_info.json`) → key. */
  outputKeys: Record<string, string>;
  /** The step a restored checkpoint let the run resume from; null when it started fresh. */
  resumedFromStep: number | null;
  /** GPU device id, or null on CPU. */
  gpu: string | null;
  /** The run's reproducibility manifest (measured, see RunManifest); also at `<runName>/reproducibility.json` in outputKeys. */
  manifestKey?: string;
}

/**
 * What a run ran on and with, measured by code on the worker and inside the image, never
 * written by a model: the write-up's setup table and the claim check read it.
 */
export interface RunManifest {
  runName: string;
  device: {
    kind: 'gpu' | 'cpu';
    /** /proc/cpuinfo "model name" of the worker, and its logical core count. */
    cpuModel: string;
    cpuCores: number;
    /** From nvidia-smi on a GPU worker; absent on CPU. */
    gpu?: { name: string; memoryMiB: number; driver: string; cuda: string };
  };
  image: {
    name: string;
    /** The image id (sha256:…), and its registry digest where it has one. */
    id: string;
    digest?: string;
    python: string;
    torch: string;
    numpy: string;
    /** torch.version.cuda inside the image; null for a CPU-only build. */
    torchCuda: string | null;
  };
  code: {
    /** sha256 of experiment.py as it ran, and of all of the run's .py files (path-sorted). */
    experimentSha256: string;
    workspaceSha256: string;
  };
  /** Seeds final_info.json names (keys `seed`/`seeds` at any depth); empty when it names none. */
  seeds: number[];
  command: string[];
  /** Wall time of the container, and device time: GPU-seconds on a GPU, core-seconds (CPU quota × wall) on a CPU. */
  wallSeconds: number;
  deviceSeconds: number;
  /** Parameter count and training FLOPs where final_info.json reports them (`n_params`, `flops`…). */
  params?: number;
  flops?: number;
}

/** What a failure carries (ApplicationFailure details): enough for the coding model to fix the code. */
export interface ExperimentFailureDetails {
  runName: string;
  outcome: SandboxOutcome;
  exitCode: number | null;
  durationMs: number;
  stderrTail: string;
  logKey: string;
}

export interface BaselineInput {
  templateName: string;
  /** The unmodified template's files (path → key). */
  workspace: WorkspaceManifest;
  fast?: boolean;
  timeoutMs?: number;
  /** A repeat with another seed (see RunExperimentInput.seed); cached apart from seed 0. */
  seed?: number;
}

export interface BaselineResult extends RunExperimentResult {
  /** True when an earlier run of the same template code and flags was reused. */
  cached: boolean;
  /** Hash of the template files + fast flag: the cache entry's name. */
  baselineHash: string;
}

/**
 * Workflows pass a workspace by its key in the store (a content-addressed manifest, see
 * activities/workspace) to keep history small; callers that hold the manifest pass it as is.
 */
export type WithWorkspaceKey<T extends { workspace: WorkspaceManifest }> = Omit<T, 'workspace'> & {
  workspace: WorkspaceManifest | string;
};
