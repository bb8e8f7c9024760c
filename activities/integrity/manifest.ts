/**
 * The reproducibility manifest of one run, measured by code: the worker's CPU (/proc/cpuinfo)
 * and GPU (nvidia-smi, GPU workers only), the image's id and the Python, PyTorch and NumPy
 * versions read inside it (one probe container per image id, cached in the store), the code's
 * hashes, the seeds final_info.json names, the command line, wall and device time. No model
 * writes any of it; the write-up prints it and the claim check holds the text to it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/log';
import { keys, sha256, type ArtifactStore } from '../../lib/store';
import {
  createHostFolder,
  removeHostFolder,
  sandboxLimits,
  type SandboxRunner,
  type SandboxRuntime,
} from '../../sandbox';
import type { FinalInfo, GpuSlot, RunManifest } from '../../contracts';

const run = promisify(execFile);

/** The name of the manifest in a run's outputs (and so in the paper's workspace). */
export const MANIFEST_FILE = 'reproducibility.json';

/** Printed by the probe container as its last stdout line. */
const PROBE = [
  'import json, sys',
  'import numpy, torch',
  'print(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__, "numpy": numpy.__version__, "torchCuda": torch.version.cuda}))',
].join('\n');

export type ImageFacts = RunManifest['image'];
export type DeviceFacts = RunManifest['device'];

/** The worker's CPU model and logical core count (/proc/cpuinfo; os.cpus() where it is absent). */
export async function cpuFacts(
  cpuinfoPath = '/proc/cpuinfo',
): Promise<{ cpuModel: string; cpuCores: number }> {
  const text = await readFile(cpuinfoPath, 'utf8').catch(() => '');
  const models = [...text.matchAll(/^model name\s*:\s*(.+)$/gm)].map((m) => m[1]!.trim());
  const processors = [...text.matchAll(/^processor\s*:/gm)].length;
  const os = cpus();
  return {
    cpuModel: models[0] ?? os[0]?.model.trim() ?? 'unknown',
    cpuCores: processors || os.length,
  };
}

/** GPU name, memory, driver and CUDA version from nvidia-smi for one device id; undefined without nvidia-smi. */
export async function gpuFacts(deviceId: string): Promise<DeviceFacts['gpu']> {
  try {
    const q = await run(
      'nvidia-smi',
      ['-i', deviceId, '--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'],
      { timeout: 15_000 },
    );
    const [name, memory, driver] = q.stdout
      .trim()
      .split('\n')[0]!
      .split(',')
      .map((s) => s.trim());
    const banner = await run('nvidia-smi', [], { timeout: 15_000 });
    const cuda = /CUDA Version:\s*([\d.]+)/.exec(banner.stdout)?.[1] ?? 'unknown';
    return { name: name ?? 'unknown', memoryMiB: Number(memory) || 0, driver: driver ?? 'unknown', cuda };
  } catch {
    return undefined;
  }
}

const imageMemo = new Map<string, Promise<ImageFacts>>();

/**
 * The image's id and the versions inside it: one probe container per image id, whose answer is
 * kept at cache/image-facts/<id> (and in this process), so a paper's runs cost one probe at most.
 */
