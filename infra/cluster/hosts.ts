/**
 * Hosts on one machine: a host is a group of processes with its own data folder, its own worker
 * processes and GPU slots, and its own cgroup (v2), so that it can be killed as a whole with one
 * write (cgroup.kill: SIGKILL to every process in it) or frozen (cgroup.freeze: it stops
 * answering while its sockets stay open, as in a hang or a partition). Its sandbox containers are
 * children of the Docker engine, not of the host's cgroup, so they are found by the owner pid the
 * runner labels them with: killing a host removes them (the machine is gone), freezing it pauses
 * them. All traffic stays on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { PROJECT_ROOT } from '../../lib/paths';
import { LABEL } from '../../sandbox/docker-runner';
import { reapWorkAreas } from '../../sandbox/work-area';

/** The cgroup v2 hierarchy: /sys/fs/cgroup on a pure-v2 machine, /sys/fs/cgroup/unified on a hybrid one. */
export function cgroup2Root(): string {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  const line = mounts.find((l) => l.split(' ')[2] === 'cgroup2');
  if (!line)
    throw new Error('no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup/unified)');
  const mount = line.split(' ')[1]!;
  // Our own place in it: hosts go below it, inside what we were delegated.
  const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  return path.join(mount, own);
}

export interface Host {
  name: string;
  /** The host's data folder (SCIENTIST_DATA_DIR of its processes). */
  dataDir: string;
  cgroup: string;
  /** SCIENTIST_GPU_COUNT of its GPU worker: GPUs it serves; 0 = CPU mode, with SCIENTIST_CPU_SLOTS slots. */
  gpuSlots: number;
}

/** Creates (or reuses) the host's folder and cgroup under <root>/durable-scientist-hosts/<group>/. */
export function createHost(group: string, name: string, dataDir: string, gpuSlots = 0): Host {
  const parent = path.join(cgroup2Root(), 'durable-scientist-hosts', group);
  const cgroup = path.join(parent, name);
  try {
    mkdirSync(cgroup, { recursive: true });
  } catch (err) {
    throw new Error(
      `cannot create cgroup ${cgroup} (${(err as Error).message}): run as root, or delegate a cgroup v2 subtree to this user (systemd: Delegate=yes)`,
    );
  }
  if (!existsSync(path.join(cgroup, 'cgroup.freeze')) || !existsSync(path.join(cgroup, 'cgroup.kill')))
    throw new Error(
      `cgroup ${cgroup} has no cgroup.freeze / cgroup.kill: the kernel needs cgroup v2 (5.14 or later)`,
    );
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  return { name, dataDir, cgroup, gpuSlots };
}

/** Every process in the host's cgroup. */
export function hostPids(h: Host): number[] {
  if (!existsSync(path.join(h.cgroup, 'cgroup.procs'))) return [];
  return readFileSync(path.join(h.cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
}

/**
 * Starts a process inside the host: a shell moves itself into the cgroup and then execs the
 * command, so that the process and everything it forks belong to the host from the first
 * instruction. Output goes to <dataDir>/logs/<name>.log.
 */
export function spawnInHost(
  h: Host,
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): ChildProcess {
  const fd = openSync(path.join(h.dataDir, 'logs', `${name}.log`), 'a');
  const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', h.cgroup, cmd, ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, SCIENTIST_DATA_DIR: h.dataDir, ...env },
  });
  closeSync(fd);
  return child;
}

/** A worker of the project (workers/main.ts or workers/gpu.ts) on the host, as in production. */
export function startHostWorker(
  h: Host,
  role: 'main' | 'gpu',
  env: Record<string, string>,
  name = `${role}-worker`,
): ChildProcess {
  return spawnInHost(h, name, process.execPath, ['--import', 'tsx', path.join('workers', `${role}.ts`)], {
    ...(role === 'gpu' ? { SCIENTIST_GPU_COUNT: String(h.gpuSlots) } : {}),
    ...env,
  });
}

/** Sandbox containers whose owner process ran on the host (pids taken before any kill). */
async function hostContainers(docker: Docker, pids: number[]): Promise<string[]> {
  if (pids.length === 0) return [];
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.sandbox}=1`] } });
  const owned = new Set(pids.map(String));
  return list.filter((c) => owned.has(c.Labels[LABEL.ownerPid] ?? '')).map((c) => c.Id);
}

const waitUntil = async (cond: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const events = (h: Host) => readFileSync(path.join(h.cgroup, 'cgroup.events'), 'utf8');

/** The host dies: SIGKILL to every process in it at once, and its sandbox containers go with it. */
export async function killHost(h: Host, docker?: Docker): Promise<number> {
  const pids = hostPids(h);
  const containers = docker ? await hostContainers(docker, pids) : [];
  // A frozen host dies too: cgroup.kill reaches frozen tasks.
  writeFileSync(path.join(h.cgroup, 'cgroup.kill'), '1');
  await waitUntil(() => /populated 0/.test(events(h)), 10_000, `host ${h.name} did not empty`);
  if (docker)
    await Promise.all(
      containers.map((id) =>
        docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  return pids.length;
}

/** The host hangs: every process stops (sockets stay open), and so do its containers. */
export async function freezeHost(h: Host, docker?: Docker): Promise<void> {
  const containers = docker ? await hostContainers(docker, hostPids(h)) : [];
  writeFileSync(path.join(h.cgroup, 'cgroup.freeze'), '1');
  await waitUntil(() => /frozen 1/.test(events(h)), 10_000, `host ${h.name} did not freeze`);
  if (docker)
    await Promise.all(
      containers.map((id) =>
        docker
          .getContainer(id)
          .pause()
          .catch(() => undefined),
      ),
    );
}

export async function thawHost(h: Host, docker?: Docker): Promise<void> {
  if (docker) {
    const list = await docker.listContainers({
      filters: { label: [`${LABEL.sandbox}=1`], status: ['paused'] },
    });
    const owned = new Set(hostPids(h).map(String));
    await Promise.all(
      list
        .filter((c) => owned.has(c.Labels[LABEL.ownerPid] ?? ''))
        .map((c) =>
          docker
            .getContainer(c.Id)
            .unpause()
            .catch(() => undefined),
        ),
    );
  }
  writeFileSync(path.join(h.cgroup, 'cgroup.freeze'), '0');
  await waitUntil(() => /frozen 0/.test(events(h)), 10_000, `host ${h.name} did not thaw`);
}

export const isFrozen = (h: Host) => /frozen 1/.test(events(h));

/**
 * Kills what is left in the host and removes its cgroup (teardown), and the sandbox work areas its
 * workers left mounted (a killed worker never unmounts them; a restarted one would reap them).
 */
export async function removeHost(h: Host, docker?: Docker): Promise<void> {
  if (!existsSync(h.cgroup)) return;
  if (isFrozen(h)) writeFileSync(path.join(h.cgroup, 'cgroup.freeze'), '0');
  if (hostPids(h).length) await killHost(h, docker);
  await reapWorkAreas(path.join(h.dataDir, 'sandbox-work'), () => false);
  rmdirSync(h.cgroup);
  // The group's folder goes with its last host.
  try {
    rmdirSync(path.dirname(h.cgroup));
  } catch {
    /* other hosts of the group remain */
  }
}
