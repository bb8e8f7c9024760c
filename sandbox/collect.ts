/**
 * Reading back what a run wrote: every read goes through DirHandle (one no-follow step at a time
 * from the work area's root, on the area's own device), and what comes back is bounded in
 * count, depth, name, path length and bytes. What is left behind is listed with the reason, for
 * the log and for the code's author.
 */
import type { FileHandle } from 'node:fs/promises';
import { DirHandle, isControl, printable } from './dir-handle';

/** Caps on what a run's /work gives back. The byte budget is SandboxLimits.collectBytes. */
export const COLLECT_CAPS = {
  /** Files copied back at most; the smallest first. */
  files: 1000,
  /** Names looked at before the walk stops (an inode-exhaustion run leaves 100 k+). */
  entries: 20_000,
  /** Folders below /work. */
  depth: 16,
  /** Bytes of a relative path (far below the host's PATH_MAX once under the host folder). */
  pathBytes: 1024,
} as const;

/** Paths listed in SandboxResult.skipped at most; the log says how many more. */
export const SKIPPED_LISTED = 100;

export interface Collected {
  collected: { path: string; bytes: number }[];
  skipped: { path: string; why: string }[];
}

/** A relative path's segments, and its text (valid UTF-8, `/`-separated). */
interface Found {
  segments: Buffer[];
  path: string;
  bytes: number;
}

/** Why a name cannot travel to the host as it is; null when it can. */
function badName(name: Buffer): string | null {
  const text = name.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(name)) return 'its name is not valid UTF-8';
  if ([...text].some((ch) => isControl(ch.charCodeAt(0)))) return 'its name has control characters';
  return null;
}

/**
 * Copies the regular files under the work area root `areaPath` (device `dev`) into the host
 * folder `to`, smallest first, within `budgetBytes` and COLLECT_CAPS. Links, special files,
 * odd names and conflicts with the host copy (a file where the host has a folder) are skipped.
 */
export async function copyOut(
  areaPath: string,
  dev: number,
  to: string,
  budgetBytes: number,
): Promise<Collected> {
  const skipped: Collected['skipped'] = [];
  const files: Found[] = [];
  let seen = 0;
  let stopped = false;

  const walk = async (dir: DirHandle, segs: Buffer[], rel: string, depth: number): Promise<void> => {
    for await (const e of dir.entries()) {
      if (++seen > COLLECT_CAPS.entries) {
        stopped = true;
        return;
      }
      const why = badName(e.name);
      const p = (rel ? `${rel}/` : '') + (why ? printable(e.name) : e.name.toString('utf8'));
      if (why) {
        skipped.push({ path: p, why });
        continue;
      }
      if (Buffer.byteLength(p) > COLLECT_CAPS.pathBytes) {
        skipped.push({
          path: `${p.slice(0, 200)}…`,
          why: `its path is longer than ${COLLECT_CAPS.pathBytes} bytes`,
        });
        continue;
      }
      const s = await dir.lstat(e.name);
      if (s?.isDirectory()) {
        if (depth >= COLLECT_CAPS.depth) {
          skipped.push({ path: `${p}/`, why: `it is deeper than ${COLLECT_CAPS.depth} folders` });
          continue;
        }
        const sub = await dir.dir(e.name);
        if (!sub) {
          skipped.push({ path: `${p}/`, why: 'it changed while it was read' });
          continue;
        }
        try {
          await walk(sub, [...segs, e.name], p, depth + 1);
        } finally {
          await sub.close();
        }
        if (stopped) return;
      } else if (s?.isFile()) {
        files.push({ segments: [...segs, e.name], path: p, bytes: s.size });
      } else if (s) {
        skipped.push({ path: p, why: 'it is a link or special file' });
      }
    }
  };

  const root = await DirHandle.open(areaPath, dev);
  const dest = await DirHandle.open(to);
  const collected: Collected['collected'] = [];
  try {
    await walk(root, [], '', 0);
    if (stopped)
      skipped.push({
        path: '…',
        why: `the walk stopped after ${COLLECT_CAPS.entries} names; the rest was not looked at`,
      });
    files.sort((a, b) => a.bytes - b.bytes);
    let spent = 0;
    for (const f of files) {
      if (collected.length >= COLLECT_CAPS.files) {
        skipped.push({ path: f.path, why: `over the ${COLLECT_CAPS.files}-file limit` });
        continue;
      }
      if (spent + f.bytes > budgetBytes) {
        skipped.push({ path: f.path, why: `over the ${budgetBytes}-byte collect budget` });
        continue;
      }
      const why = await copyOne(root, dest, f.segments, budgetBytes - spent, (bytes) => {
        spent += bytes;
        collected.push({ path: f.path, bytes });
      });
      if (why) skipped.push({ path: f.path, why });
    }
  } finally {
    await root.close();
    await dest.close();
  }
  return { collected, skipped };
}

/** Copies one file by handle; returns why it was not copied, or null. */
async function copyOne(
  from: DirHandle,
  to: DirHandle,
  segments: Buffer[],
  maxBytes: number,
  done: (bytes: number) => void,
): Promise<string | null> {
  const opened: DirHandle[] = [];
  try {
    let src = from;
    let dst = to;
    for (const seg of segments.slice(0, -1)) {
      const s = await src.dir(seg);
      if (!s) return 'it changed while it was read';
      opened.push(s);
      const d = await dst.ensureDir(seg);
      if (!d) return 'a file of the host copy has its folder name';
      opened.push(d);
      src = s;
      dst = d;
    }
    const name = segments[segments.length - 1]!;
    const source = await src.openFile(name);
    if (!source) return 'it changed while it was read';
    try {
      if (source.stats.size > maxBytes) return 'it grew past the collect budget while it was read';
      const target = await dst.createFile(name);
      if (!target) return 'a folder of the host copy has its name';
      try {
        const copied = await copyBounded(source.fh, target, maxBytes);
        if (copied === null) {
          await dst.remove(name); // no partial file for a later reader to take as output
          return 'it grew past the collect budget while it was read';
        }
        done(copied);
        return null;
      } finally {
        await target.close();
      }
    } finally {
      await source.fh.close();
    }
  } finally {
    for (const d of opened) await d.close();
  }
}

const CHUNK_BYTES = 1024 * 1024;

/** Copies in 1 MB chunks (bounded memory); null when the source holds more than `maxBytes`. */
async function copyBounded(from: FileHandle, to: FileHandle, maxBytes: number): Promise<number | null> {
  const buf = Buffer.alloc(CHUNK_BYTES);
  let total = 0;
  for (;;) {
    const { bytesRead } = await from.read(buf, 0, buf.length, total);
    if (bytesRead === 0) return total;
    total += bytesRead;
    if (total > maxBytes) return null;
    await to.write(buf, 0, bytesRead, total - bytesRead);
  }
}

/**
 * The folder holding `relPath` inside a work area (opened by handle) and the file's last name;
 * null when the path is not a plain relative path or a folder on the way is not a real folder.
 * The caller closes the handle.
 */
export async function openParent(
  areaPath: string,
  dev: number,
  relPath: string,
): Promise<{ dir: DirHandle; name: string } | null> {
  const segs = relPath.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return null;
  let dir = await DirHandle.open(areaPath, dev);
  for (const seg of segs.slice(0, -1)) {
    const sub = await dir.dir(seg);
    await dir.close();
    if (!sub) return null;
    dir = sub;
  }
  return { dir, name: segs[segs.length - 1]! };
}
