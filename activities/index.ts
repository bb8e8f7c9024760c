/**
 * Activities by task queue. Workflows proxy these types; workers register the matching set.
 */
import type { ActivityDeps } from './deps';
import { createExperimentActivities } from './experiments';
import { createHealthActivities, createSandboxHealthActivities } from './health';
import { createLatexActivities } from './latex';
import { createLiteratureActivities } from './literature';
import { createLlmActivities } from './llm';
import { createAsk } from './llm/ask';
import { createResearchActivities } from './research';

export type { ActivityDeps } from './deps';

/** Activities served on the main queue (LLM calls, store work, CPU sandboxes). */
export function createMainActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createLiteratureActivities(deps),
    ...createLatexActivities(deps),
    ...createLlmActivities(deps),
    ...createResearchActivities({ ...deps, ask: createAsk(deps) }),
  };
}

/** Activities served on the GPU queue (experiment runs). */
export function createGpuActivities(deps: ActivityDeps) {
  return { ...createSandboxHealthActivities(deps), ...createExperimentActivities(deps) };
}

export type MainActivities = ReturnType<typeof createMainActivities>;
export type GpuActivities = ReturnType<typeof createGpuActivities>;
