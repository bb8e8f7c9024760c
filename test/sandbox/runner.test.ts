/** The sandbox runner's policy and plumbing on the real Docker engine. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { ConfigError, InvalidInputError } from '../../lib/errors';
import { createLogger } from '../../lib/log';
import {
  DockerSandboxRunner,
  LABEL,
  sandboxEnv,
  sandboxHostConfig,
  sandboxImage,
  sandboxLimits,
} from '../../sandbox';
import { createWorkArea } from '../../sandbox/work-area';
import { suiteConfig } from '../harness';
import { SMALL, sandboxKit } from './helpers';

describe('sandbox runner', () => {
  const config = suiteConfig('sandbox-runner');
  const kit = sandboxKit(config, 'sandbox-runner');

  afterAll(async () => {
    expect(await kit.leftoverContainers()).toEqual([]);
    expect(kit.leftoverWorkAreas()).toEqual([]);
    kit.cleanup();
  });

  it('runs with the whole policy applied from outside, and copies outputs back', async () => {
    let seen: Docker.ContainerInspectInfo | undefined;
    let liveCheck: string | null = null;
    const { result, workDir } = await kit.runPython(
      [
        'import os, time, shutil',
        'os.makedirs("run_1", exist_ok=True)',
        'open("run_1/final_info.json", "w").write("{}")',
        'print("uid", os.getuid(), "work", shutil.disk_usage("/work").total >> 20, "tmp", shutil.disk_usage("/tmp").total >> 20)',
        'try: open("/etc/x", "w")',
        'except OSError as e: print("rootfs", e.errno)',
        'time.sleep(2.5)',
      ].join('\n'),
      {},
      {
        env: { SCIENTIST_FAST: '1' },
        tickMs: 500,
        onTick: async (live) => {
          if (!seen) {
            const [mine] = await kit.docker.listContainers({
              filters: { label: [`${LABEL.ownerPid}=${process.pid}`] },
            });
            seen = await kit.docker.getContainer(mine!.Id).inspect();
          }
          const buf = await live.read('run_1/final_info.json', 100);
          if (buf) liveCheck = buf.toString();
        },
      },
    );
    expect(result.outcome).toBe('ok');
    expect(result.exitCode).toBe(0);
    expect(result.firstOutputMs).not.toBeNull();
    expect(result.log).toMatch(/uid 65534 work (5[5-9]|6[0-4]) tmp 16/);
    expect(result.log).toContain('rootfs 30'); // EROFS
    expect(liveCheck).toBe('{}');
    expect(readFileSync(path.join(workDir, 'run_1', 'final_info.json'), 'utf8')).toBe('{}');
    expect(result.collected.map((f) => f.path).sort()).toEqual(['main.py', 'run_1/final_info.json']);

    const hc = seen!.HostConfig;
    expect(hc.NetworkMode).toBe('none');
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.SecurityOpt).toEqual(['no-new-privileges', expect.stringMatching(/^seccomp=\{/)]);
    const seccomp = JSON.parse((hc.SecurityOpt as string[])[1]!.slice('seccomp='.length)) as {
      syscalls: { names: string[] }[];
    };
    expect(seccomp.syscalls[0]!.names).toEqual(
      expect.arrayContaining(['ptrace', 'io_uring_setup', 'unshare']),
    );
    // A private IPC namespace with a /dev/shm no larger than /tmp; loopback names from the engine.
    expect(hc.IpcMode).toBe('private');
    expect(hc.ShmSize).toBe(Math.min(64, SMALL.tmpMB) << 20);
    expect((seen!.Config as { NetworkDisabled?: boolean }).NetworkDisabled).toBeFalsy();
    expect(hc.PidsLimit).toBe(SMALL.pidsLimit);
    expect(hc.Memory).toBe(SMALL.memoryMB << 20);
    expect(hc.MemorySwap).toBe(SMALL.memoryMB << 20);
    expect(hc.NanoCpus).toBe(1e9);
    expect(hc.Binds).toHaveLength(1);
    expect(hc.Binds![0]).toMatch(new RegExp(`^${kit.workRoot}/[^:]+:/work:rw$`));
    expect(seen!.Config.User).toBe('65534:65534');
    expect(seen!.Config.Labels[LABEL.sandbox]).toBe('1');
    expect(seen!.Config.Labels[LABEL.ownerPid]).toBe(String(process.pid));
    expect(seen!.Config.Env).toContain('SCIENTIST_FAST=1');
  });

  it('refuses secret-looking settings before starting anything', async () => {
    await expect(kit.runPython('print(1)', {}, { env: { OPENAI_API_KEY: 'x' } })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('limits copy-back to the collect budget, smallest files first', async () => {
    const { result } = await kit.runPython(
      "open('small.txt','w').write('s')\nopen('big.bin','wb').write(b'x' * (3 << 20))\n",
      { collectBytes: 1 << 20 },
    );
    expect(result.outcome).toBe('ok');
    expect(result.collected.map((f) => f.path)).toContain('small.txt');
    expect(result.skipped).toEqual(['big.bin']);
  });

  it('pins GPUs by device request and NVIDIA_VISIBLE_DEVICES', () => {
    const hc = sandboxHostConfig({ limits: SMALL, gpuDeviceIds: ['3'] }, '/w');
    expect(hc.DeviceRequests).toEqual([{ Driver: 'nvidia', DeviceIDs: ['3'], Capabilities: [['gpu']] }]);
    expect(sandboxEnv({ env: { A: '1' }, gpuDeviceIds: ['3'] })).toEqual(['A=1', 'NVIDIA_VISIBLE_DEVICES=3']);
    expect(sandboxHostConfig({ limits: SMALL }, '/w').DeviceRequests).toBeUndefined();
  });

  it('mounts data folders read-only inside /work, and only there', () => {
    const hc = sandboxHostConfig(
      { limits: SMALL, readOnlyDirs: [{ hostPath: '/cache/abc', containerPath: '/work/data' }] },
      '/w',
    );
    expect(hc.Binds).toEqual(['/w:/work:rw', '/cache/abc:/work/data:ro']);
    for (const [hostPath, containerPath] of [
      ['/cache/abc', '/etc'],
      ['/cache/abc', '/work/../etc'],
      ['/cache/a:rw', '/work/data'],
      ['relative', '/work/data'],
    ] as const)
      expect(() =>
        sandboxHostConfig({ limits: SMALL, readOnlyDirs: [{ hostPath, containerPath }] }, '/w'),
      ).toThrow(/only plain folders under \/work\//);
  });

  it('takes its limits from config', () => {
    const limits = sandboxLimits(config, { timeoutMs: 5000 });
    expect(limits).toMatchObject({
      timeoutMs: 5000,
      workMB: config.sandbox.workMB,
      outputCapBytes: config.sandbox.outputCapMB << 20,
    });
  });

  it('runs under gVisor when the engine has runsc, and says how to register it when not', async () => {
    const info = (await kit.docker.info()) as { Runtimes?: Record<string, unknown> };
    if (info.Runtimes && 'runsc' in info.Runtimes) {
      const { result } = await kit.runPython(
        'import platform; print("kernel", platform.release())',
        {},
        { runtime: 'runsc' },
      );
      expect(result.outcome).toBe('ok');
      expect(result.log).toMatch(/kernel 4\.4\.0/); // gVisor reports its own kernel version
    } else {
      const err = await kit.runPython('print(1)', {}, { runtime: 'runsc' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/daemon\.json.*--network=none/);
    }
  });

  it('reaps containers and work areas left by a dead worker', async () => {
    const { docker } = kit;
    const deadPid = 2 ** 22 + 1; // above pid_max: never alive
    const c = await docker.createContainer({
      Image: sandboxImage(config),
      Cmd: ['sleep', '60'],
      Labels: {
        [LABEL.sandbox]: '1',
        [LABEL.host]: hostname(),
        [LABEL.ownerPid]: String(deadPid),
        [LABEL.runId]: `${kit.runIdPrefix}-orphan`,
      },
    });
    await c.start();
    const area = await createWorkArea(kit.workRoot, 'orphan', 8);
    writeFileSync(`${area.path}.owner`, String(deadPid));
    const reaper = new DockerSandboxRunner(docker, createLogger('reaper', 'warn'), {
      workRoot: kit.workRoot,
    });
    expect(await reaper.reapOrphans()).toBeGreaterThanOrEqual(2);
    expect(await kit.leftoverContainers()).toEqual([]);
    expect(existsSync(area.path)).toBe(false);
  });
});
