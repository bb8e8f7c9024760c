/**
 * Shared by the CLI tests: stub-activity workers whose first experiment run of each paper waits
 * until the test releases it (so workflows stay running while the CLI looks at them), and a
 * poll helper.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config';
import { startStubWorkers } from '../harness';
import { fakePorts } from '../pipeline/fake-ports';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` returns something other than undefined. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

export interface GatedWorkers {
  client: Client;
  /** Papers whose run_1 is waiting. */
  held: Set<string>;
  /** Lets a paper's run_1 finish. */
  release(paperId: string): void;
  waitHeld(paperId: string, timeoutMs?: number): Promise<void>;
  /** Releases every paper, stops the workers and closes their connections. */
  close(): Promise<void>;
}

/** Stub workers (test/pipeline/fake-ports.ts) polling until `close()`, with run_1 gated per paper. */
export async function gatedStubWorkers(config: Config, ideaNames = ['alpha', 'beta']): Promise<GatedWorkers> {
  /** Per paper, the waiting attempts (a retried activity would wait again). */
  const gates = new Map<string, (() => void)[]>();
  const held = new Set<string>();
  const fake = fakePorts({
    ideaNames,
    before: async (activity, input) => {
      const i = input as { paperId?: string; runName?: string };
      if (activity !== 'runExperiment' || i.runName !== 'run_1' || !i.paperId) return;
      const paperId = i.paperId;
      // Heartbeats, as a real run does, so that the server never times the attempt out.
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 2000);
      try {
        await Promise.race([
          new Promise<void>((resolve) => {
            held.add(paperId);
            gates.set(paperId, [...(gates.get(paperId) ?? []), resolve]);
          }),
          ctx.cancelled.catch(() => undefined),
        ]);
      } finally {
        clearInterval(beat);
      }
    },
  });
  const workers = await startStubWorkers(config, fake);
  let stop: () => void = () => undefined;
  const done = workers.run(() => new Promise<void>((r) => (stop = r)));
  const release = (paperId: string) => {
    held.delete(paperId);
    for (const resolve of gates.get(paperId) ?? []) resolve();
    gates.delete(paperId);
  };
  return {
    client: workers.client,
    held,
    release,
    waitHeld: (paperId, timeoutMs = 30_000) =>
      waitFor(`${paperId} at run 1`, async () => (held.has(paperId) ? true : undefined), timeoutMs).then(
        () => undefined,
      ),
    async close() {
      for (const id of [...gates.keys()]) release(id);
      stop();
      await done;
      await workers.close();
    },
  };
}
