/** The GPU worker: experiment runs on SCIENTIST_GPU_TASK_QUEUE, one at a time per GPU slot. */
import { loadProcessConfig } from '../lib/config';
import { discoverGpuSlots } from '../activities/experiments';
import { exitOnFailure, runWorkerProcess } from './run';

async function main(): Promise<void> {
  const slots = await discoverGpuSlots(loadProcessConfig());
  await runWorkerProcess('gpu', { maxConcurrentActivities: slots.length });
}

exitOnFailure(main(), 'gpu');
