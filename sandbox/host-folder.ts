/**
 * The host folder of a run (SandboxRunSpec.workDir): where its inputs are staged and its outputs
 * land. The worker reads and writes it as root, so nobody else may put anything there: a folder
 * another local user can write to lets them plant a link that root then writes through (a TeX
 * log over a root-only file) or reads through (/etc/shadow stored as a figure).
 */
import { chmod, lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../lib/errors';
import { DirHandle } from './dir-handle';

/**
 * A fresh host folder for one run: `<root>/<prefix>XXXXXX`, mode 0700, under a root that is
 * itself 0700 (never a shared world-writable place such as /tmp). Remove it with
 * `removeHostFolder` when the run's outputs are stored.
 */
export async function createHostFolder(root: string, prefix: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700);
  return mkdtemp(path.join(root, prefix)); // mkdtemp creates 0700
}

export async function removeHostFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Makes `dir` private before a run uses it: it must be a real folder owned by this process's
 * user; it becomes 0700 and loses whatever a link or another user's file had put there.
 */
export async function claimHostFolder(dir: string): Promise<void> {
  const s = await lstat(dir).catch(() => null);
  const uid = process.getuid?.() ?? 0;
  if (!s?.isDirectory() || s.uid !== uid) {
    throw new InvalidInputError(
      `the sandbox host folder ${dir} must be a folder owned by the worker (uid ${uid}); create it with createHostFolder`,
    );
  }
  await chmod(dir, 0o700);
  await scrubHostFolder(dir);
}

/**
 * Removes from `dir` every entry that is not a regular file or folder owned by this process's
 * user (links, FIFOs, sockets, devices, other users' files), so that nothing opened there later
 * by name can be something a run or another user planted. Returns how many were removed.
 */
export async function scrubHostFolder(dir: string): Promise<number> {
  const uid = process.getuid?.() ?? 0;
  const root = await DirHandle.open(dir);
  let removed = 0;
  const walk = async (d: DirHandle): Promise<void> => {
    for (const e of await d.list()) {
      const s = await d.lstat(e.name);
      if (!s) continue;
      if (s.uid !== uid || !(s.isFile() || s.isDirectory())) {
        await d.remove(e.name);
        removed++;
      } else if (s.isDirectory()) {
        const sub = await d.dir(e.name);
        if (!sub) continue;
        try {
          await walk(sub);
        } finally {
          await sub.close();
        }
      }
    }
  };
  try {
    await walk(root);
  } finally {
    await root.close();
  }
  return removed;
}
