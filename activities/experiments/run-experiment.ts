/**
 * One experiment run, as a plain function: fetch the workspace, run
 * `python3 experiment.py --out_dir <runName>` in the sandbox, stream progress, keep checkpoints
 * in the store for resume, then validate final_info.json and store the outputs. The activity in
 * ./index.ts adapts it to Temporal (heartbeats, retries).
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../lib/config';
import { InvalidInputError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { artifactKey, type ArtifactStore } from '../../lib/store';
import {
  sandboxError,
  sandboxImage,
  sandboxLimits,
  STDERR_TAIL_CHARS,
  type SandboxOutcome,
  type SandboxRunner,
} from '../../sandbox';
import type { GpuSlot } from '../../workers/gpus';
import {
  FINAL_INFO_INLINE_BYTES,
  flattenMetrics,
  parseFinalInfo,
  InvalidFinalInfoError,
  type FinalInfo,
} from './final-info';
import { ProgressTracker } from './progress';
import { fetchWorkspace, type WorkspaceManifest } from './workspace';

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
}

/** What a training run heartbeats; the next attempt reads it back to resume. */
export interface ExperimentHeartbeat {
  step?: number;
  total?: number;
  loss?: number;
  checkpointKey?: string;
  checkpointStep?: number;
  /** The last few hundred characters of output. */
  tail?: string;
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

export interface ExperimentEnv {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  log: Logger;
  slot: GpuSlot;
  attempt: number;
  /** Last heartbeat of the previous attempt, if any. */
  resumeFrom?: ExperimentHeartbeat;
  reportProgress(details: ExperimentHeartbeat): void;
  signal?: AbortSignal;
  /** Where this run's artifacts go: defaults to papers/<paperId>/experiments/<runName>/… */
  keyRoot?: string;
}

const RUN_NAME = /^run_\d{1,4}$/;
const CHECKPOINT = 'checkpoint.pt';
const HEARTBEAT_TAIL_CHARS = 600;
/** Outputs stored per run: single file and count limits (checkpoints go separately). */
const OUTPUT_FILE_MAX_BYTES = 20 * 1024 * 1024;
const OUTPUT_MAX_FILES = 200;
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=-]*$/;

