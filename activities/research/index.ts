/**
 * Every activity of the research pipeline on the main queue, built over one `ask` (the LLM
 * layer) and the shared deps. The result satisfies the workflows' MainPorts (checked here).
 */
import type { MainPorts } from '../../contracts';
import { createCoderActivities } from '../coder';
import type { ActivityDeps } from '../deps';
import { createPreflightActivities } from '../experiments/preflight';
import { createIdeationActivities } from '../ideation';
import { createIntegrityActivities } from '../integrity';
import { createNoveltyActivities } from '../novelty';
import { createPlotActivities } from '../plots';
import { createReviewActivities } from '../review';
import { createCompileActivities } from '../latex/compile-paper';
import { createReviseActivities, createWriteupActivities } from '../writeup';
import type { Ask } from './ask';

export type { Ask, AskAnswer, AskRequest, Role, StructuredAnswer } from './ask';

export function createResearchActivities(deps: ActivityDeps & { ask: Ask }): MainPorts {
  return {
    ...createIdeationActivities(deps),
    ...createNoveltyActivities(deps),
    ...createCoderActivities(deps),
    ...createPlotActivities(deps),
    ...createWriteupActivities(deps),
    ...createCompileActivities(deps),
    ...createReviseActivities(deps),
    ...createReviewActivities(deps),
    ...createIntegrityActivities(deps),
    ...createPreflightActivities(deps),
    async prepareWorkspace({ templateKey }) {
      // The template's files are already a content-addressed workspace: the paper starts from it.
      return Promise.resolve({ workspace: templateKey });
    },
  };
}