export function imageFacts(
  deps: { config: Config; store: ArtifactStore; sandbox: SandboxRunner; log: Logger },
  image: string,
  runtime: SandboxRuntime,
): Promise<ImageFacts> {
  const go = async (): Promise<ImageFacts> => {
    const described = (await deps.sandbox.describeImage?.(image)) ?? { id: image };
    const cacheKey = keys.cache('image-facts', sha256(described.id).slice(0, 32));
    if (await deps.store.exists(cacheKey)) return deps.store.getJson<ImageFacts>(cacheKey);
    const dir = await createHostFolder(path.join(deps.config.dataDir, 'probes'), 'image-');
    try {
      const result = await deps.sandbox.run({
        runId: `image-probe-${sha256(described.id).slice(0, 16)}`,
        image,
        command: ['python3', '-c', PROBE],
        workDir: dir,
        limits: sandboxLimits(deps.config, { timeoutMs: 120_000 }),
        runtime,
      });
      const last = result.stdoutTail.trim().split('\n').pop() ?? '';
      let v: { python?: string; torch?: string; numpy?: string; torchCuda?: string | null } = {};
      try {
        v = JSON.parse(last) as typeof v;
      } catch {
        deps.log.warn('image probe gave no versions', {
          image,
          outcome: result.outcome,
          tail: result.stderrTail.slice(-300),
        });
      }
      const facts: ImageFacts = {
        name: image,
        id: described.id,
        ...(described.digest ? { digest: described.digest } : {}),
        python: v.python ?? 'unknown',
        torch: v.torch ?? 'unknown',
        numpy: v.numpy ?? 'unknown',
        torchCuda: v.torchCuda ?? null,
      };
      // Only a complete answer is kept: a failed probe is asked again next time.
      if (v.torch) await deps.store.putJson(cacheKey, facts);
      return facts;
    } finally {
      await removeHostFolder(dir);
    }
  };
  let memo = imageMemo.get(image);
  if (!memo) {
    memo = go();
    imageMemo.set(image, memo);
    // A failure is not remembered: the next run probes again.
    memo.catch(() => imageMemo.delete(image));
  }
  return memo;
}

/** Seeds named in final_info.json (`seed`, `seeds`, `*_seed` keys at any depth), in order, deduplicated. */
export function seedsOf(info: unknown): number[] {
  const out: number[] = [];
  const walk = (v: unknown, depth: number) => {
    if (!v || typeof v !== 'object' || depth > 6) return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (/^(seed|seeds|\w+_seeds?)$/i.test(k)) {
        for (const n of Array.isArray(x) ? x : [x])
          if (Number.isInteger(n) && !out.includes(n as number)) out.push(n as number);
      } else walk(x, depth + 1);
    }
  };
  walk(info, 0);
  return out;
}

/** A count final_info.json reports under one of `names` (first dataset that has it; means or top level). */
function reported(info: FinalInfo | null, names: RegExp): number | undefined {
  if (!info) return undefined;
  for (const entry of Object.values(info)) {
    for (const bag of [entry.means, entry as Record<string, unknown>]) {
      for (const [k, v] of Object.entries(bag ?? {}))
        if (names.test(k) && typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    }
  }
  return undefined;
}

/** The manifest of a finished run. */
export async function runManifest(
  deps: { config: Config; store: ArtifactStore; sandbox: SandboxRunner; log: Logger },
  run: {
    runName: string;
    slot: GpuSlot;
    image: string;
    runtime: SandboxRuntime;
    command: string[];
    durationMs: number;
    cpuQuota: number;
    /** Relative path → bytes of the run's code files (.py). */
    code: Record<string, Buffer>;
    finalInfo: FinalInfo | null;
  },
): Promise<RunManifest> {
  const [cpu, gpu, image] = await Promise.all([
    cpuFacts(),
    run.slot.kind === 'gpu' ? gpuFacts(run.slot.deviceId) : Promise.resolve(undefined),
    imageFacts(deps, run.image, run.runtime),
  ]);
  const paths = Object.keys(run.code).sort();
  const wallSeconds = run.durationMs / 1000;
  const params = reported(run.finalInfo, /^(n_params|num_params|params|parameters|param_count)$/i);
  const flops = reported(run.finalInfo, /^(flops|train_flops|training_flops)$/i);
  return {
    runName: run.runName,
    device: { kind: gpu ? 'gpu' : 'cpu', ...cpu, ...(gpu ? { gpu } : {}) },
    image,
    code: {
      experimentSha256: sha256(run.code['experiment.py'] ?? ''),
      workspaceSha256: sha256(paths.map((p) => `${p}\0${sha256(run.code[p]!)}`).join('\n')),
    },
    seeds: seedsOf(run.finalInfo),
    command: run.command,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    deviceSeconds: Math.round(wallSeconds * (gpu ? 1 : Math.min(run.cpuQuota, cpu.cpuCores)) * 100) / 100,
    ...(params ? { params } : {}),
    ...(flops ? { flops } : {}),
  };
}