/** Runs one experiment end to end; throws a SandboxError subclass when the code failed. */
export async function runExperimentOnce(
  env: ExperimentEnv,
  input: RunExperimentInput,
): Promise<RunExperimentResult> {
  const { config, store, sandbox, log } = env;
  if (!RUN_NAME.test(input.runName))
    throw new InvalidInputError(`runName must look like run_0, run_1, …; got "${input.runName}"`);
  if (!input.workspace['experiment.py']) throw new InvalidInputError('the workspace has no experiment.py');
  const root = env.keyRoot ?? artifactKey('papers', input.paperId, 'experiments', input.runName);
  const key = (...rest: string[]) => `${root}/${artifactKey(...rest)}`;
  const checkpointKey = key(CHECKPOINT);

  const hostRoot = path.join(config.dataDir, 'experiments');
  await mkdir(hostRoot, { recursive: true });
  const dir = await mkdtemp(path.join(hostRoot, `${input.runName}-`));
  try {
    await fetchWorkspace(store, input.workspace, dir);
    const outDir = path.join(dir, input.runName);
    await mkdir(outDir, { recursive: true });

    // Resume: a previous attempt heartbeated a checkpoint; put it where the template looks.
    let restoredStep: number | undefined;
    if (env.resumeFrom?.checkpointKey) {
      await writeFile(path.join(outDir, CHECKPOINT), await store.get(env.resumeFrom.checkpointKey));
      restoredStep = env.resumeFrom.checkpointStep;
      log.info('restored checkpoint', {
        run: input.runName,
        key: env.resumeFrom.checkpointKey,
        step: restoredStep,
      });
    }

    const tracker = new ProgressTracker();
    let tail = '';
    let uploaded = env.resumeFrom?.checkpointKey
      ? { key: env.resumeFrom.checkpointKey, step: restoredStep }
      : undefined;
    let lastSeen: { bytes: number; mtimeMs: number } | null = null;
    const beat = () =>
      env.reportProgress({
        ...tracker.progress,
        checkpointKey: uploaded?.key,
        checkpointStep: uploaded?.step,
        tail: tail.slice(-HEARTBEAT_TAIL_CHARS),
      });
    beat();

    const gpu = env.slot.kind === 'gpu' ? env.slot.deviceId : null;
    const limits = sandboxLimits(config, input.timeoutMs ? { timeoutMs: input.timeoutMs } : {});
    const checkpointMaxBytes = config.sandbox.checkpointMaxMB * 1024 * 1024;
    const result = await sandbox.run({
      runId: `${root}-a${env.attempt}`.replace(/\//g, '-'),
      image: sandboxImage(config),
      command: ['python3', 'experiment.py', '--out_dir', input.runName],
      workDir: dir,
      env: {
        SCIENTIST_CHECKPOINT_EVERY: String(config.sandbox.checkpointEvery),
        ...(input.fast ? { SCIENTIST_FAST: '1' } : {}),
      },
      limits,
      runtime: gpu ? 'runc' : config.sandbox.runtime,
      gpuDeviceIds: gpu ? [gpu] : undefined,
      signal: env.signal,
      onOutput: (_stream, text) => {
        tracker.add(text);
        tail = (tail + text).slice(-HEARTBEAT_TAIL_CHARS * 2);
      },
      onTick: async (live) => {
        // A new checkpoint (templates write it atomically: temp file + rename) goes to the store.
        const rel = `${input.runName}/${CHECKPOINT}`;
        const seen = await live.stat(rel);
        if (seen && (seen.bytes !== lastSeen?.bytes || seen.mtimeMs !== lastSeen.mtimeMs)) {
          lastSeen = seen;
          if (seen.bytes > checkpointMaxBytes) {
            log.warn('checkpoint too large to keep', {
              run: input.runName,
              bytes: seen.bytes,
              maxMB: config.sandbox.checkpointMaxMB,
            });
          } else {
            const bytes = await live.read(rel, checkpointMaxBytes);
            if (bytes) {
              const step = tracker.progress.step;
              await store.put(checkpointKey, bytes);
              uploaded = { key: checkpointKey, step };
            }
          }
        }
        beat();
      },
    });

    const logKey = (
      await store.put(key(`attempt-${env.attempt}.log`), result.log, { contentType: 'text/plain' })
    ).key;
    const resumedFromStep = tracker.progress.resumedStep ?? null;
    const failure = sandboxError(result, {
      details: {
        runName: input.runName,
        outcome: result.outcome,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        stderrTail: (result.stderrTail || result.stdoutTail).slice(-STDERR_TAIL_CHARS),
        logKey,
      } satisfies ExperimentFailureDetails,
    });
    if (failure) throw failure;

    const infoPath = path.join(outDir, 'final_info.json');
    const infoText = await readFile(infoPath, 'utf8').catch(() => {
      throw new InvalidFinalInfoError(
        `experiment.py exited 0 but wrote no ${input.runName}/final_info.json; it must write its metrics there (json.dump to os.path.join(out_dir, "final_info.json"))`,
      );
    });
    const finalInfo = parseFinalInfo(infoText, `${input.runName}/final_info.json`);
    const outputKeys = await storeOutputs(store, dir, input.runName, result.collected, key, log);
    const finalInfoKey =
      outputKeys[`${input.runName}/final_info.json`] ??
      (await store.put(key('final_info.json'), infoText)).key;
    return {
      runName: input.runName,
      outcome: result.outcome,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      finalInfo: (await stat(infoPath)).size <= FINAL_INFO_INLINE_BYTES ? finalInfo : null,
      finalInfoKey,
      metrics: flattenMetrics(finalInfo),
      logKey,
      outputKeys,
      resumedFromStep,
      gpu,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Stores the run's out-dir files (not the checkpoint), within size and count limits. */
async function storeOutputs(
  store: ArtifactStore,
  dir: string,
  runName: string,
  collected: { path: string; bytes: number }[],
  key: (...rest: string[]) => string,
  log: Logger,
): Promise<Record<string, string>> {
  const keysByPath: Record<string, string> = {};
  const mine = collected.filter(
    (f) => f.path.startsWith(`${runName}${path.sep}`) && path.basename(f.path) !== CHECKPOINT,
  );
  for (const f of mine.slice(0, OUTPUT_MAX_FILES)) {
    const segments = f.path.split(path.sep).slice(1);
    if (
      f.bytes > OUTPUT_FILE_MAX_BYTES ||
      !segments.every((s) => SAFE_SEGMENT.test(s) && !s.includes('..'))
    ) {
      log.warn('output not stored', { file: f.path, bytes: f.bytes });
      continue;
    }
    keysByPath[f.path.split(path.sep).join('/')] = (
      await store.put(key('outputs', ...segments), await readFile(path.join(dir, f.path)))
    ).key;
  }
  if (mine.length > OUTPUT_MAX_FILES)
    log.warn('too many outputs; kept the smallest', { kept: OUTPUT_MAX_FILES, found: mine.length });
  return keysByPath;
}
