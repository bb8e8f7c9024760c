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
import { constants } from 'node:fs';
import {
  chown,
  lstat,
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
import type { LiveWorkArea } from './runner';

const run = promisify(execFile);
/** The container user (`nobody`), who must own /work. */
export const SANDBOX_UID = 65534;

export interface WorkArea extends LiveWorkArea {
  /** Host path of the mounted area (bind-mounted at /work). */
  readonly path: string;
  readonly sizeMB: number;
  /** True when the area is (nearly) full: free space under 1 MB or 1 %. */
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
  let released = false;
  return {
    path: dir,
    sizeMB,
    stat: (rel) => statRegular(dir, rel),
    read: (rel, maxBytes) => readRegular(dir, rel, maxBytes),
    async isFull() {
      const s = await statfs(dir);
      const free = s.bavail * s.bsize;
      return sizeMB > 0 && (free < 1024 * 1024 || free < 0.01 * s.blocks * s.bsize);
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

/**
 * Copies regular files out of the area into `to`, smallest first, until `budgetBytes` is spent.
 * Links and special files are never followed or copied: the code inside may have planted a link
 * to a host path.
 */
export async function copyOut(
  area: WorkArea,
  to: string,
  budgetBytes: number,
): Promise<{ collected: { path: string; bytes: number }[]; skipped: string[] }> {
  const files: { path: string; bytes: number }[] = [];
  const skipped: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(area.path, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      if (entry.isDirectory()) await walk(r);
      else if (entry.isFile()) files.push({ path: r, bytes: (await lstat(path.join(area.path, r))).size });
      else skipped.push(r);
    }
  };
  await walk('');
  files.sort((a, b) => a.bytes - b.bytes);
  const collected: { path: string; bytes: number }[] = [];
  let spent = 0;
  for (const f of files) {
    if (spent + f.bytes > budgetBytes) {
      skipped.push(f.path);
      continue;
    }
    const buf = await readRegular(area.path, f.path, budgetBytes - spent);
    if (!buf) {
      skipped.push(f.path);
      continue;
    }
    const dest = path.join(to, f.path);
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, buf);
    spent += buf.length;
    collected.push({ path: f.path, bytes: buf.length });
  }
  return { collected, skipped };
}

function resolveInside(root: string, rel: string): string | null {
  const abs = path.resolve(root, rel);
  return abs.startsWith(root + path.sep) ? abs : null;
}

async function statRegular(root: string, rel: string): Promise<{ bytes: number; mtimeMs: number } | null> {
  const abs = resolveInside(root, rel);
  if (!abs || !(await parentsAreDirs(root, abs))) return null;
  try {
    const s = await lstat(abs);
    return s.isFile() ? { bytes: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

async function readRegular(root: string, rel: string, maxBytes: number): Promise<Buffer | null> {
  const abs = resolveInside(root, rel);
  if (!abs || !(await parentsAreDirs(root, abs))) return null;
  let fh;
  try {
    fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const s = await fh.stat();
    if (!s.isFile() || s.size > maxBytes) return null;
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Every folder between root and the file is a real folder, not a link out of the area. */
async function parentsAreDirs(root: string, abs: string): Promise<boolean> {
  let dir = path.dirname(abs);
  while (dir.length > root.length) {
    try {
      if (!(await lstat(dir)).isDirectory()) return false;
    } catch {
      return false;
    }
    dir = path.dirname(dir);
  }
  return (await stat(root)).isDirectory();
}
