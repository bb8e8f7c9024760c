/**
 * A directory held open by handle, so that what a sandbox does to its paths cannot redirect the
 * host. The worker runs as root, outside the container, while the code inside may rename, swap
 * or replace any folder under /work at any moment (`renameat2(RENAME_EXCHANGE)` with a symlink
 * in a tight loop). A check-then-open by path loses that race; a walk by handle cannot:
 *
 * - every step opens ONE name relative to an already open directory, with O_NOFOLLOW, through
 *   `/proc/self/fd/<fd>/<name>` (Node has no openat; the kernel follows the fd's magic link to
 *   the very directory we hold, and O_NOFOLLOW refuses a link as the last component);
 * - what was opened is then checked on the handle itself (fstat): a directory or a regular file,
 *   on the same device as the root (a bind-mounted sandbox area cannot rename anything off its
 *   own file system, so a handle on its device is a handle on the run's own files);
 * - a swap after the open changes nothing: the handle keeps pointing at the inode it opened.
 *
 * Names are Buffers: a run may create names that are not UTF-8, which Node's strings would
 * silently mangle into a different path.
 */
import { constants, type OpenDirOptions, type Stats } from 'node:fs';
import { lstat, mkdir, open, opendir, readdir, rmdir, unlink, type FileHandle } from 'node:fs/promises';

const { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } =
  constants;

export type EntryKind = 'file' | 'dir' | 'other';

export interface DirEntry {
  name: Buffer;
  kind: EntryKind;
}

/** An open directory; every path operation is relative to it and follows no link. */
export class DirHandle {
  private constructor(
    private readonly fh: FileHandle,
    /** Device of the tree's root: children on another device are refused. */
    readonly dev: number,
  ) {}

