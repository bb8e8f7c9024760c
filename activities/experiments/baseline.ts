import { createHash } from 'node:crypto';
import { artifactKey, type ArtifactStore } from '../../lib/store';
import type { BaselineInput, RunExperimentResult } from '../../contracts';
import { checkManifest, workspaceHash } from './workspace';

/** Where a baseline's artifacts live: cache/baseline/<hash>/… */
export function baselineRoot(hash: string): string {
  return artifactKey('cache', 'baseline', hash);
}

/** A content-addressed file's key (activities/workspace): its name is the sha256 of its bytes. */
const CAS_FILE = /^cas\/file\/([0-9a-f]{64})$/;

/**
 * The hash that names a template's baseline: its files' contents and the fast flag. A file stored
 * content-addressed is hashed by its key, so a cache hit downloads nothing (a template's data
 * can be gigabytes); the few others are fetched and hashed. The same per-file sha256 either way,
 * so the cache keys are what they always were.
 */
export async function baselineHash(store: ArtifactStore, input: BaselineInput): Promise<string> {
  checkManifest(input.workspace);
  const hashes: Record<string, string> = {};
  for (const [rel, key] of Object.entries(input.workspace)) {
    const cas = CAS_FILE.exec(key);
    hashes[rel] = cas
      ? cas[1]!
      : createHash('sha256')
          .update(await store.get(key))
          .digest('hex');
  }
  // A repeat with another seed is its own cache entry; seed 0's hash is the one it always was.
  const flags = { fast: Boolean(input.fast), ...(input.seed ? { seed: input.seed } : {}) };
  return workspaceHash(hashes, flags);
}

/** The cached baseline of this template code and flags, or null. */
export async function cachedBaseline(
  store: ArtifactStore,
  hash: string,
): Promise<RunExperimentResult | null> {
  const key = `${baselineRoot(hash)}/result.json`;
  return (await store.exists(key)) ? store.getJson<RunExperimentResult>(key) : null;
}

export async function saveBaseline(
  store: ArtifactStore,
  hash: string,
  result: RunExperimentResult,
): Promise<void> {
  await store.putJson(`${baselineRoot(hash)}/result.json`, result);
}
