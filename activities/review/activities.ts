/**
 * Review activities: one reviewer's NeurIPS-style review with its reflection rounds, and the
 * area chair's meta-review (their words in ./prompts.ts). Scores are averaged by code over the
 * valid reviews and the decision is calibrated on the mean overall score (./form.ts); the
 * model's words do not decide.
 */
import { classified } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import { addSpend, type MainPorts } from '../../contracts';
import { critiqueText, type FigureCritiqueReport } from '../plots/critique';
import type { Ask } from '../research/ask';
import { aggregateReviews, CompactReviewForm, REVIEW_ANSWER_TOKENS, ReviewForm } from './form';
import { metaReviewPrompt, reflectionPrompt, reviewPrompt } from './prompts';

/** Papers longer than this are cut (the end of the text is the least informative part to lose). */
const MAX_PAPER_CHARS = 60_000;

const ReflectedReview = ReviewForm.extend({ done: ReviewForm.shape.ethicalConcerns });
const CompactReflectedReview = CompactReviewForm.extend({ done: ReviewForm.shape.ethicalConcerns });

export interface ReviewDeps {
  store: ArtifactStore;
  ask: Ask;
}

export function createReviewActivities({
  store,
  ask,
}: ReviewDeps): Pick<MainPorts, 'reviewPaper' | 'metaReview'> {
  return {
    async reviewPaper({ paperId, round, reviewer, textKey, reflections, figureCritiqueKey }) {
      return classified(async () => {
        const text = (await store.getText(textKey)).slice(0, MAX_PAPER_CHARS);
        // The reviewers read text; what a vision model saw in the figures comes with it.
        const critique = figureCritiqueKey
          ? critiqueText(await store.getJson<FigureCritiqueReport>(figureCritiqueKey))
          : '';
        const inputs = { text, critique };
        const base = keys.paper(paperId, 'review', round, `reviewer-${reviewer}`);
        const first = await ask({
          role: 'review',
          transcriptKey: `${base}/review.json`,
          schema: ReviewForm,
          compactSchema: CompactReviewForm,
          answerTokens: REVIEW_ANSWER_TOKENS,
          ...reviewPrompt(inputs),
        });
        // An unusable review is left out of the average, but what it cost is counted.
        let spend = first.spend;
        let review: ReviewForm | null = first.ok ? first.parsed : null;
        for (let r = 1; review && r <= reflections; r++) {
          const again = await ask({
            role: 'review',
            transcriptKey: `${base}/reflection-${r}.json`,
            schema: ReflectedReview,
            compactSchema: CompactReflectedReview,
            answerTokens: REVIEW_ANSWER_TOKENS,
            ...reflectionPrompt({ ...inputs, review, round: r, reflections }),
          });
          spend = addSpend(spend, again.spend);
          // A reflection that failed keeps the review before it and ends the rounds.
          if (!again.ok) break;
          const { done, ...form } = again.parsed;
          review = form;
          if (done) break;
        }
        if (!review) return { reviewKey: null, spend, transcriptKey: `${base}/review.json` };
        const reviewKey = (await store.putJson(`${base}/form.json`, review)).key;
        return { reviewKey, overall: review.overall, spend, transcriptKey: `${base}/review.json` };
      });
    },

    async metaReview({ paperId, round, reviewKeys, threshold }) {
      return classified(async () => {
        const reviews = await Promise.all(reviewKeys.map((k) => store.getJson<ReviewForm>(k)));
        const valid = reviews.map((r) => (ReviewForm.safeParse(r).success ? r : null));
        const aggregate = aggregateReviews(valid, threshold);
        const transcriptKey = keys.paper(paperId, 'review', round, 'meta.json');
        const res = await ask({
          role: 'review',
          transcriptKey,
          schema: ReviewForm,
          compactSchema: CompactReviewForm,
          answerTokens: REVIEW_ANSWER_TOKENS,
          ...metaReviewPrompt(reviews),
        });
        const summary: ReviewForm | null = res.ok ? res.parsed : null;
        const spend = res.spend;
        // Numbers and decision come from the reviews by code; the model contributes the prose.
        const meta = {
          ...(summary ?? {}),
          ...aggregate.scores,
          decision: aggregate.decision,
          aggregate,
          reviews: reviewKeys,
        };
        const metaKey = (await store.putJson(keys.paper(paperId, 'review', round, 'meta-review.json'), meta))
          .key;
        return {
          metaKey,
          overall: aggregate.scores.overall,
          decision: aggregate.decision,
          scores: aggregate.scores,
          spend,
          transcriptKey,
        };
      });
    },
  };
}
