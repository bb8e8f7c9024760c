/**
 * A template's data folders (template.json `data`) at run time: fetched from the store once per
 * worker into a read-only cache folder named by their content, then mounted read-only where the
 * code expects them (e.g. /work/data), instead of being copied into every run's /work.
 */
import { randomBytes, createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../lib/config';
import type { ArtifactStore } from '../../lib/store';
import type { WorkspaceManifest } from '../../contracts';
import { parseTemplateManifest, TEMPLATE_MANIFEST_FILE } from './template-manifest';
import { fetchWorkspace } from './workspace';

export interface TemplateData {
  /** The workspace without the data folders' files: what is copied into /work. */
  copied: WorkspaceManifest;
  /** Host folder → /work/<folder>, read-only. */
  mounts: { hostPath: string; containerPath: string }[];
}

/** The data folders template.json names in this workspace ([] without a manifest). */
export async function dataFolders(store: ArtifactStore, workspace: WorkspaceManifest): Promise<string[]> {
  const key = workspace[TEMPLATE_MANIFEST_FILE];
  if (!key) return [];
  const manifest = parseTemplateManifest((await store.get(key)).toString('utf8'), []);
  return (manifest?.data ?? []).map((d) => d.path.replace(/\/+$/, ''));
}

/** Splits the workspace and makes sure each data folder's cache is on this worker. */
export async function templateData(
  env: { config: Config; store: ArtifactStore },
  workspace: WorkspaceManifest,
): Promise<TemplateData> {
  const folders = await dataFolders(env.store, workspace);
  const copied: WorkspaceManifest = {};
  const byFolder = new Map<string, WorkspaceManifest>();
  for (const [rel, key] of Object.entries(workspace)) {
    const folder = folders.find((f) => rel.startsWith(`${f}/`));
    if (!folder) copied[rel] = key;
    else byFolder.set(folder, { ...byFolder.get(folder), [rel.slice(folder.length + 1)]: key });
  }
  const mounts: TemplateData['mounts'] = [];
  for (const [folder, files] of byFolder)
    mounts.push({ hostPath: await dataCache(env, files), containerPath: `/work/${folder}` });
  return { copied, mounts };
}

/** `<data dir>/template-data/<hash of the files>`: fetched once, then only read. */
async function dataCache(
  env: { config: Config; store: ArtifactStore },
  files: WorkspaceManifest,
): Promise<string> {
  const h = createHash('sha256');
  for (const rel of Object.keys(files).sort()) h.update(`${rel}\0${files[rel]}\n`);
  const hash = h.digest('hex');
  const root = path.join(env.config.dataDir, 'template-data');
  const dir = path.join(root, hash);
  const done = `${dir}.complete`;
  if (await lstat(done).catch(() => null)) return dir;
  await mkdir(root, { recursive: true, mode: 0o700 });
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await fetchWorkspace(env.store, files, tmp);
    await readableBySandbox(tmp);
    // A folder is renamed into place only when whole; if another run got there first, theirs
    // stays (it may be mounted right now) and ours is dropped.
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
    await writeFile(done, '');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Folders 0755, files 0444: the sandbox user reads them; nobody writes them. */
async function readableBySandbox(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await readableBySandbox(p);
    else await chmod(p, 0o444);
  }
}
