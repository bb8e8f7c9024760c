/** Literature search (Semantic Scholar, OpenAlex fallback) and the BibTeX that citations need. */
export { formatPapersForPrompt } from './prompt';
export { configuredProviders, literatureCacheKey, normalizeQuery, searchPapers } from './search';
export type { SearchDeps, SearchOptions } from './search';
export { semanticScholar, s2Query, S2_FIELDS } from './semantic-scholar';
export { openAlex, abstractFromInvertedIndex, OPENALEX_SELECT } from './openalex';
export type { LiteratureProvider, SearchRequest } from './provider';
export { RateLimiter, rateLimiter, resetRateLimiters, backoffMs, getJson } from './http';
export type { RetryPolicy, JsonRequest, AttemptLog } from './http';
export {
  asciiFold,
  bracesBalanced,
  buildBibEntry,
  citeKeyOf,
  dedupeBibEntries,
  escapeLatex,
  field,
  formatBibEntry,
  makeCiteKey,
  mergeBibtex,
  normalizeBibEntry,
  normalizeEntryType,
  parseBibtex,
  renameCiteKey,
  repairLatexValue,
  sanitizeCiteKey,
  stripMarkup,
  titleFingerprint,
  uniqueCiteKey,
  validateBibEntry,
} from './bibtex';
export type { BibEntry, MergeResult } from './bibtex';
export type { CachedSearch, Paper, ProviderName, ProviderResult, SearchOutcome } from './types';
