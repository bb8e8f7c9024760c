/**
 * Health-check activities: a probe written to the store on the main queue, turned into a
 * result by a sandbox container on the GPU queue, and checked back on the main queue. They
 * prove the plumbing end to end (Temporal ↔ workers ↔ S3 ↔ Docker) for `scientist up` and tests.
 */
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { classified, InvalidInputError, ServiceUnavailableError } from '../../lib/errors';
import { keys } from '../../lib/store';
import { sandboxImage, sandboxLimits } from '../../sandbox';
import type { ActivityDeps } from '../deps';

export interface Probe {
  numbers: number[];
}

export interface SandboxProbeResult {
  outputKey: string;
  logKey: string;
  torchVersion: string;
  durationMs: number;
}

// Runs inside the sandbox: real PyTorch on the probe's numbers.
const PROBE_SCRIPT = `
import json, torch
probe = json.load(open('probe.json'))
t = torch.tensor(probe['numbers'], dtype=torch.float64)
json.dump({'sum': float(t.sum()), 'sumsq': float((t * t).sum()), 'torch': torch.__version__}, open('result.json', 'w'))
print('sandbox probe ok', torch.__version__)
`;

export function createHealthActivities({ store }: Pick<ActivityDeps, 'store'>) {
  return {
    /** Stores the probe under the health check's key; returns the key. */
    async writeProbe(checkId: string, probe: Probe): Promise<string> {
      return classified(async () => (await store.putJson(keys.health(checkId, 'probe.json'), probe)).key);
    },

    /** Reads the sandbox's result back and checks it against the probe. */
    async verifyProbe(checkId: string, outputKey: string): Promise<{ sum: number; sumsq: number }> {
      return classified(async () => {
        const probe = await store.getJson<Probe>(keys.health(checkId, 'probe.json'));
        const out = await store.getJson<{ sum: number; sumsq: number }>(outputKey);
        const sum = probe.numbers.reduce((a, b) => a + b, 0);
        const sumsq = probe.numbers.reduce((a, b) => a + b * b, 0);
        if (Math.abs(out.sum - sum) > 1e-9 || Math.abs(out.sumsq - sumsq) > 1e-9) {
          throw new InvalidInputError(
            `sandbox computed ${JSON.stringify(out)}, expected sum ${sum}, sumsq ${sumsq}`,
          );
        }
        return { sum, sumsq };
      });
    },
  };
}

export function createSandboxHealthActivities({
  store,
  sandbox,
  config,
}: Pick<ActivityDeps, 'store' | 'sandbox' | 'config'>) {
  return {
    /** Runs the probe through PyTorch in a sandbox container; stores result and log. */
    async sandboxProbe(checkId: string): Promise<SandboxProbeResult> {
      return classified(async () => {
        const ctx = Context.current();
        const work = await mkdtemp(path.join(tmpdir(), 'ds-health-'));
        try {
          // The container runs as nobody: its work folder must be writable by any user.
          await chmod(work, 0o777);
          await writeFile(path.join(work, 'probe.json'), await store.get(keys.health(checkId, 'probe.json')));
          await writeFile(path.join(work, 'probe.py'), PROBE_SCRIPT);
          const result = await sandbox.run({
            runId: `health-${checkId}-${ctx.info.attempt}`,
            image: sandboxImage(config),
            command: ['python3', 'probe.py'],
            workDir: work,
            limits: sandboxLimits(config, { timeoutMs: 120_000, memoryMB: 1024 }),
            signal: ctx.cancellationSignal,
          });
          const logKey = (await store.put(keys.health(checkId, 'sandbox.log'), result.log)).key;
          if (result.outcome !== 'ok') {
            throw new ServiceUnavailableError(
              `sandbox probe ended "${result.outcome}": ${result.stderrTail.slice(-500)}`,
            );
          }
          const output = JSON.parse(await readFile(path.join(work, 'result.json'), 'utf8')) as {
            torch: string;
          };
          const outputKey = (await store.putJson(keys.health(checkId, 'result.json'), output)).key;
          return { outputKey, logKey, torchVersion: output.torch, durationMs: result.durationMs };
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      });
    },
  };
}
