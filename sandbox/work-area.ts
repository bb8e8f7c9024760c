/**
 * The container's writable /work: a size-limited ext4 file system in an image file, loop-mounted
 * on the host and bind-mounted into the container.
 *
 * Why this and not the alternatives, on Docker 20.10 / cgroup v1 / overlay2 on ext4:
 * - a bind mount of a plain folder cannot be size-limited, and overlay2's `--storage-opt size`
 *   needs XFS with project quotas (the backing file system here is ext4);
 * - a tmpfs (or a tmpfs-backed volume) is charged to the container's memory, vanishes when the
 *   container stops (outputs and the last checkpoint of a killed run would be lost), and Docker
 *   cannot copy into a HostConfig tmpfs of a read-only container;
 * - an ext4 image gives a hard ENOSPC at the configured size, costs disk not RAM, survives the
 *   container so outputs can be collected after a timeout or OOM kill, and the host can watch
 *   it (checkpoints) without round trips through the engine. Creating and mounting one takes
 *   tens of milliseconds. The price: the worker needs root (CAP_SYS_ADMIN) for `mount`; it
 *   holds the Docker socket, which is root-equivalent anyway. workMB = 0 falls back to a plain
 *   folder for unprivileged development.
 */
import { execFile } from 'node:child_process';
import {
  chown,
  mkdir,
  open,
  readdir,
  readFile,
  rm,
  stat,
  statfs,
  writeFile,
  copyFile,
} from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { openParent } from './collect';
import type { LiveWorkArea } from './runner';

const run = promisify(execFile);
/** The container user (`nobody`), who must own /work. */
export const SANDBOX_UID = 65534;

export interface WorkArea extends LiveWorkArea {
  /** Host path of the mounted area (bind-mounted at /work). */
  readonly path: string;
  readonly sizeMB: number;
  /** Device of the area's file system: every file read back must live on it. */
  readonly dev: number;
  /** True when the area is (nearly) full: free space or free inodes under 1 MB / 64 or 1 %. */
  isFull(): Promise<boolean>;
  /** Unmounts and deletes the area. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * Creates `<root>/<name>` as a fresh work area of `sizeMB` (0 = plain folder), owned by the
 * sandbox user, with an owner file naming this process so a later worker can reap it.
 */
export async function createWorkArea(root: string, name: string, sizeMB: number): Promise<WorkArea> {
  await mkdir(root, { recursive: true });
  const dir = path.join(root, name);
  await destroy(dir); // a retried attempt replaces what its predecessor left
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}.owner`, String(process.pid));
  if (sizeMB > 0) {
    const image = `${dir}.img`;
    const fh = await open(image, 'w');
    await fh.truncate(sizeMB * 1024 * 1024); // sparse: disk is used only as the run writes
    await fh.close();
    // No journal (a throwaway file system), no reserved blocks, root directory owned by nobody.
    await run('mkfs.ext4', [
      '-q',
      '-F',
      '-m',
      '0',
      '-O',
      '^has_journal',
      '-E',
      `root_owner=${SANDBOX_UID}:${SANDBOX_UID}`,
      image,
    ]);
    await run('mount', ['-o', 'loop,nosuid,nodev', image, dir]);
    await rm(path.join(dir, 'lost+found'), { recursive: true, force: true });
  }
  await chown(dir, SANDBOX_UID, SANDBOX_UID);
  const { dev } = await stat(dir);
  let released = false;
  return {
    path: dir,
    sizeMB,
    dev,
    stat: (rel) => statRegular(dir, dev, rel),
    read: (rel, maxBytes) => readRegular(dir, dev, rel, maxBytes),
    async isFull() {
      const s = await statfs(dir);
      const free = s.bavail * s.bsize;
      const blocksOut = free < 1024 * 1024 || free < 0.01 * s.blocks * s.bsize;
      // An inode-exhaustion run fills the table, not the blocks (ENOSPC all the same).
      const inodesOut = s.files > 0 && (s.ffree < 64 || s.ffree < 0.01 * s.files);
      return sizeMB > 0 && (blocksOut || inodesOut);
    },
    async release() {
      if (released) return;
      released = true;
      await destroy(dir);
    },
  };
}

/** Unmounts (if mounted) and deletes a work area and its image and owner files. */
async function destroy(dir: string): Promise<void> {
  if (await isMountPoint(dir)) {
    await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
  }
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.img`, { force: true });
  await rm(`${dir}.owner`, { force: true });
}

async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    return mounts.split('\n').some((l) => l.split(' ')[4] === dir);
  } catch {
    return false;
  }
}

/** Removes work areas under `root` whose owning process is gone; returns how many. */
export async function reapWorkAreas(root: string, isAlive: (pid: number) => boolean): Promise<number> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const f of names.filter((n) => n.endsWith('.owner'))) {
    const pid = Number(await readFile(path.join(root, f), 'utf8').catch(() => ''));
    if (pid === process.pid || isAlive(pid)) continue;
    await destroy(path.join(root, f.slice(0, -'.owner'.length)));
    removed++;
  }
  return removed;
}

/** Copies the regular files and folders of `from` into the area, owned by the sandbox user. */
export async function copyInto(area: WorkArea, from: string): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(from, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      const dest = path.join(area.path, r);
      if (entry.isDirectory()) {
        await mkdir(dest);
        await chown(dest, SANDBOX_UID, SANDBOX_UID);
        await walk(r);
      } else if (entry.isFile()) {
        await copyFile(path.join(from, r), dest);
        await chown(dest, SANDBOX_UID, SANDBOX_UID);
      }
    }
  };
  await walk('');
}

/** Live reads go through handles (see dir-handle.ts): the running code cannot redirect them. */
async function statRegular(
  root: string,
  dev: number,
  rel: string,
): Promise<{ bytes: number; mtimeMs: number } | null> {
  const at = await openParent(root, dev, rel).catch(() => null);
  if (!at) return null;
  try {
    const opened = await at.dir.openFile(at.name);
    if (!opened) return null;
    await opened.fh.close();
    return { bytes: opened.stats.size, mtimeMs: opened.stats.mtimeMs };
  } finally {
    await at.dir.close();
  }
}

async function readRegular(root: string, dev: number, rel: string, maxBytes: number): Promise<Buffer | null> {
  const at = await openParent(root, dev, rel).catch(() => null);
  if (!at) return null;
  try {
    const bytes = await at.dir.readFile(at.name, maxBytes);
    return Buffer.isBuffer(bytes) ? bytes : null;
  } finally {
    await at.dir.close();
  }
}
