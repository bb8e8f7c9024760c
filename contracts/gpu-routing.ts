/**
 * Which GPU-queue task queue a template's runs go to, and which ones a GPU worker polls.
 *
 * Every GPU worker polls the GPU task queue itself (`<gpuQueue>`), CPU mode included. A worker
 * with GPUs also polls `<gpuQueue>@cuda`, and `<gpuQueue>@cuda-<level>` for every capability
 * level its GPUs reach (the lowest capability among its GPUs counts, so any of its slots will
 * do). A template whose `template.json` says `"gpu": true` runs on `@cuda`; one that says
 * `"gpu": {"minCapability": "8.0"}` runs on `@cuda-8.0`. So a run that needs a GPU can only be
 * picked up by a worker that has one, and a queue nobody polls means no such worker exists
 * (the campaign's preflight asks Temporal, see `gpuQueuePollers`).
 */
import type { GpuSlot } from './experiments';

/** What a template's manifest says its code needs: a GPU, of at least this compute capability. */
export interface GpuNeed {
  /** CUDA compute capability, one of CUDA_CAPABILITY_LEVELS; absent: any GPU. */
  minCapability?: string;
}

/**
 * The compute capabilities a template may ask for: those PyTorch's CUDA builds target, from
 * Pascal to Blackwell. Each is one task queue a GPU worker polls when its GPUs reach it.
 */
export const CUDA_CAPABILITY_LEVELS = [
  '6.0',
  '6.1',
  '7.0',
  '7.5',
  '8.0',
  '8.6',
  '8.9',
  '9.0',
  '10.0',
  '12.0',
] as const;

/** The task queue of runs that need `need`: the GPU queue itself when they need no GPU. */
export function gpuQueueFor(gpuQueue: string, need: GpuNeed | undefined): string {
  if (!need) return gpuQueue;
  return need.minCapability ? `${gpuQueue}@cuda-${need.minCapability}` : `${gpuQueue}@cuda`;
}

/** Compares "8.6" with "9.0" as numbers, major first: negative when a < b. */
export function compareCapability(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/**
 * The task queues a GPU worker with these slots polls: the GPU queue; with GPUs also `@cuda`,
 * and `@cuda-<level>` for each level every one of its GPUs reaches (none when a GPU's
 * capability is unknown: it may run GPU templates that ask for no particular one).
 */
export function gpuQueuesServed(gpuQueue: string, slots: readonly GpuSlot[]): string[] {
  const gpus = slots.filter((s) => s.kind === 'gpu');
  if (gpus.length === 0) return [gpuQueue];
  const caps = gpus.map((g) => g.capability);
  const lowest = caps.includes(undefined)
    ? undefined
    : (caps as string[]).reduce((lo, c) => (compareCapability(c, lo) < 0 ? c : lo));
  const levels = lowest
    ? CUDA_CAPABILITY_LEVELS.filter((level) => compareCapability(level, lowest) <= 0)
    : [];
  return [
    gpuQueue,
    gpuQueueFor(gpuQueue, {}),
    ...levels.map((minCapability) => gpuQueueFor(gpuQueue, { minCapability })),
  ];
}

/** The refusal when no worker polls the queue a template's runs need. */
export function noGpuWorkerMessage(template: string, gpuQueue: string, need: GpuNeed): string {
  const what = need.minCapability ? `a GPU of compute capability ${need.minCapability} or more` : 'a GPU';
  return `template ${template} needs ${what}; no worker serving ${gpuQueue} has one (its template.json declares "gpu", and no worker polls ${gpuQueueFor(gpuQueue, need)}, the queue of GPU workers that have it). Start a GPU worker on ${gpuQueue} on a host with such a GPU, or remove "gpu" from template.json if the code also runs on a CPU`;
}
