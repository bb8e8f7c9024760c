/**
 * Semantic Scholar Graph API: GET /paper/search with the fields we need. Its BibTeX comes in
 * `citationStyles.bibtex` and needs repair (publication types in the entry-type slot,
 * accented keys, bare `&`); papers without it get an entry built from their fields.
 */
import type { Config } from '../../lib/config';
import { buildBibEntry, formatBibEntry, makeCiteKey, normalizeBibEntry, parseBibtex } from './bibtex';
import { getJson, rateLimiter } from './http';
import { retryPolicy, type LiteratureProvider, type SearchRequest } from './provider';
import type { Paper, ProviderResult } from './types';

export const S2_FIELDS = 'title,authors,venue,year,abstract,citationStyles,citationCount,url';

/** The wire shape of /paper/search (only the fields we request). */
interface S2SearchResponse {
  total: number;
  offset: number;
  next?: number;
  /** Absent, not empty, when nothing matched. */
  data?: S2Paper[];
}

interface S2Paper {
  paperId: string;
  title?: string | null;
  authors?: { authorId: string | null; name: string }[] | null;
  venue?: string | null;
  year?: number | null;
  abstract?: string | null;
  citationCount?: number | null;
  citationStyles?: { bibtex?: string | null } | null;
  url?: string | null;
}

/**
 * Semantic Scholar's search matches no hyphenated terms ("sparse-attention" finds nothing) and
 * supports no query syntax, so hyphens become spaces.
 */
export function s2Query(query: string): string {
  return query
    .replace(/[-‐‑–—]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function semanticScholar(lit: Config['literature']): LiteratureProvider {
  const cfg = lit.semanticScholar;
  return {
    name: 'semantic-scholar',
    async search(req: SearchRequest): Promise<ProviderResult> {
      const url = new URL(`${cfg.baseUrl}/paper/search`);
      url.searchParams.set('query', s2Query(req.query));
      url.searchParams.set('limit', String(req.limit));
      url.searchParams.set('fields', S2_FIELDS);
      const { body } = await getJson<S2SearchResponse>({
        provider: 'Semantic Scholar',
        url: url.toString(),
        headers: cfg.apiKey ? { 'x-api-key': cfg.apiKey } : {},
        limiter: rateLimiter('semantic-scholar', cfg.requestsPerS),
        policy: retryPolicy(lit),
        signal: req.signal,
        onAttempt: req.onAttempt,
        authHint: 'SCIENTIST_S2_API_KEY',
      });
      const papers = (body.data ?? []).filter((p) => p.title).map(toPaper);
      return { provider: 'semantic-scholar', total: body.total ?? papers.length, papers };
    },
  };
}

function toPaper(p: S2Paper): Paper {
  const authors = (p.authors ?? []).map((a) => a.name).filter(Boolean);
  const title = p.title ?? '';
  const year = p.year ?? null;
  const venue = p.venue ?? '';
  const fallbackKey = makeCiteKey(authors, year, title);
  const parsed = p.citationStyles?.bibtex ? parseBibtex(p.citationStyles.bibtex)[0] : undefined;
  const entry =
    parsed && parsed.fields.length > 0
      ? normalizeBibEntry(parsed, fallbackKey)
      : buildBibEntry({
          key: fallbackKey,
          title,
          authors,
          year,
          venue,
          venueKind: venue ? 'other' : undefined,
          url: p.url,
        });
  return {
    paperId: p.paperId,
    title,
    authors,
    venue,
    year,
    abstract: p.abstract ?? '',
    citationCount: p.citationCount ?? 0,
    citeKey: entry.key,
    bibtex: formatBibEntry(entry),
    url: p.url ?? undefined,
    source: 'semantic-scholar',
  };
}
