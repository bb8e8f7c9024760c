/**
 * `searchPapers`: one query → normalized papers, from the artifact-store cache when a fresh
 * result exists, else from the providers in configured order with fallback.
 *
 * Fallback policy (and why):
 * - A provider that fails after its own bounded retries — a 429 storm, 5xx, timeouts, network
 *   errors, a rejected key — hands over to the next provider: a novelty check is better served
 *   by OpenAlex now than by Semantic Scholar in an hour.
 * - A provider that answers with no papers is believed: "nothing found" is itself evidence for
 *   novelty, and silently mixing providers makes results harder to reproduce. Set
 *   SCIENTIST_LITERATURE_FALLBACK_ON_EMPTY=true to ask the next provider anyway.
 * - When every provider fails, the error is retryable if any failure was (Temporal retries the
 *   activity after the shortest advised wait), otherwise the first provider's error stands.
 */
import type { Config } from '../../lib/config';
import {
  ArtifactNotFoundError,
  InvalidInputError,
  ScientistError,
  ServiceUnavailableError,
} from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, sha256, type ArtifactStore } from '../../lib/store';
import { renameCiteKey, uniqueCiteKey } from './bibtex';
import { openAlex } from './openalex';
import type { LiteratureProvider } from './provider';
import { semanticScholar } from './semantic-scholar';
import type { CachedSearch, Paper, ProviderName, ProviderResult, SearchOutcome } from './types';

export interface SearchDeps {
  config: Config;
  store: ArtifactStore;
  log?: Logger;
  /** Replaces the configured providers (tests of the fallback logic). */
  providers?: LiteratureProvider[];
}

export interface SearchOptions {
  /** Papers wanted (default SCIENTIST_LITERATURE_LIMIT, at most 100). */
  limit?: number;
  signal?: AbortSignal;
  /** Called before every HTTP try; the activity heartbeats here. */
  onAttempt?: (provider: ProviderName, attempt: number) => void;
}

/** Lower-case, NFC, single spaces: queries that differ only in spelling-neutral ways share a cache entry. */
export function normalizeQuery(query: string): string {
  return query.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** `cache/literature/<sha256(provider, normalized query, limit)>`. */
export function literatureCacheKey(provider: ProviderName, query: string, limit: number): string {
  return keys.cache('literature', sha256(`${provider}\n${normalizeQuery(query)}\n${limit}`));
}

export function configuredProviders(config: Config): LiteratureProvider[] {
  const make = { 'semantic-scholar': semanticScholar, openalex: openAlex } as const;
  return config.literature.providers.map((name) => make[name](config.literature));
}

/**
 * Searches the literature for `query`. Returns up to `limit` normalized papers with BibTeX,
 * where they came from, and whether the cache answered (`cache: 'hit'` means no API call).
 * Throws a retryable ServiceUnavailableError when every provider is down or rate-limited.
 */
export async function searchPapers(
  deps: SearchDeps,
  query: string,
  options: SearchOptions = {},
): Promise<SearchOutcome> {
  const lit = deps.config.literature;
  const limit = Math.min(100, Math.max(1, Math.floor(options.limit ?? lit.defaultLimit)));
  const normalizedQuery = normalizeQuery(query);
  if (!normalizedQuery) throw new InvalidInputError('empty literature query');
  const providers = deps.providers ?? configuredProviders(deps.config);

  for (const p of providers) {
    const cached = await readCache(deps.store, literatureCacheKey(p.name, query, limit), lit.cacheTtlMs);
    if (cached) {
      deps.log?.debug('literature cache hit', { provider: p.name, query: normalizedQuery });
      return { ...cached, cache: 'hit', cacheKey: literatureCacheKey(p.name, query, limit), fallbacks: [] };
    }
  }

  const fallbacks: string[] = [];
  const failures: unknown[] = [];
  let answer: ProviderResult | undefined;
  for (const [i, p] of providers.entries()) {
    const isLast = i === providers.length - 1;
    try {
      const result = await p.search({
        query,
        limit,
        signal: options.signal,
        onAttempt: (attempt) => options.onAttempt?.(p.name, attempt),
      });
      answer = result;
      if (result.papers.length === 0 && lit.fallbackOnEmpty && !isLast) {
        fallbacks.push(`${p.name}: no papers`);
        continue;
      }
      break;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      failures.push(err);
      fallbacks.push(`${p.name}: ${err instanceof Error ? err.message : String(err)}`);
      deps.log?.warn('literature provider failed', {
        provider: p.name,
        error: String(err),
        next: isLast ? null : providers[i + 1]!.name,
      });
    }
  }
  if (!answer) throw combinedFailure(failures);

  const entry: CachedSearch = {
    ...answer,
    papers: withUniqueKeys(answer.papers.slice(0, limit)),
    query,
    normalizedQuery,
    limit,
    fetchedAt: new Date().toISOString(),
  };
  const cacheKey = literatureCacheKey(answer.provider, query, limit);
  await deps.store.putJson(cacheKey, entry);
  return { ...entry, cache: 'miss', cacheKey, fallbacks };
}

async function readCache(
  store: ArtifactStore,
  key: string,
  ttlMs: number,
): Promise<CachedSearch | undefined> {
  if (ttlMs <= 0) return undefined;
  try {
    const entry = await store.getJson<CachedSearch>(key);
    const age = Date.now() - Date.parse(entry.fetchedAt);
    return age >= 0 && age < ttlMs ? entry : undefined;
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) return undefined;
    throw err;
  }
}

/** Citation keys unique within one result, so any subset can go into one references.bib. */
function withUniqueKeys(papers: Paper[]): Paper[] {
  const taken: string[] = [];
  return papers.map((p) => {
    const key = uniqueCiteKey(p.citeKey, taken);
    taken.push(key);
    return key === p.citeKey ? p : { ...p, citeKey: key, bibtex: renameCiteKey(p.bibtex, key) };
  });
}

function combinedFailure(failures: unknown[]): unknown {
  if (failures.length === 1) return failures[0];
  const retryable = failures.filter((e) => !(e instanceof ScientistError) || e.retryable);
  if (retryable.length === 0) return failures[0];
  const waits = retryable
    .map((e) => (e instanceof ScientistError ? e.retryAfterMs : undefined))
    .filter((ms): ms is number => ms !== undefined);
  const message = failures.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  return new ServiceUnavailableError(`every literature provider failed: ${message}`, {
    retryAfterMs: waits.length ? Math.min(...waits) : undefined,
    cause: failures[0],
    details: failures.map((e) => (e instanceof ScientistError ? e.details : undefined)),
  });
}
