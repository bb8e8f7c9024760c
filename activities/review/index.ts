/**
 * Review activities: one reviewer's NeurIPS-style review with its reflection rounds, and the
 * area chair's meta-review. Scores are averaged by code over the valid reviews and the decision
 * is calibrated on the mean overall score (./form.ts); the model's words do not decide.
 */
import { classified } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import { addSpend, type MainPorts } from '../../contracts';
import { critiqueText, type FigureCritiqueReport } from '../plots/critique';
import type { Ask } from '../research/ask';
import { aggregateReviews, CompactReviewForm, REVIEW_ANSWER_TOKENS, ReviewForm } from './form';

export {
  aggregateReviews,
  CompactReviewForm,
  REVIEW_ANSWER_TOKENS,
  ReviewForm,
  NUMERIC_FIELDS,
  type AggregateReview,
} from './form';

/** Papers longer than this are cut (the end of the text is the least informative part to lose). */
const MAX_PAPER_CHARS = 60_000;

/** The heading of the figure critique in a reviewer's context, and how much of it is shown. */
export const FIGURE_CRITIQUE_HEADING =
  "Figure critique (a vision model looked at each figure with its caption and the runs' data)";
const MAX_CRITIQUE_CHARS = 8_000;

const REVIEWER_SYSTEM =
  'You are an AI researcher reviewing a paper submitted to a prestigious ML venue. Be critical and cautious in your decision: if a paper is bad or you are unsure, give it bad scores and reject it.';

const ReflectedReview = ReviewForm.extend({ done: ReviewForm.shape.ethicalConcerns });
const CompactReflectedReview = CompactReviewForm.extend({ done: ReviewForm.shape.ethicalConcerns });

const FORM_GUIDE = `Fill in the review form as JSON with these fields:
summary; strengths (list); weaknesses (list); originality, quality, clarity, significance (1-4: low, medium, high, very high);
questions (list); limitations (list); ethicalConcerns (boolean); soundness, presentation, contribution (1-4: poor, fair, good, excellent);
overall (1-10: 1 very strong reject … 6 weak accept … 10 award quality); confidence (1-5); decision ("Accept" or "Reject").`;

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
        const context = [
          { name: 'The paper', text, priority: 1 },
          ...(critique
            ? [{ name: FIGURE_CRITIQUE_HEADING, text: critique.slice(0, MAX_CRITIQUE_CHARS), priority: 0.5 }]
            : []),
        ];
        const about = critique ? 'the paper above, with the critique of its figures,' : 'the paper above';
        const base = keys.paper(paperId, 'review', round, `reviewer-${reviewer}`);
        const first = await ask({
          role: 'review',
          transcriptKey: `${base}/review.json`,
          system: REVIEWER_SYSTEM,
          schema: ReviewForm,
          compactSchema: CompactReviewForm,
          answerTokens: REVIEW_ANSWER_TOKENS,
          context,
          prompt: `Review ${about}. ${FORM_GUIDE}`,
        });
        // An unusable review is left out of the average, but what it cost is counted.
        let spend = first.spend;
        let review: ReviewForm | null = first.ok ? first.parsed : null;
        for (let r = 1; review && r <= reflections; r++) {
          const again = await ask({
            role: 'review',
            transcriptKey: `${base}/reflection-${r}.json`,
            system: REVIEWER_SYSTEM,
            schema: ReflectedReview,
            compactSchema: CompactReflectedReview,
            answerTokens: REVIEW_ANSWER_TOKENS,
            context,
            prompt: `Your review so far:\n${JSON.stringify(review, null, 1)}\n\nRound ${r}/${reflections}: check the review for accuracy and soundness; correct anything wrong and keep the rest. Answer with the full form as JSON plus "done": true if nothing needed changing.`,
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
          system:
            'You are an area chair at a prestigious ML venue. You write the meta-review from the reviews.',
          schema: ReviewForm,
          compactSchema: CompactReviewForm,
          answerTokens: REVIEW_ANSWER_TOKENS,
          context: reviews.map((r, i) => ({
            name: `Review ${i + 1}`,
            text: JSON.stringify(r),
            priority: 1,
          })),
          prompt: `Write the meta-review from the reviews above: the consensus strengths and weaknesses, and the most important questions. ${FORM_GUIDE}`,
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
