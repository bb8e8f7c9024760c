/**
 * Experiment activities, served on the GPU task queue: `runExperiment` (one run of LLM-edited
 * code, resumable from its last checkpoint) and `runBaseline` (run_0 of an unmodified template,
 * computed once per template code and fast flag, then served from the store).
 */
import { Context } from '@temporalio/activity';
import { classified, InvalidInputError } from '../../lib/errors';
import { SandboxError } from '../../sandbox';
import type { ActivityDeps } from '../deps';
import { workspaceManifest } from '../workspace';
import type { WorkspaceManifest } from './workspace';
import type {
  BaselineInput,
  BaselineResult,
  GpuPorts,
  RunExperimentInput,
  RunExperimentResult,
  WithWorkspaceKey,
} from '../../contracts';
import { baselineHash, baselineRoot, cachedBaseline, saveBaseline } from './baseline';
import { runExperimentOnce, type ExperimentHeartbeat } from './run-experiment';
import { discoverGpuSlots, needsGpuMessage, SlotPool } from './slots';
import { reportProgress } from '../keepalive';

export type {
  BaselineInput,
  BaselineResult,
  ExperimentFailureDetails,
  RunExperimentInput,
  RunExperimentResult,
  WithWorkspaceKey,
} from '../../contracts';
export {
  FinalInfoSchema,
  flattenMetrics,
  parseFinalInfo,
  parsePythonJson,
  InvalidFinalInfoError,
  type FinalInfo,
} from './final-info';
export { ProgressTracker, type Progress } from './progress';
export { runExperimentOnce, type ExperimentEnv, type ExperimentHeartbeat } from './run-experiment';
export { discoverGpuSlots, needsGpuMessage, SlotPool } from './slots';
export { checkManifest, workspaceHash, type WorkspaceManifest } from './workspace';

export function createExperimentActivities(deps: ActivityDeps): GpuPorts {
  const resolveWorkspace = async <T extends { workspace: WorkspaceManifest | string }>(i: T) =>
    typeof i.workspace === 'string'
      ? { ...i, workspace: await workspaceManifest(deps.store, i.workspace) }
      : { ...i, workspace: i.workspace };

  // One pool per worker: at most one experiment per GPU (CPU mode: SCIENTIST_CPU_SLOTS slots).
  const pool = new SlotPool(() => discoverGpuSlots(deps.config));

  /** `baseline`: the unmodified template runs; code that needs CUDA on a CPU slot is told so. */
  async function run(
    input: RunExperimentInput,
    keyRoot?: string,
    baseline = false,
  ): Promise<RunExperimentResult> {
    const ctx = Context.current();
    const { slot, release } = await pool.acquire();
    try {
      return await runExperimentOnceOrCancelled(
        {
          ...deps,
          slot,
          attempt: ctx.info.attempt,
          resumeFrom: ctx.info.heartbeatDetails as ExperimentHeartbeat | undefined,
          reportProgress,
          signal: ctx.cancellationSignal,
          keyRoot,
        },
        input,
      );
    } catch (err) {
      const gpu =
        baseline && err instanceof SandboxError
          ? needsGpuMessage(input.templateName, slot, err.message, deps.config.temporal.gpuTaskQueue)
          : undefined;
      if (!gpu) throw err;
      const details = (err as SandboxError).details as Record<string, unknown> | undefined;
      throw new InvalidInputError(`${gpu}\n${(err as SandboxError).message}`, {
        cause: err,
        // The message last: the paper's reason keeps the tail's end.
        details: {
          ...details,
          stderrTail: `${(typeof details?.stderrTail === 'string' ? details.stderrTail : '').slice(-1500)}\n${gpu}`,
        },
      });
    } finally {
      release();
    }
  }

  /** A cancelled activity reports Temporal's cancellation, not the killed container's outcome. */
  async function runExperimentOnceOrCancelled(
    ...args: Parameters<typeof runExperimentOnce>
  ): Promise<RunExperimentResult> {
    const signal = args[0].signal;
    try {
      return await runExperimentOnce(...args);
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      throw err;
    }
  }

  return {
    /**
     * Runs `python3 experiment.py --out_dir <runName>` in the sandbox. Code failures (exit ≠ 0,
     * OOM, timeout, limits, bad final_info.json) fail non-retryably with the stderr tail in the
     * message and details; Docker or store outages are retried. Heartbeats carry progress and
     * the last checkpoint's key, from which a retry resumes.
     */
    async runExperiment(input: WithWorkspaceKey<RunExperimentInput>): Promise<RunExperimentResult> {
      return classified(async () => run(await resolveWorkspace(input)));
    },

    /** run_0 of an unmodified template: from the cache when this code and flag ran before. */
    async runBaseline(request: WithWorkspaceKey<BaselineInput>): Promise<BaselineResult> {
      return classified(async () => {
        const input = await resolveWorkspace(request);
        const hash = await baselineHash(deps.store, input);
        const hit = await cachedBaseline(deps.store, hash);
        if (hit) return { ...hit, cached: true, baselineHash: hash };
        const result = await run(
          {
            paperId: 'baseline',
            runName: 'run_0',
            templateName: input.templateName,
            workspace: input.workspace,
            fast: input.fast,
            timeoutMs: input.timeoutMs,
            ...(input.seed ? { seed: input.seed } : {}),
          },
          baselineRoot(hash),
          true,
        );
        await saveBaseline(deps.store, hash, result);
        return { ...result, cached: false, baselineHash: hash };
      });
    },
  };
}

export type ExperimentActivities = GpuPorts;
