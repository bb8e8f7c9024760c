/**
 * The review stage as both the paper and the standalone reviewer run it: `reviewers` independent
 * reviews (each with its reflection rounds), then, when at least one is usable, the area chair's
 * meta-review with the scores averaged by code and the decision calibrated on the threshold.
 */
import type { MainPorts, Spend } from '../contracts';

type ReviewPorts = Pick<MainPorts, 'reviewPaper' | 'metaReview'>;

/** How the caller starts an activity: a step name for the UI, the activity, its input. */
export type StartReview = <K extends keyof ReviewPorts>(
  step: string,
  name: K,
  arg: Parameters<ReviewPorts[K]>[0],
) => Promise<Awaited<ReturnType<ReviewPorts[K]>>>;

export interface ReviewEnsembleInput {
  paperId: string;
  /** `initial`, `improved`, `standalone`: names the artifacts, so a retry overwrites its own. */
  round: string;
  textKey: string;
  reviewers: number;
  reflections: number;
  threshold: number;
  /** The figure critique's report, read by every reviewer with the paper. */
  figureCritiqueKey?: string;
}

export interface ReviewEnsembleResult {
  /** The usable reviews by reviewer number (1-based). */
  reviewKeys: { reviewer: number; key: string }[];
  /** The meta-review; absent when no review was usable. */
  meta?: Awaited<ReturnType<MainPorts['metaReview']>>;
}

export interface ReviewEnsembleHooks {
  /** Every activity's spend, as it comes in. */
  spent(spend: Spend): void;
  /** A usable review, as it comes in (the paper lists it among its artifacts at once). */
  reviewed?(reviewer: number, key: string): void;
}

export async function reviewEnsemble(
  start: StartReview,
  input: ReviewEnsembleInput,
  hooks: ReviewEnsembleHooks,
): Promise<ReviewEnsembleResult> {
  const { paperId, round, textKey, reviewers } = input;
  const reviewKeys: ReviewEnsembleResult['reviewKeys'] = [];
  for (let reviewer = 1; reviewer <= reviewers; reviewer++) {
    const r = await start(`${round} review ${reviewer}/${reviewers}`, 'reviewPaper', {
      paperId,
      round,
      reviewer,
      textKey,
      reflections: input.reflections,
      ...(input.figureCritiqueKey ? { figureCritiqueKey: input.figureCritiqueKey } : {}),
    });
    hooks.spent(r.spend);
    if (r.reviewKey) {
      reviewKeys.push({ reviewer, key: r.reviewKey });
      hooks.reviewed?.(reviewer, r.reviewKey);
    }
  }
  if (reviewKeys.length === 0) return { reviewKeys };
  const meta = await start(`${round} meta-review`, 'metaReview', {
    paperId,
    round,
    reviewKeys: reviewKeys.map((r) => r.key),
    threshold: input.threshold,
  });
  hooks.spent(meta.spend);
  return { reviewKeys, meta };
}
