/**
 * GPU slots and their capability, read from nvidia-smi's CSV (here a stand-in script
 * that prints what nvidia-smi prints on a two-GPU host: this machine has no GPU), the CPU slots
 * of a host without GPUs (SCIENTIST_CPU_SLOTS), and the message for a template that needs CUDA
 * on a CPU slot.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { discoverGpuSlots, needsGpuMessage } from '../../../activities/experiments/slots';
import { loadConfig } from '../../../lib/config';

const bin = mkdtempSync(path.join(tmpdir(), 'fake-nvidia-smi-'));
const smi = path.join(bin, 'nvidia-smi');
beforeAll(() => {
  writeFileSync(smi, '#!/bin/sh\nprintf "0, 9.0\\n1, 8.6\\n"\n');
  chmodSync(smi, 0o755);
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

test('each GPU slot carries the compute capability nvidia-smi reports', async () => {
  expect(await discoverGpuSlots(loadConfig({ SCIENTIST_GPU_COUNT: 'auto' }), smi)).toEqual([
    { kind: 'gpu', deviceId: '0', capability: '9.0' },
    { kind: 'gpu', deviceId: '1', capability: '8.6' },
  ]);
  expect(await discoverGpuSlots(loadConfig({ SCIENTIST_GPU_COUNT: '0' }), smi)).toEqual([{ kind: 'cpu' }]);
});

test('a host without GPUs offers SCIENTIST_CPU_SLOTS CPU slots (default one); a host with GPUs ignores it', async () => {
  const none = path.join(bin, 'no-nvidia-smi');
  expect(await discoverGpuSlots(loadConfig({}), none)).toEqual([{ kind: 'cpu' }]);
  expect(await discoverGpuSlots(loadConfig({ SCIENTIST_CPU_SLOTS: '3' }), none)).toEqual([
    { kind: 'cpu' },
    { kind: 'cpu' },
    { kind: 'cpu' },
  ]);
  expect(
    await discoverGpuSlots(loadConfig({ SCIENTIST_GPU_COUNT: '0', SCIENTIST_CPU_SLOTS: '2' }), smi),
  ).toHaveLength(2);
  expect(await discoverGpuSlots(loadConfig({ SCIENTIST_CPU_SLOTS: '4' }), smi)).toEqual([
    { kind: 'gpu', deviceId: '0', capability: '9.0' },
    { kind: 'gpu', deviceId: '1', capability: '8.6' },
  ]);
});

test('SCIENTIST_CPU_SLOTS is a whole number from 1 to 64', () => {
  expect(loadConfig({}).gpu.cpuSlots).toBe(1);
  expect(loadConfig({ SCIENTIST_CPU_SLOTS: '8' }).gpu.cpuSlots).toBe(8);
  for (const bad of ['0', '65', '1.5', 'two'])
    expect(() => loadConfig({ SCIENTIST_CPU_SLOTS: bad })).toThrow(/SCIENTIST_CPU_SLOTS/);
});

test('a CUDA request on a CPU slot names the template and the queue; anything else is not about GPUs', () => {
  const tail = 'AssertionError: Torch not compiled with CUDA enabled';
  expect(needsGpuMessage('t', { kind: 'cpu' }, tail, 'q-gpu')).toMatch(
    /^template t needs a GPU; no worker serving q-gpu has one/,
  );
  expect(needsGpuMessage('t', { kind: 'gpu', deviceId: '0' }, tail, 'q-gpu')).toBeUndefined();
  expect(needsGpuMessage('t', { kind: 'cpu' }, 'ZeroDivisionError', 'q-gpu')).toBeUndefined();
});
