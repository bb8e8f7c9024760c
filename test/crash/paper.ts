/**
 * The paper the crash tests run: the quick profile with more activities to kill a worker in, a
 * paper input as a campaign would start it, and its outcome with the worker logs on failure.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { createMainActivities } from '../../activities';
import type { Config } from '../../lib/config';
import { realDeps } from '../../workers/create-worker';
import { QUICK_PAPER_SETTINGS, type PaperSettings } from '../../contracts';
import type { PaperInput, PaperOutcome } from '../../workflows';
import { uniqueId } from '../harness';
import type { WorkerProc } from './worker-processes';

/**
 * The quick profile in fast mode (`scientist run --quick --fast`), with every section refined
 * and one more compile round: more activities for the crash tests to kill a worker in.
 */
export const QUICK_PAPER: PaperSettings = {
  ...QUICK_PAPER_SETTINGS,
  fast: true,
  refineSections: true,
  compileRounds: 3,
};

/** A paper on the grokking template with its first seed idea, as a campaign would start it. */
export async function paperInput(config: Config, settings: PaperSettings = QUICK_PAPER): Promise<PaperInput> {
  const acts = createMainActivities(realDeps(config, 'crash-setup'));
  const campaignId = uniqueId('crash-campaign');
  const { templateKey } = await acts.loadTemplate({ campaignId, template: 'grokking' });
  const [idea] = await acts.seedIdeas({ campaignId, templateKey });
  return {
    campaignId,
    template: 'grokking',
    templateKey,
    idea: idea!,
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings,
  };
}

export async function startPaper(client: Client, config: Config, input: PaperInput): Promise<WorkflowHandle> {
  return client.workflow.start('paperWorkflow', {
    workflowId: uniqueId('paper-crash'),
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowExecutionTimeout: '40 minutes',
  });
}

/** The outcome of a paper, with the worker logs attached when it failed. */
export async function paperResult(handle: WorkflowHandle, workers: WorkerProc[]): Promise<PaperOutcome> {
  try {
    return (await handle.result()) as PaperOutcome;
  } catch (err) {
    throw new Error(
      `paper ${handle.workflowId} failed: ${String(err)}\n${workers.map((w) => w.output().slice(-6000)).join('\n')}`,
    );
  }
}
