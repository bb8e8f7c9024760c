/**
 * Activities by task queue. Workflows proxy these types; workers register the matching set.
 */
import type { ActivityDeps } from './deps';
import { createHealthActivities, createSandboxHealthActivities } from './health';

export type { ActivityDeps } from './deps';

/** Activities served on the main queue (LLM calls, store work, CPU sandboxes). */
export function createMainActivities(deps: ActivityDeps) {
  return { ...createHealthActivities(deps) };
}

/** Activities served on the GPU queue (experiment runs). */
export function createGpuActivities(deps: ActivityDeps) {
  return { ...createSandboxHealthActivities(deps) };
}

export type MainActivities = ReturnType<typeof createMainActivities>;
export type GpuActivities = ReturnType<typeof createGpuActivities>;
