/**
 * The dispatch bench's only workflow (bundled by bench/dispatch.ts, served on its own task
 * queue; never part of the workers' bundle): calls a no-op activity `count` times, one after the
 * other or `batch` at a time.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';

export interface NoopActivities {
  noop(i: number): Promise<number>;
}

export interface DispatchInput {
  /** `batch` 1 = strictly one after the other. */
  count: number;
  batch: number;
  options: ActivityOptions;
}

export async function dispatchWorkflow(input: DispatchInput): Promise<number> {
  const { noop } = proxyActivities<NoopActivities>(input.options);
  let done = 0;
  while (done < input.count) {
    const n = Math.min(input.batch, input.count - done);
    const results = await Promise.all(Array.from({ length: n }, (_, j) => noop(done + j)));
    done += results.length;
  }
  return done;
}
