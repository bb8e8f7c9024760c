/**
 * Routing of templates that need a GPU (contracts/gpu-routing.ts): the queue a template's runs
 * go to, the queues a worker polls for its slots, template.json's "gpu" field, and the slot
 * budget the workers of one GPU host share (workers/shared-slots.ts).
 */
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit } from '@temporalio/worker';
import { gpuQueueFor, gpuQueuesServed, noGpuWorkerMessage } from '../../../contracts';
import { gpuNeedOf, parseTemplateManifest } from '../../../activities/experiments/template-manifest';
import { SharedActivitySlots } from '../../../workers/shared-slots';

describe('the queue a template runs on', () => {
  test('no "gpu": the GPU queue itself; "gpu": its @cuda queue; a capability: that level’s queue', () => {
    expect(gpuQueueFor('q', undefined)).toBe('q');
    expect(gpuQueueFor('q', {})).toBe('q@cuda');
    expect(gpuQueueFor('q', { minCapability: '8.0' })).toBe('q@cuda-8.0');
  });

  test('template.json: "gpu" is true, false or {minCapability: <a level>}; anything else is a problem', () => {
    const need = (text: string) => {
      const problems: string[] = [];
      const m = parseTemplateManifest(text, problems);
      return { need: gpuNeedOf(m), problems };
    };
    expect(need('{}')).toEqual({ need: undefined, problems: [] });
    expect(need('{"gpu": false}')).toEqual({ need: undefined, problems: [] });
    expect(need('{"gpu": true}')).toEqual({ need: {}, problems: [] });
    expect(need('{"gpu": {}}')).toEqual({ need: {}, problems: [] });
    expect(need('{"gpu": {"minCapability": "8.6"}}')).toEqual({
      need: { minCapability: '8.6' },
      problems: [],
    });
    expect(need('{"gpu": {"minCapability": "8.5"}}').problems).toEqual([
      'template.json: "gpu" must be true, false or {"minCapability": "<CUDA compute capability>"} with one of 6.0, 6.1, 7.0, 7.5, 8.0, 8.6, 8.9, 9.0, 10.0, 12.0',
    ]);
    expect(need('{"gpu": {"memoryGB": 80}}').problems).toHaveLength(1);
    expect(need('{"gpu": "yes"}').problems).toHaveLength(1);
  });

  test('the refusal names the template, the GPU queue and the queue nobody polls', () => {
    expect(noGpuWorkerMessage('t', 'q', {})).toMatch(
      /^template t needs a GPU; no worker serving q has one \(.*no worker polls q@cuda,/,
    );
    expect(noGpuWorkerMessage('t', 'q', { minCapability: '9.0' })).toMatch(
      /^template t needs a GPU of compute capability 9\.0 or more; no worker serving q has one .*q@cuda-9\.0/,
    );
  });
});

describe('the queues a GPU worker polls', () => {
  test('CPU mode: only the GPU queue, so a run that needs a GPU never reaches it', () => {
    expect(gpuQueuesServed('q', [{ kind: 'cpu' }, { kind: 'cpu' }])).toEqual(['q']);
  });

  test('GPUs: also @cuda and every level the lowest of its GPUs reaches', () => {
    expect(
      gpuQueuesServed('q', [
        { kind: 'gpu', deviceId: '0', capability: '9.0' },
        { kind: 'gpu', deviceId: '1', capability: '8.6' },
      ]),
    ).toEqual([
      'q',
      'q@cuda',
      'q@cuda-6.0',
      'q@cuda-6.1',
      'q@cuda-7.0',
      'q@cuda-7.5',
      'q@cuda-8.0',
      'q@cuda-8.6',
    ]);
    // 10.0 sorts after 9.0 as a number, not as text.
    expect(gpuQueuesServed('q', [{ kind: 'gpu', deviceId: '0', capability: '10.0' }])).toContain(
      'q@cuda-10.0',
    );
    expect(gpuQueuesServed('q', [{ kind: 'gpu', deviceId: '0', capability: '9.0' }])).not.toContain(
      'q@cuda-10.0',
    );
  });

  test('a GPU of unknown capability serves @cuda but no capability level', () => {
    expect(
      gpuQueuesServed('q', [
        { kind: 'gpu', deviceId: '0', capability: '9.0' },
        { kind: 'gpu', deviceId: '1' },
      ]),
    ).toEqual(['q', 'q@cuda']);
  });
});

describe('one slot budget for the workers of a GPU host', () => {
  const ctx = {
    slotType: 'activity',
    taskQueue: 'q',
    workerIdentity: 'w',
    workerBuildId: '',
    isSticky: false,
  } as const;
  const info: ActivitySlotInfo = { type: 'activity', activityType: 'runExperiment' };
  const settled = async (p: Promise<unknown>) => {
    let done = false;
    void p.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    return done;
  };

  test('an idle queue’s poll does not starve the other; running tasks count for all', async () => {
    const slots = new SharedActivitySlots(1);
    const a: CustomSlotSupplier<ActivitySlotInfo> = slots.supplier('q');
    const b = slots.supplier('q@cuda');
    const pa = await a.reserveSlot(ctx, new AbortController().signal);
    // b may poll while a's reserved slot waits for a task…
    const pb = await b.reserveSlot(ctx, new AbortController().signal);
    // …but not twice, and not once b's task runs.
    expect(b.tryReserveSlot(ctx)).toBeNull();
    b.markSlotUsed({ slotInfo: info, permit: pb });
    expect(slots.used).toBe(1);
    expect(a.tryReserveSlot(ctx)).toBeNull();
    // a's poll ends without a task: it may not poll again until b's task ends.
    a.releaseSlot({ permit: pa });
    const next = a.reserveSlot(ctx, new AbortController().signal);
    expect(await settled(next)).toBe(false);
    b.releaseSlot({ slotInfo: info, permit: pb });
    expect(await settled(next)).toBe(true);
    expect(slots.used).toBe(0);
  });

  test('a waiting reservation ends with the SDK’s abort reason when it aborts it', async () => {
    const slots = new SharedActivitySlots(1);
    const a = slots.supplier('q');
    const p: SlotPermit = await a.reserveSlot(ctx, new AbortController().signal);
    a.markSlotUsed({ slotInfo: info, permit: p });
    const abort = new AbortController();
    const waiting = a.reserveSlot(ctx, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toBe(abort.signal.reason);
    a.releaseSlot({ slotInfo: info, permit: p });
    a.releaseSlot({ slotInfo: info, permit: p }); // a second release changes nothing
    expect(slots.used).toBe(0);
    expect(a.tryReserveSlot(ctx)).not.toBeNull();
  });
});
