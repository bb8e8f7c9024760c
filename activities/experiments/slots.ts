import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GpuSlot } from '../../contracts';
import type { Config } from '../../lib/config';

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

/**
 * Hands out the worker's GPU slots, one experiment per slot. The worker's concurrency equals
 * the slot count, so a waiter is rare (it only waits for a slot being released).
 */
export class SlotPool {
  private free?: GpuSlot[];
  private waiters: ((slot: GpuSlot) => void)[] = [];

  constructor(private readonly discover: () => Promise<GpuSlot[]>) {}

  async acquire(): Promise<{ slot: GpuSlot; release: () => void }> {
    this.free ??= [...(await this.discover())];
    const slot = this.free.shift() ?? (await new Promise<GpuSlot>((resolve) => this.waiters.push(resolve)));
    let released = false;
    return {
      slot,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) next(slot);
        else this.free!.push(slot);
      },
    };
  }
}
