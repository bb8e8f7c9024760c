/**
 * One paper workflow on the real dev server with stub activities: the input every pipeline suite
 * starts from (one idea, the grokking template) and the worker lifecycle around it.
 */
import type { Client } from '@temporalio/client';
import type { IdeaSummary, PaperSettings } from '../../contracts';
import type { Config } from '../../lib/config';
import type { PaperInput } from '../../workflows';
import { startStubWorkers } from '../harness';

export const ALPHA_IDEA: IdeaSummary = {
  name: 'alpha',
  title: 'On alpha',
  key: 'ideas/alpha.json',
  interestingness: 6,
  feasibility: 7,
  novelty: 5,
};

export function stubPaperInput(config: Config, settings: PaperSettings): PaperInput {
  return {
    campaignId: 'c1',
    template: 'grokking',
    templateKey: 'templates/grokking/manifest.json',
    idea: ALPHA_IDEA,
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings,
  };
}

/**
 * Starts stub workers over `fake`, runs `fn` while they poll, and closes them whatever happens.
 * `fn` gets the client and the paper input to start.
 */
export async function withStubPaper<T>(
  config: Config,
  fake: { main: object; gpu: object },
  settings: PaperSettings,
  fn: (client: Client, input: PaperInput) => Promise<T>,
): Promise<T> {
  const workers = await startStubWorkers(config, fake);
  try {
    return await workers.run(() => fn(workers.client, stubPaperInput(config, settings)));
  } finally {
    await workers.close();
  }
}
