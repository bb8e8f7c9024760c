/**
 * Hosts on one machine (infra/cluster/hosts.ts), on real processes and a real container: a host
 * is killed as a whole by one write, frozen so that it stops answering while its sockets stay
 * open, and thawed; its sandbox containers follow it.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dockerClient } from '../../infra/dev/services';
import {
  createHost,
  freezeHost,
  hostPids,
  killHost,
  removeHost,
  spawnInHost,
  thawHost,
  type Host,
} from '../../infra/cluster/hosts';
import { LABEL, sandboxImage } from '../../sandbox';
import { suiteConfig, uniqueId } from '../harness';

/** A loopback echo server that also forks a child (grandchildren must die with the host). */
const SERVER = `
const net = require('node:net');
const { spawn } = require('node:child_process');
spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
net.createServer((s) => s.on('data', (d) => s.write(d))).listen(0, '127.0.0.1', function () {
  console.log('port ' + this.address().port);
});
`;

/** 'silent': the connection opened (the socket is alive) but no reply came. */
function echo(port: number, timeoutMs: number): Promise<'answered' | 'silent' | 'unconnected' | 'refused'> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let connected = false;
    const timer = setTimeout(() => {
      s.destroy();
      resolve(connected ? 'silent' : 'unconnected');
    }, timeoutMs);
    s.once('connect', () => {
      connected = true;
      s.write('ping');
    });
    s.once('data', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('answered');
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve('refused');
    });
  });
}

/** Running (a zombie not yet reaped by its parent is dead). */
const alive = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

describe('hosts: a process group in its own cgroup, killed or frozen as a whole', () => {
  const config = suiteConfig('hosts');
  const docker = dockerClient(config);
  const group = uniqueId('hosts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hosts-'));
  const hosts: Host[] = [];

  afterAll(async () => {
    for (const h of hosts) await removeHost(h, docker);
    rmSync(dir, { recursive: true, force: true });
  });

  async function startServer(h: Host): Promise<{ pid: number; port: number }> {
    const child = spawnInHost(h, 'echo', process.execPath, ['-e', SERVER]);
    const logFile = path.join(h.dataDir, 'logs', 'echo.log');
    for (let i = 0; i < 200; i++) {
      const m = /port (\d+)/.exec(readFileSync(logFile, 'utf8'));
      if (m) return { pid: child.pid!, port: Number(m[1]) };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the echo server did not start');
  }

  /** A sandbox-labelled container owned by a process of the host, as the runner makes them. */
  async function hostContainer(ownerPid: number): Promise<string> {
    const c = await docker.createContainer({
      Image: sandboxImage(config),
      Cmd: ['sleep', '300'],
      Labels: { [LABEL.sandbox]: '1', [LABEL.ownerPid]: String(ownerPid), [LABEL.runId]: group },
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    await c.start();
    return c.id;
  }

  it('freezes a host (connections open, nothing answers, its container paused), thaws it, then kills it whole', async () => {
    const h = createHost(group, 'gpu-a', path.join(dir, 'gpu-a'), 2);
    hosts.push(h);
    const other = createHost(group, 'gpu-b', path.join(dir, 'gpu-b'), 2);
    hosts.push(other);
    const server = await startServer(h);
    const bystander = await startServer(other);
    expect(hostPids(h)).toContain(server.pid);
    expect(hostPids(h).length).toBe(2); // the server and the child it forked
    const container = await hostContainer(server.pid);
    expect(await echo(server.port, 2000)).toBe('answered');

    await freezeHost(h, docker);
    expect(await echo(server.port, 1500)).toBe('silent'); // a hang, not a refusal
    expect((await docker.getContainer(container).inspect()).State.Paused).toBe(true);
    expect(await echo(bystander.port, 2000)).toBe('answered');

    await thawHost(h, docker);
    expect(await echo(server.port, 2000)).toBe('answered');
    expect((await docker.getContainer(container).inspect()).State.Paused).toBe(false);

    const pids = hostPids(h);
    expect(await killHost(h, docker)).toBe(2);
    expect(pids.filter(alive)).toEqual([]);
    expect(hostPids(h)).toEqual([]);
    expect(await echo(server.port, 1000)).toBe('refused');
    await expect(docker.getContainer(container).inspect()).rejects.toThrow(/no such container/i);
    // The other host did not notice.
    expect(await echo(bystander.port, 2000)).toBe('answered');
  });

  it('kills a frozen host too (a hung machine that is then powered off)', async () => {
    const h = createHost(group, 'hung', path.join(dir, 'hung'));
    hosts.push(h);
    const server = await startServer(h);
    await freezeHost(h);
    expect(await killHost(h)).toBe(2);
    expect(alive(server.pid)).toBe(false);
  });
});
