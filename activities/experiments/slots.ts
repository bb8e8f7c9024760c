import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GpuSlot } from '../../contracts';
import type { Config } from '../../lib/config';

/**
 * The GPU worker's slots: SCIENTIST_GPU_COUNT if set, else the GPUs nvidia-smi lists, each with
 * its compute capability where nvidia-smi reports it. Zero GPUs means CPU mode with
 * SCIENTIST_CPU_SLOTS slots (default one), each run with the sandbox's own CPU limit (a template
 * that needs CUDA is told so: see needsGpuMessage).
 */
export async function discoverGpuSlots(config: Config, nvidiaSmi = 'nvidia-smi'): Promise<GpuSlot[]> {
  let listed: { index: string; capability?: string }[] = [];
  try {
    const { stdout } = await promisify(execFile)(nvidiaSmi, [
      '--query-gpu=index,compute_cap',
      '--format=csv,noheader',
    ]);
    listed = stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [index = '', cap = ''] = l.split(',').map((x) => x.trim());
        return { index, ...(/^\d+\.\d+$/.test(cap) ? { capability: cap } : {}) };
      });
  } catch {
    listed = [];
  }
  const count = config.gpu.count === 'auto' ? listed.length : config.gpu.count;
  if (count === 0) return Array.from({ length: config.gpu.cpuSlots }, () => ({ kind: 'cpu' }) as const);
  return Array.from({ length: count }, (_, i) => {
    const capability = listed[i]?.capability;
    return { kind: 'gpu', deviceId: String(i), ...(capability ? { capability } : {}) };
  });
}

/** What a CPU-only PyTorch says when code asks for CUDA (torch 1.13 and 2.x). */
const NEEDS_CUDA =
  /Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available|CUDA driver initialization failed|no kernel image is available for execution|libcuda\.so|NVIDIA driver on your system is too old/i;

/**
 * The message for a run that failed because its code needs CUDA while it ran on a CPU slot, or
 * undefined when the failure was something else.
 */
export function needsGpuMessage(
  template: string,
  slot: GpuSlot,
  output: string,
  taskQueue: string,
): string | undefined {
  if (slot.kind !== 'cpu' || !NEEDS_CUDA.test(output)) return undefined;
  return `template ${template} needs a GPU; no worker serving ${taskQueue} has one (its baseline ran on a CPU slot and failed asking for CUDA). Start a GPU worker on ${taskQueue}, or make the code fall back to the CPU (device = "cuda" if torch.cuda.is_available() else "cpu")`;
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
