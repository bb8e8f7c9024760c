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
import { reportProgress } from '../keepalive';

/** The activity attempt from which a literature outage no longer fails the activity. */
export const DEGRADE_FROM_ATTEMPT = 3;

export interface LiteratureAnswer {
  papers: Paper[];
  /** Why no search could be made, when it could not. */
  unavailable?: string;
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    // Outside an activity (scripts, unit tests): nobody retries, nobody cancels.
    return undefined;
  }
}

/**
 * In an activity the search heartbeats each provider try (a long Retry-After wait stays visible
 * and within the heartbeat timeout) and stops at once when the activity is cancelled.
 */
export async function searchOrDegrade(deps: SearchDeps, query: string): Promise<LiteratureAnswer> {
  const ctx = activityContext();
  try {
    const options = ctx
      ? {
          signal: ctx.cancellationSignal,
          onAttempt: (provider: string, attempt: number) => reportProgress({ provider, attempt }),
        }
      : {};
    return { papers: (await searchPapers(deps, query, options)).papers };
  } catch (err) {
    // A cancel is the operator's, not an outage: it must not turn into an empty search.
    if (ctx?.cancellationSignal.aborted) throw err;
    const transient = !(err instanceof ScientistError) || err.retryable;
    // Outside an activity nobody retries: degrade at once.
    if (transient && (ctx?.info.attempt ?? Number.POSITIVE_INFINITY) < DEGRADE_FROM_ATTEMPT) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    deps.log?.warn('literature search unavailable; going on without it', { query, error: reason });
    return { papers: [], unavailable: reason.slice(0, 300) };
  }
}
