/**
 * One experiment run, as a plain function: fetch the workspace, run
 * `python3 experiment.py --out_dir <runName>` in the sandbox, stream progress, keep checkpoints
 * in the store for resume, then validate final_info.json and store the outputs. The activity in
 * ./index.ts adapts it to Temporal (heartbeats, retries).
 */
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../lib/config';
import { InvalidInputError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { artifactKey, type ArtifactStore } from '../../lib/store';
import {
  createHostFolder,
  removeHostFolder,
  sandboxError,
  sandboxLimits,
  STDERR_TAIL_CHARS,
  type SandboxResult,
  type SandboxRunner,
} from '../../sandbox';
import type {
  ExperimentFailureDetails,
  GpuSlot,
  RunExperimentInput,
  RunExperimentResult,
} from '../../contracts';
import {
  FINAL_INFO_INLINE_BYTES,
  FINAL_INFO_MAX_BYTES,
  flattenMetrics,
  parseFinalInfo,
  tooLarge,
  InvalidFinalInfoError,
} from './final-info';
import { boundedResult, ExperimentResultTooLargeError } from './result-bounds';
import { ProgressTracker } from './progress';
import { fetchWorkspace } from './workspace';
import { fastModeOf, TEMPLATE_MANIFEST_FILE } from './template-manifest';
import { runImage } from './run-image';
import { templateData } from './template-data';
import { MANIFEST_FILE, runManifest } from '../integrity/manifest';

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
const OUTPUT_PATH_MAX_CHARS = 200;
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
  const seed = input.seed && input.seed > 0 ? input.seed : undefined;
  const root =
    env.keyRoot ??
    artifactKey('papers', input.paperId, 'experiments', input.runName, ...(seed ? [`seed-${seed}`] : []));
  // A repeat with another seed starts clean: the run's own out dir (results, a checkpoint) stays out.
  const workspace = seed
    ? Object.fromEntries(Object.entries(input.workspace).filter(([p]) => !p.startsWith(`${input.runName}/`)))
    : input.workspace;
  const key = (...rest: string[]) => `${root}/${artifactKey(...rest)}`;
  const checkpointKey = key(CHECKPOINT);

  // Private to the worker (0700), fresh per run, removed after: nobody can plant links in it.
  const dir = await createHostFolder(path.join(config.dataDir, 'experiments'), `${input.runName}-`);
  try {
    // Data folders (template.json `data`) are mounted read-only from a worker cache, not copied.
    const data = await templateData(env, workspace);
    await fetchWorkspace(store, data.copied, dir);
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
    // With a requirements.txt: the derived image, built here on first use (run-image.ts).
    const image = await runImage({ config, store, log }, dir);
    // The fast mode: SCIENTIST_FAST=1, plus what template.json's "fast" adds (arguments, settings).
    const fast = fastModeOf(
      input.fast
        ? await readFile(path.join(dir, TEMPLATE_MANIFEST_FILE), 'utf8').catch(() => undefined)
        : undefined,
    );
    const command = ['python3', 'experiment.py', '--out_dir', input.runName, ...fast.args];
    const runtime = gpu ? 'runc' : config.sandbox.runtime;
    // The code as it ran, hashed for the manifest (read before the run can change it).
    const code: Record<string, Buffer> = {};
    for (const rel of Object.keys(data.copied).filter((p) => p.endsWith('.py')))
      code[rel] = await readFile(path.join(dir, ...rel.split('/')));
    const result = await sandbox.run({
      runId: `${root}-a${env.attempt}`.replace(/\//g, '-'),
      image,
      command,
      workDir: dir,
      env: {
        SCIENTIST_CHECKPOINT_EVERY: String(config.sandbox.checkpointEvery),
        ...(input.fast ? { ...fast.env, SCIENTIST_FAST: '1' } : {}),
        ...(seed ? { SCIENTIST_SEED: String(seed) } : {}),
      },
      limits,
      runtime,
      gpuDeviceIds: gpu ? [gpu] : undefined,
      readOnlyDirs: data.mounts,
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
    const details = (stderrTail: string): ExperimentFailureDetails => ({
      runName: input.runName,
      outcome: result.outcome,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      stderrTail: stderrTail.slice(-STDERR_TAIL_CHARS),
      logKey,
    });
    const failure = sandboxError(result, { details: details(result.stderrTail || result.stdoutTail) });
    if (failure) throw failure;
    try {
      const collected = await collectResult({
        store,
        log,
        dir,
        runName: input.runName,
        result,
        key,
        logKey,
        resumedFromStep,
        gpu,
      });
      // Measured by code after the run; it replaces any file of that name the run's code wrote.
      const manifest = await runManifest(env, {
        runName: input.runName,
        slot: env.slot,
        image,
        runtime,
        command: [
          ...command,
          ...(input.fast ? ['(SCIENTIST_FAST=1)'] : []),
          ...(seed ? [`(SCIENTIST_SEED=${seed})`] : []),
        ],
        durationMs: result.durationMs,
        cpuQuota: limits.cpus,
        code,
        finalInfo:
          collected.finalInfo ??
          parseFinalInfo(await store.getText(collected.finalInfoKey), `${input.runName}/final_info.json`),
      });
      const manifestKey = (await store.putJson(key(MANIFEST_FILE), manifest)).key;
      return boundedResult({
        ...collected,
        manifestKey,
        outputKeys: { ...collected.outputKeys, [`${input.runName}/${MANIFEST_FILE}`]: manifestKey },
      });
    } catch (err) {
      // What the code left is at fault: back to the model as a failed run, with its stored log.
      if (err instanceof InvalidFinalInfoError)
        throw new InvalidFinalInfoError(err.message, {
          cause: err,
          details: { ...details(err.message), outcome: 'failed' },
        });
      if (err instanceof ExperimentResultTooLargeError)
        throw new ExperimentResultTooLargeError(err.message, {
          cause: err,
          details: { ...details(err.message), outcome: 'failed' },
        });
      throw err;
    }
  } finally {
    await removeHostFolder(dir);
  }
}

/**
 * The run's result from what it left in the host folder: final_info.json (bounded, validated),
 * its outputs in the store, and the one size check (boundedResult).
 */
async function collectResult(run: {
  store: ArtifactStore;
  log: Logger;
  dir: string;
  runName: string;
  result: SandboxResult;
  key: (...rest: string[]) => string;
  logKey: string;
  resumedFromStep: number | null;
  gpu: string | null;
}): Promise<RunExperimentResult> {
  const { store, log, dir, runName, result, key } = run;
  // The folder is the worker's own after the run (the runner copied back by handle, 0700).
  const infoRel = `${runName}/final_info.json`;
  const infoPath = path.join(dir, runName, 'final_info.json');
  const infoStat = await lstat(infoPath).catch(() => null);
  if (!infoStat?.isFile()) throw missingFinalInfo(runName, result.skipped);
  if (infoStat.size > FINAL_INFO_MAX_BYTES) throw tooLarge(infoRel, infoStat.size);
  const infoText = await readFile(infoPath, 'utf8');
  const finalInfo = parseFinalInfo(infoText, infoRel);
  const outputKeys = await storeOutputs(store, dir, runName, result.collected, key, log);
  const finalInfoKey = outputKeys[infoRel] ?? (await store.put(key('final_info.json'), infoText)).key;
  return boundedResult({
    runName,
    outcome: result.outcome,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    finalInfo: infoStat.size <= FINAL_INFO_INLINE_BYTES ? finalInfo : null,
    finalInfoKey,
    metrics: flattenMetrics(finalInfo),
    logKey: run.logKey,
    outputKeys,
    resumedFromStep: run.resumedFromStep,
    gpu: run.gpu,
  });
}

/** No final_info.json came back: say whether the code never wrote it or it was left behind. */
function missingFinalInfo(runName: string, skipped: string[]): InvalidFinalInfoError {
  const rel = `${runName}/final_info.json`;
  const why = skipped.includes(rel)
    ? `${rel} was not copied back (over the collect budget, or not a regular file: the log says which)`
    : skipped.includes(runName)
      ? `the out dir ${runName} was replaced by a file`
      : `experiment.py exited 0 but wrote no ${rel}`;
  return new InvalidFinalInfoError(
    `${why}; it must write its metrics there as a regular file (json.dump to os.path.join(out_dir, "final_info.json"))`,
  );
}

/** Stores the run's out-dir files (not the checkpoint), within size, count and name limits. */
async function storeOutputs(
  store: ArtifactStore,
  dir: string,
  runName: string,
  collected: { path: string; bytes: number }[],
  key: (...rest: string[]) => string,
  log: Logger,
): Promise<Record<string, string>> {
  const keysByPath: Record<string, string> = {};
  // Collected paths are `/`-separated relative paths (sandbox/collect.ts).
  const mine = collected.filter(
    (f) => f.path.startsWith(`${runName}/`) && path.posix.basename(f.path) !== CHECKPOINT,
  );
  for (const f of mine.slice(0, OUTPUT_MAX_FILES)) {
    const segments = f.path.split('/').slice(1);
    if (
      f.bytes > OUTPUT_FILE_MAX_BYTES ||
      f.path.length > OUTPUT_PATH_MAX_CHARS ||
      !segments.every((s) => SAFE_SEGMENT.test(s) && !s.includes('..'))
    ) {
      log.warn('output not stored', { file: f.path.slice(0, OUTPUT_PATH_MAX_CHARS), bytes: f.bytes });
      continue;
    }
    keysByPath[f.path] = (
      await store.put(key('outputs', ...segments), await readFile(path.join(dir, ...f.path.split('/'))))
    ).key;
  }
  if (mine.length > OUTPUT_MAX_FILES)
    log.warn('too many outputs; kept the smallest', { kept: OUTPUT_MAX_FILES, found: mine.length });
  return keysByPath;
}
