/**
 * What the novelty model reads in one round: the idea, what its last literature query found (or
 * that it has not searched yet), and the decision asked for. Pure builders; ./activities.ts sends
 * them and runs the query.
 */
import { formatPapersForPrompt } from '../literature/prompt';
import type { Paper } from '../literature/types';
import type { Prompt } from '../research/prompt';

export const NOVELTY_SYSTEM =
  'You are an ambitious AI researcher who checks whether an idea is novel: that it differs significantly from existing work. Be a harsh critic: an idea is not novel if a paper already does essentially the same thing.';

export interface NoveltyRoundInputs {
  /** The stored idea form. */
  idea: Record<string, unknown>;
  /** The last round's query and what it found, when there was one. */
  last?: { query?: string; results?: string };
  round: number;
  maxRounds: number;
}

/** One round: the model decides "novel" or "not-novel", or asks a search query. */
export function noveltyRoundPrompt(i: NoveltyRoundInputs): Prompt {
  return {
    system: NOVELTY_SYSTEM,
    prompt: [
      `The idea:\n${JSON.stringify(i.idea, null, 1)}`,
      i.last?.query
        ? `Results of your last query "${i.last.query}":\n${i.last.results}`
        : 'You have not searched yet.',
      `Round ${i.round} of ${i.maxRounds}. Answer with JSON: thought, decision ("novel", "not-novel", or "search" to look for more papers), and query (the search query, when decision is "search"). Decide only once you have searched enough to be sure.`,
    ].join('\n\n'),
  };
}

/** A query's results as the next round shows them: the papers, or why the search was unavailable. */
export function searchResultsText(found: { papers: Paper[]; unavailable?: string }): string {
  return found.unavailable
    ? `The literature search is unavailable (${found.unavailable}). Decide from what you know.`
    : formatPapersForPrompt(found.papers);
}
