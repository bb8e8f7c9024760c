/**
 * The literature search as the research activities use it: one a paper or campaign can live
 * without. A transient outage fails the activity, so Temporal retries it; once it has outlasted
 * the first retries (the literature is down, or there is no network, as in an offline run), or
 * when the failure is not transient, the search comes back empty with the reason, for the model
 * to be told, instead of failing the activity and, its retries spent, the whole paper.
 */
import { Context } from '@temporalio/activity';
import { ScientistError } from '../../lib/errors';
import { searchPapers, type Paper, type SearchDeps } from '../literature';

/** The activity attempt from which a literature outage no longer fails the activity. */
export const DEGRADE_FROM_ATTEMPT = 3;

export interface LiteratureAnswer {
  papers: Paper[];
  /** Why no search could be made, when it could not. */
  unavailable?: string;
}

function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    // Outside an activity (scripts, unit tests) nobody retries: degrade at once.
    return Number.POSITIVE_INFINITY;
  }
}

export async function searchOrDegrade(deps: SearchDeps, query: string): Promise<LiteratureAnswer> {
  try {
    return { papers: (await searchPapers(deps, query)).papers };
  } catch (err) {
    const transient = !(err instanceof ScientistError) || err.retryable;
    if (transient && activityAttempt() < DEGRADE_FROM_ATTEMPT) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    deps.log?.warn('literature search unavailable; going on without it', { query, error: reason });
    return { papers: [], unavailable: reason.slice(0, 300) };
  }
}
