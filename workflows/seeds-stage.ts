/**
 * Seeds for the noise gate, at the end of the experiments stage: the baseline (run_0) and the
 * final variant (the last run that worked) run again with seeds 1 … K−1, all at once on the GPU
 * queue; each run's repeats are merged into its final_info.json (means over the seeds and the
 * per-seed values), which the results table, the claim check and the gate read. A repeat whose
 * code fails is left out and said so; the run keeps the seeds that worked.
 * Workflow code: it only decides; the activities (activities/experiments, activities/integrity) do the work.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Degradation, GpuPorts, MainPorts, RunExperimentResult, WorkspaceKey } from '../contracts';

type SeedGpuPorts = Pick<GpuPorts, 'runExperiment' | 'runBaseline'>;
type SeedMainPorts = Pick<MainPorts, 'recordSeeds'>;

/** How the paper starts an activity: a step name for the UI, the activity, its input. */
export type StartSeedGpu = <K extends keyof SeedGpuPorts>(
  step: string,
  name: K,
  arg: Parameters<SeedGpuPorts[K]>[0],
) => Promise<Awaited<ReturnType<SeedGpuPorts[K]>>>;
export type StartSeedMain = <K extends keyof SeedMainPorts>(
  step: string,
  name: K,
  arg: Parameters<SeedMainPorts[K]>[0],
) => Promise<Awaited<ReturnType<SeedMainPorts[K]>>>;

export interface SeedRunsInput {
  paperId: string;
  templateName: string;
  fast: boolean;
  /** K: seeds per run, seed 0 (the run itself) included. */
  seeds: number;
  /** The unmodified template's workspace, as the baseline ran it (the baseline cache serves its repeats). */
  baselineWorkspace: WorkspaceKey;
  /** The paper's workspace now: the final variant's code and every run's results. */
  workspace: WorkspaceKey;
  /** The final variant (`run_N`, N > 0), or undefined when only the baseline ran. */
  variant?: string;
}

export interface SeedRunsHooks {
  /** A repeat's log, for the artifacts list. */
  ran(name: string, logKey: string): void;
  degraded(d: Degradation): void;
}

export async function seedRuns(
  callGpu: StartSeedGpu,
  call: StartSeedMain,
  input: SeedRunsInput,
  hooks: SeedRunsHooks,
): Promise<WorkspaceKey> {
  const { paperId, seeds: k } = input;
  const targets = ['run_0', ...(input.variant ? [input.variant] : [])];
  const repeat = async (runName: string, seed: number): Promise<RunExperimentResult | string> => {
    const step = `${runName} seed ${seed + 1}/${k}: train`;
    try {
      return runName === 'run_0'
        ? await callGpu(step, 'runBaseline', {
            templateName: input.templateName,
            workspace: input.baselineWorkspace,
            fast: input.fast,
            seed,
          })
        : await callGpu(step, 'runExperiment', {
            paperId,
            runName,
            templateName: input.templateName,
            workspace: input.workspace,
            fast: input.fast,
            seed,
          });
    } catch (err) {
      // The code at fault for this seed (exit ≠ 0, OOM, timeout): the run keeps its other seeds.
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable)
        return `${runName} seed ${seed}: ${err.cause.message.slice(0, 200)}`;
      throw err;
    }
  };
  const results = await Promise.all(
    targets.map((runName) => Promise.all(Array.from({ length: k - 1 }, (_, i) => repeat(runName, i + 1)))),
  );
  let ws = input.workspace;
  for (const [i, runName] of targets.entries()) {
    const done = results[i]!.filter((r): r is RunExperimentResult => typeof r !== 'string');
    const failed = results[i]!.filter((r): r is string => typeof r === 'string');
    done.forEach((r, j) => hooks.ran(`${runName}/seed-${j + 1}`, r.logKey));
    if (failed.length)
      hooks.degraded({
        part: `seeds of ${runName}`,
        reason: `${failed.length} of ${k - 1} repeat(s) failed and are left out: ${failed.join('; ')}`,
      });
    if (!done.length) continue;
    ws = (
      await call(`${runName}: merge ${done.length + 1} seeds`, 'recordSeeds', {
        paperId,
        runName,
        workspace: ws,
        seedInfoKeys: done.map((r) => r.finalInfoKey),
      })
    ).workspace;
  }
  return ws;
}
