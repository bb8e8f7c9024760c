/** The literature layer's data: one normalized paper shape whichever provider answered. */

export type ProviderName = 'semantic-scholar' | 'openalex';

/** A paper as every later stage sees it (novelty prompts, citation rounds, references.bib). */
export interface Paper {
  /** The provider's own id (Semantic Scholar's sha, OpenAlex's `W…`). */
  paperId: string;
  title: string;
  /** Author names in order, as the provider spells them. */
  authors: string[];
  /** Journal or conference name; empty when the provider knows none. */
  venue: string;
  year: number | null;
  /** Plain text; empty when the provider has none (Semantic Scholar withholds some for licence reasons). */
  abstract: string;
  citationCount: number;
  /** The citation key inside `bibtex`: ASCII, unique within one search result. */
  citeKey: string;
  /** One normalized BibTeX entry, produced by code (never by the model). */
  bibtex: string;
  url?: string;
  source: ProviderName;
}

/** What one provider returned for one query. */
export interface ProviderResult {
  provider: ProviderName;
  /** The provider's own count of matches (can exceed `papers.length`). */
  total: number;
  papers: Paper[];
}

/** A search outcome as stored in the cache (and referenced from activity results by key). */
export interface CachedSearch extends ProviderResult {
  query: string;
  normalizedQuery: string;
  limit: number;
  /** ISO time of the provider call. */
  fetchedAt: string;
}

/** `searchPapers`' answer: the papers plus how they were obtained. */
export interface SearchOutcome extends CachedSearch {
  /** 'hit' when the result came from the artifact store without any API call. */
  cache: 'hit' | 'miss';
  /** Store key of the full result (the cache entry). */
  cacheKey: string;
  /** Why earlier providers were skipped, e.g. "semantic-scholar: gave up after 4 attempts (429)". */
  fallbacks: string[];
}
