import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { artifactKey, type ArtifactStore } from '../../lib/store';
import type { BaselineInput, RunExperimentResult } from '../../contracts';
import { fetchWorkspace, workspaceHash } from './workspace';

/** Where a baseline's artifacts live: cache/baseline/<hash>/… */
export function baselineRoot(hash: string): string {
  return artifactKey('cache', 'baseline', hash);
}

/** The hash that names a template's baseline: its files' contents and the fast flag. */
export async function baselineHash(store: ArtifactStore, input: BaselineInput): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ds-baseline-'));
  try {
    // A repeat with another seed is its own cache entry; seed 0's hash is the one it always was.
    const flags = { fast: Boolean(input.fast), ...(input.seed ? { seed: input.seed } : {}) };
    return workspaceHash(await fetchWorkspace(store, input.workspace, dir), flags);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
