/**
 * Activities by task queue. Workflows proxy these types; workers register the matching set.
 */
import type { ActivityDeps } from './deps';
import { createExperimentActivities } from './experiments';
import { createHealthActivities, createSandboxHealthActivities } from './health';
import { createLlmActivities } from './llm';
import { createAsk } from './llm/ask';
import { createResearchActivities } from './research';
import { createReviewBenchActivities } from './review-bench/activities';

export type { ActivityDeps } from './deps';

/**
 * Activities served on the main queue (LLM calls, store work, CPU sandboxes): the research
 * ports the workflows call, the reviewer benchmark's own, the health probes, and `llmCall` for the LLM probe workflow. The
 * literature search and the LaTeX compile are plain functions those activities call, not
 * activities of their own.
 */
export function createMainActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createLlmActivities(deps),
    ...createResearchActivities({ ...deps, ask: createAsk(deps) }),
    ...createReviewBenchActivities(deps),
  };
}

/** Activities served on the GPU queue (experiment runs). */
export function createGpuActivities(deps: ActivityDeps) {
  return { ...createSandboxHealthActivities(deps), ...createExperimentActivities(deps) };
}

export type MainActivities = ReturnType<typeof createMainActivities>;
export type GpuActivities = ReturnType<typeof createGpuActivities>;
