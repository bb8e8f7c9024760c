import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../lib/errors';
import type { WorkspaceManifest } from '../../contracts';
import type { ArtifactStore } from '../../lib/store';

/** A workspace: relative file path (POSIX, e.g. `experiment.py`, `run_0/final_info.json`) → artifact key. */
export type { WorkspaceManifest };

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9_.\-/ ]+$/;

/** Rejects paths that could escape the workspace folder. */
export function checkManifest(manifest: WorkspaceManifest): void {
  const bad = Object.keys(manifest).filter((p) => !SAFE_PATH.test(p) || p.endsWith('/'));
  if (bad.length)
    throw new InvalidInputError(
      `workspace paths must be relative file paths inside the workspace: ${bad.join(', ')}`,
    );
  if (!Object.keys(manifest).length)
    throw new InvalidInputError('the workspace is empty: it needs at least experiment.py');
}

/** Fetches every file of the manifest into `dir`; returns the sha256 of each (for cache keys). */
export async function fetchWorkspace(
  store: ArtifactStore,
  manifest: WorkspaceManifest,
  dir: string,
): Promise<Record<string, string>> {
  checkManifest(manifest);
  const hashes: Record<string, string> = {};
  for (const [rel, key] of Object.entries(manifest)) {
    const body = await store.get(key);
    const file = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
    hashes[rel] = createHash('sha256').update(body).digest('hex');
  }
  return hashes;
}

/** One hash for a set of files and the flags that change what they compute. */
export function workspaceHash(fileHashes: Record<string, string>, flags: Record<string, unknown>): string {
  const h = createHash('sha256');
  for (const rel of Object.keys(fileHashes).sort()) h.update(`${rel}\0${fileHashes[rel]}\n`);
  h.update(JSON.stringify(flags));
  return h.digest('hex');
}