  /**
   * Opens `absPath` as the root of a walk. With `dev`, the folder must live on that device
   * (e.g. a work area's own file system). The last component must not be a link.
   */
  static async open(absPath: string, dev?: number): Promise<DirHandle> {
    const fh = await open(absPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    const s = await fh.stat().catch(async (err: unknown) => {
      await fh.close();
      throw err;
    });
    if (dev !== undefined && s.dev !== dev) {
      await fh.close();
      throw new Error(`${absPath} is not on the expected device`);
    }
    return new DirHandle(fh, s.dev);
  }

  /** The kernel path of one entry of this directory; refuses anything but a single name. */
  private at(name: Buffer | string): Buffer {
    const n = typeof name === 'string' ? Buffer.from(name) : name;
    if (!isSingleName(n)) throw new Error(`not a single path component: ${printable(n)}`);
    return Buffer.concat([Buffer.from(`/proc/self/fd/${this.fh.fd}/`), n]);
  }

  /** The entries of this directory (the kinds are as the file system reports them, unverified). */
  async list(): Promise<DirEntry[]> {
    const entries = await readdir(Buffer.from(`/proc/self/fd/${this.fh.fd}`), {
      withFileTypes: true,
      encoding: 'buffer',
    });
    return entries.map((e) => ({
      name: e.name,
      kind: e.isFile() ? 'file' : e.isDirectory() ? 'dir' : 'other',
    }));
  }

  /**
   * The entries one by one (a folder of 100 k names is never held at once, and the caller may
   * stop early); kinds as the file system reports them, unverified.
   */
  async *entries(): AsyncGenerator<DirEntry> {
    const options = { encoding: 'buffer', bufferSize: 256 } as unknown as OpenDirOptions;
    for await (const e of await opendir(`/proc/self/fd/${this.fh.fd}`, options)) {
      const name = e.name as unknown as Buffer; // encoding 'buffer': names as the kernel has them
      yield { name, kind: e.isFile() ? 'file' : e.isDirectory() ? 'dir' : 'other' };
    }
  }

  /** Stat of an entry itself (a link is not followed); null when missing. */
  async lstat(name: Buffer | string): Promise<Stats | null> {
    return lstat(this.at(name)).catch(() => null);
  }

  /** The sub-folder `name`, or null if it is missing, a link, not a folder, or on another device. */
  async dir(name: Buffer | string): Promise<DirHandle | null> {
    let fh: FileHandle;
    try {
      fh = await open(this.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch {
      return null;
    }
    const s = await fh.stat().catch(() => null);
    if (!s?.isDirectory() || s.dev !== this.dev) {
      await fh.close();
      return null;
    }
    return new DirHandle(fh, this.dev);
  }

  /** Opens the regular file `name` for reading; null if missing, a link, special or foreign. */
  async openFile(name: Buffer | string): Promise<{ fh: FileHandle; stats: Stats } | null> {
    let fh: FileHandle;
    try {
      // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
      fh = await open(this.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch {
      return null;
    }
    const stats = await fh.stat().catch(() => null);
    if (!stats?.isFile() || stats.dev !== this.dev) {
      await fh.close();
      return null;
    }
    return { fh, stats };
  }

  /**
   * The bytes of the regular file `name`, never more than `maxBytes` (a file that grows while
   * it is read is refused, not truncated): null when not a regular file of this tree.
   */
  async readFile(name: Buffer | string, maxBytes: number): Promise<Buffer | 'too-large' | null> {
    const opened = await this.openFile(name);
    if (!opened) return null;
    const { fh, stats } = opened;
    try {
      if (stats.size > maxBytes) return 'too-large';
      const buf = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
      let got = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
        if (got > maxBytes) return 'too-large';
        if (got === buf.length) break; // grew past its stat size: the check above decides
      }
      return got > maxBytes ? 'too-large' : buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  }

  /** Opens the sub-folder `name`, creating it (0700) if missing; null if something else is there. */
  async ensureDir(name: Buffer | string): Promise<DirHandle | null> {
    await mkdir(this.at(name), { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    return this.dir(name);
  }

  /**
   * Opens the regular file `name` for writing (0600, truncated), replacing a regular file of that
   * name; null when a folder, link or special file is in the way (nothing is followed).
   */
  async createFile(name: Buffer | string): Promise<FileHandle | null> {
    const existing = await this.lstat(name);
    if (existing && !existing.isFile()) return null;
    let fh: FileHandle;
    try {
      fh = await open(
        this.at(name),
        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | (existing ? 0 : O_EXCL),
        0o600,
      );
    } catch (err) {
      // Replaced by a link or folder since the lstat: refused, never followed.
      if (['ELOOP', 'EISDIR', 'EEXIST', 'ENXIO'].includes((err as NodeJS.ErrnoException).code ?? ''))
        return null;
      throw err;
    }
    const s = await fh.stat().catch(() => null);
    if (!s?.isFile() || s.dev !== this.dev) {
      await fh.close();
      return null;
    }
    return fh;
  }

  /** Removes the entry `name`: a folder with everything in it, a link itself (never its target). */
  async remove(name: Buffer | string): Promise<void> {
    const s = await this.lstat(name);
    if (!s) return;
    if (!s.isDirectory()) return unlink(this.at(name));
    const sub = await this.dir(name);
    if (sub) {
      try {
        for (const e of await sub.list()) await sub.remove(e.name);
      } finally {
        await sub.close();
      }
    }
    await rmdir(this.at(name));
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/** One path component: not empty, not `.` or `..`, no `/` or NUL. */
function isSingleName(n: Buffer): boolean {
  if (n.length === 0 || n.includes(0x2f) || n.includes(0)) return false;
  return !(n.length <= 2 && n.every((b) => b === 0x2e));
}

/** A control character (C0 or DEL): never part of a name the host passes on. */
export function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/** A name as text for messages and lists: invalid UTF-8 and control bytes as \xNN. */
export function printable(name: Buffer): string {
  const hex = (c: number) => `\\x${c.toString(16).padStart(2, '0')}`;
  const text = name.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(name)) {
    return [...text].map((ch) => (isControl(ch.charCodeAt(0)) ? hex(ch.charCodeAt(0)) : ch)).join('');
  }
  return [...name]
    .map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : hex(b)))
    .join('');
}
