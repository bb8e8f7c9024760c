/**
 * One budget of activity slots shared by the Temporal workers of one GPU worker process: a host
 * with GPUs polls the GPU queue and its `@cuda` queues (contracts/gpu-routing.ts), one SDK Worker
 * per queue, and together they must not take more experiments than the host has GPU slots.
 *
 * The SDK reserves a slot before each poll and may hold it while the long poll waits, so a
 * plain shared semaphore would let an idle queue's poll starve the others. Here a worker may
 * reserve one more slot while the slots in use plus its own reserved-but-unused ones stay under
 * the budget: every queue can poll whenever a slot is free. Two queues handing out a task at the
 * same instant can still go one over; the run then waits for a GPU in the SlotPool (rare, and it
 * keeps heartbeating meanwhile).
 */
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit } from '@temporalio/worker';

interface Permit extends SlotPermit {
  worker: string;
  used: boolean;
  released?: boolean;
}

export class SharedActivitySlots {
  private inUse = 0;
  private readonly reserved = new Map<string, number>();
  private readonly waiters: { worker: string; grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  /** Slots running a task now, across every worker. */
  get used(): number {
    return this.inUse;
  }

  private canReserve(worker: string): boolean {
    return this.inUse + (this.reserved.get(worker) ?? 0) < this.capacity;
  }

  private take(worker: string): Permit {
    this.reserved.set(worker, (this.reserved.get(worker) ?? 0) + 1);
    return { worker, used: false };
  }

  private wake(): void {
    for (let i = 0; i < this.waiters.length;) {
      const w = this.waiters[i]!;
      if (this.canReserve(w.worker)) {
        this.waiters.splice(i, 1);
        w.grant();
      } else i++;
    }
  }

  /** The slot supplier of one worker (one task queue) of the process. */
  supplier(worker: string): CustomSlotSupplier<ActivitySlotInfo> {
    return {
      type: 'custom',
      reserveSlot: (_ctx, abortSignal) =>
        new Promise<SlotPermit>((resolve, reject) => {
          if (this.canReserve(worker)) return resolve(this.take(worker));
          const waiter = {
            worker,
            grant: () => {
              abortSignal.removeEventListener('abort', onAbort);
              resolve(this.take(worker));
            },
          };
          const onAbort = () => {
            const i = this.waiters.indexOf(waiter);
            if (i >= 0) this.waiters.splice(i, 1);
            // The SDK expects its own abort reason back (anything else it logs as an error).
            reject(abortSignal.reason as Error);
          };
          abortSignal.addEventListener('abort', onAbort, { once: true });
          this.waiters.push(waiter);
        }),
      tryReserveSlot: () => (this.canReserve(worker) ? this.take(worker) : null),
      markSlotUsed: ({ permit }) => {
        const p = permit as Permit;
        if (p.used) return;
        p.used = true;
        this.reserved.set(p.worker, (this.reserved.get(p.worker) ?? 1) - 1);
        this.inUse++;
      },
      releaseSlot: ({ permit }) => {
        const p = permit as Permit;
        if (p.released) return;
        p.released = true;
        if (p.used) this.inUse--;
        else this.reserved.set(p.worker, (this.reserved.get(p.worker) ?? 1) - 1);
        this.wake();
      },
    };
  }
}
