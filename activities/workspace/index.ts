/**
 * Paper workspaces in the store: every version of a paper's files (code, notes, LaTeX, figures)
 * is a small manifest of content-addressed blobs, so each run's code is snapshotted for free and
 * a retried activity that saves the same files gets the same key back.
 *
 *   cas/file/<sha256>        a file's bytes
 *   cas/workspace/<sha256>   {"files": {"experiment.py": "cas/file/…", …}}   ← a WorkspaceKey
 */
import type { ArtifactStore } from '../../lib/store';

export type WorkspaceFiles = Record<string, Buffer>;
export interface WorkspaceDoc {
  files: Record<string, string>;
}

export async function saveWorkspace(store: ArtifactStore, files: WorkspaceFiles): Promise<string> {
  const manifest: WorkspaceDoc = { files: {} };
  for (const rel of Object.keys(files).sort()) {
    manifest.files[rel] = (await store.putContent('cas/file', files[rel]!)).key;
  }
  return (
    await store.putContent('cas/workspace', JSON.stringify(manifest), { contentType: 'application/json' })
  ).key;
}

/** The manifest (path → blob key) of a workspace version. */
export async function workspaceManifest(store: ArtifactStore, key: string): Promise<Record<string, string>> {
  return (JSON.parse((await store.getVerified(key)).toString('utf8')) as WorkspaceDoc).files;
}

export async function loadWorkspace(
  store: ArtifactStore,
  key: string,
  only?: (path: string) => boolean,
): Promise<WorkspaceFiles> {
  const files: WorkspaceFiles = {};
  for (const [rel, blob] of Object.entries(await workspaceManifest(store, key))) {
    if (!only || only(rel)) files[rel] = await store.getVerified(blob);
  }
  return files;
}

/** A new version: `base` with `changes` applied (a null value deletes the file). */
export async function updateWorkspace(
  store: ArtifactStore,
  base: string,
  changes: Record<string, Buffer | string | null>,
): Promise<string> {
  const manifest = await workspaceManifest(store, base);
  for (const [rel, body] of Object.entries(changes)) {
    if (body === null) delete manifest[rel];
    else manifest[rel] = (await store.putContent('cas/file', body)).key;
  }
  const sorted: WorkspaceDoc = {
    files: Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b))),
  };
  return (
    await store.putContent('cas/workspace', JSON.stringify(sorted), { contentType: 'application/json' })
  ).key;
}
