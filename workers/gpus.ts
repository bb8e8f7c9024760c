import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Config } from '../lib/config';

/** A place one experiment can run: a GPU id, or the CPU when the host has none. */
export type GpuSlot = { kind: 'gpu'; deviceId: string } | { kind: 'cpu' };

/**
 * The GPU worker's slots: SCIENTIST_GPU_COUNT if set, else the GPUs nvidia-smi lists. Zero GPUs
 * means CPU mode with one slot, for development.
 */
export async function discoverGpuSlots(config: Config): Promise<GpuSlot[]> {
  let count = config.gpu.count;
  if (count === 'auto') {
    try {
      const { stdout } = await promisify(execFile)('nvidia-smi', [
        '--query-gpu=index',
        '--format=csv,noheader',
      ]);
      count = stdout.split('\n').filter((l) => l.trim() !== '').length;
    } catch {
      count = 0;
    }
  }
  if (count === 0) return [{ kind: 'cpu' }];
  return Array.from({ length: count }, (_, i) => ({ kind: 'gpu', deviceId: String(i) }));
}
