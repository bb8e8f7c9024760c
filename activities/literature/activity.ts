/**
 * The `searchLiterature` activity: a thin adapter from Temporal to `searchPapers`. Its result
 * is a small summary (truncated titles and abstracts) plus the store key of the full result,
 * so a paper's workflow history stays small however many rounds the model searches.
 */
import { Context } from '@temporalio/activity';
import { classified, InvalidInputError } from '../../lib/errors';
import { keys } from '../../lib/store';
import type { ActivityDeps } from '../deps';
import { searchPapers } from './search';
import type { Paper, ProviderName } from './types';
import { reportProgress } from '../keepalive';

export interface SearchLiteratureInput {
  query: string;
  /** Papers wanted; default SCIENTIST_LITERATURE_LIMIT (10, as in the AI Scientist). */
  limit?: number;
  /** Novelty check (stage 2) or a citation round of the write-up (stage 5). */
  purpose: 'novelty' | 'citation';
  /** When given, the full result is also filed under the paper (or idea) for provenance. */
  paperId?: string;
  /** Step name within the purpose, e.g. `round-3`; with paperId it makes the key idempotent. */
  step?: string;
}

export interface PaperSummary {
  /** 1-based, the number the model uses to pick a paper. */
  index: number;
  paperId: string;
  citeKey: string;
  /** At most 200 characters. */
  title: string;
  /** First three names, then "et al.". */
  authors: string;
  venue: string;
  year: number | null;
  citationCount: number;
  /** At most 300 characters. */
  abstractSnippet: string;
}

export interface SearchLiteratureResult {
  query: string;
  provider: ProviderName;
  cache: 'hit' | 'miss';
  /** The provider's count of matches. */
  total: number;
  papers: PaperSummary[];
  /** Store key of the full result (all fields, full abstracts, BibTeX). */
  resultKey: string;
  /** Providers skipped on the way, with why. */
  fallbacks: string[];
}

const TITLE_CHARS = 200;
const ABSTRACT_CHARS = 300;

/** Shortens `text` to `max` characters at a word boundary, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function summarizePaper(p: Paper, index: number): PaperSummary {
  return {
    index,
    paperId: p.paperId,
    citeKey: p.citeKey,
    title: truncate(p.title, TITLE_CHARS),
    authors: p.authors.length > 3 ? `${p.authors.slice(0, 3).join(', ')} et al.` : p.authors.join(', '),
    venue: truncate(p.venue, 120),
    year: p.year,
    citationCount: p.citationCount,
    abstractSnippet: truncate(p.abstract, ABSTRACT_CHARS),
  };
}

/**
 * Papers as the model reads them in a novelty or citation round (the AI Scientist's layout:
 * number, title, authors, venue, year, citations, abstract).
 */
export function formatPapersForPrompt(papers: Paper[]): string {
  if (papers.length === 0) return 'No papers found.';
  return papers
    .map(
      (p, i) =>
        `${i + 1}: ${p.title}. ${p.authors.join(', ')}. ${p.venue || 'unknown venue'}, ${p.year ?? 'n.d.'}.\n` +
        `Number of citations: ${p.citationCount}\nAbstract: ${p.abstract || '(none)'}`,
    )
    .join('\n\n');
}

export function createLiteratureActivities({
  config,
  store,
  log,
}: Pick<ActivityDeps, 'config' | 'store' | 'log'>) {
  return {
    /** Searches Semantic Scholar (OpenAlex as fallback) through the cache; returns a small summary. */
    async searchLiterature(input: SearchLiteratureInput): Promise<SearchLiteratureResult> {
      return classified(async () => {
        if (input.purpose !== 'novelty' && input.purpose !== 'citation') {
          throw new InvalidInputError(
            `searchLiterature: purpose must be novelty or citation, got ${String(input.purpose)}`,
          );
        }
        let paperKey: string | undefined;
        if (input.paperId) {
          const stage = input.purpose === 'novelty' ? 'novelty' : 'writeup';
          try {
            paperKey = keys.paper(input.paperId, stage, 'literature', input.step ?? 'search', 'result.json');
          } catch (err) {
            throw new InvalidInputError(`searchLiterature: unusable paperId/step: ${String(err)}`, {
              cause: err,
            });
          }
        }
        const ctx = Context.current();
        const outcome = await searchPapers({ config, store, log }, input.query, {
          limit: input.limit,
          signal: ctx.cancellationSignal,
          // Heartbeats keep a long Retry-After wait cancellable and visible in the UI.
          onAttempt: (provider, attempt) => reportProgress({ provider, attempt }),
        });
        const resultKey = paperKey ? (await store.putJson(paperKey, outcome)).key : outcome.cacheKey;
        return {
          query: input.query,
          provider: outcome.provider,
          cache: outcome.cache,
          total: outcome.total,
          papers: outcome.papers.map((p, i) => summarizePaper(p, i + 1)),
          resultKey,
          fallbacks: outcome.fallbacks.map((f) => truncate(f, 300)),
        };
      });
    },
  };
}
