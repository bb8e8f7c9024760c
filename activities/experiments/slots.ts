import type { GpuSlot } from '../../workers/gpus';

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
