/**
 * OpenAlex: GET /works?search=…, the fallback provider. Abstracts come as an inverted index
 * (word → positions) and there is no BibTeX, so both are rebuilt here from the fields.
 */
import type { Config } from '../../lib/config';
import { buildBibEntry, formatBibEntry, makeCiteKey, stripMarkup } from './bibtex';
import { getJson, rateLimiter } from './http';
import { retryPolicy, type LiteratureProvider, type SearchRequest } from './provider';
import type { Paper, ProviderResult } from './types';

/** `select` keeps responses small: a full work object is tens of kB. */
export const OPENALEX_SELECT =
  'id,doi,display_name,publication_year,type,cited_by_count,authorships,primary_location,biblio,abstract_inverted_index';

interface OpenAlexResponse {
  meta: { count: number; page?: number | null; per_page: number };
  results: OpenAlexWork[];
}

interface OpenAlexWork {
  id: string;
  doi?: string | null;
  display_name?: string | null;
  title?: string | null;
  publication_year?: number | null;
  type?: string | null;
  cited_by_count?: number | null;
  authorships?: { author: { id?: string | null; display_name?: string | null } }[];
  primary_location?: {
    landing_page_url?: string | null;
    source?: { display_name?: string | null; type?: string | null } | null;
  } | null;
  biblio?: {
    volume?: string | null;
    issue?: string | null;
    first_page?: string | null;
    last_page?: string | null;
  } | null;
  abstract_inverted_index?: Record<string, number[]> | null;
}

/** Rebuilds an abstract from OpenAlex's inverted index: each word placed at each of its positions. */
export function abstractFromInvertedIndex(index: Record<string, number[]> | null | undefined): string {
  if (!index) return '';
  const words: string[] = [];
  for (const [word, positions] of Object.entries(index)) {
    for (const pos of positions) words[pos] = word;
  }
  // Positions can have gaps (words OpenAlex dropped); skip them rather than print "undefined".
  return words
    .filter((w) => w !== undefined)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function openAlex(lit: Config['literature']): LiteratureProvider {
  const cfg = lit.openAlex;
  return {
    name: 'openalex',
    async search(req: SearchRequest): Promise<ProviderResult> {
      const url = new URL(`${cfg.baseUrl}/works`);
      // search= is full-text; commas and colons are filter syntax there, so they become spaces.
      url.searchParams.set('search', req.query.replace(/[,:|]/g, ' ').replace(/\s+/g, ' ').trim());
      url.searchParams.set('per-page', String(req.limit));
      url.searchParams.set('select', OPENALEX_SELECT);
      if (cfg.mailto) url.searchParams.set('mailto', cfg.mailto);
      const { body } = await getJson<OpenAlexResponse>({
        provider: 'OpenAlex',
        url: url.toString(),
        limiter: rateLimiter('openalex', cfg.requestsPerS),
        policy: retryPolicy(lit),
        signal: req.signal,
        onAttempt: req.onAttempt,
      });
      const papers = (body.results ?? []).filter((w) => w.display_name ?? w.title).map(toPaper);
      return { provider: 'openalex', total: body.meta?.count ?? papers.length, papers };
    },
  };
}

function toPaper(w: OpenAlexWork): Paper {
  const title = stripMarkup(w.display_name ?? w.title ?? '');
  const authors = (w.authorships ?? []).map((a) => a.author?.display_name ?? '').filter(Boolean);
  const year = w.publication_year ?? null;
  const source = w.primary_location?.source;
  const venue = source?.display_name ?? '';
  const venueKind =
    source?.type === 'conference'
      ? 'conference'
      : source?.type === 'journal' && w.type !== 'preprint'
        ? 'journal'
        : 'other';
  const b = w.biblio;
  const pages = b?.first_page
    ? b.last_page && b.last_page !== b.first_page
      ? `${b.first_page}--${b.last_page}`
      : b.first_page
    : null;
  const url = w.doi ?? w.primary_location?.landing_page_url ?? w.id;
  const entry = buildBibEntry({
    key: makeCiteKey(authors, year, title),
    title,
    authors,
    year,
    venue,
    venueKind,
    volume: b?.volume,
    number: b?.issue,
    pages,
    doi: w.doi,
    url: w.doi ? undefined : url,
  });
  return {
    paperId: w.id.replace(/^https?:\/\/openalex\.org\//, ''),
    title,
    authors,
    venue,
    year,
    abstract: abstractFromInvertedIndex(w.abstract_inverted_index),
    citationCount: w.cited_by_count ?? 0,
    citeKey: entry.key,
    bibtex: formatBibEntry(entry),
    url: url ?? undefined,
    source: 'openalex',
  };
}
