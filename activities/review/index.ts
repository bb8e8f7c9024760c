/** The review stage: reviews and the meta-review (./activities.ts; words in ./prompts.ts; form in ./form.ts). */
export { createReviewActivities, type ReviewDeps } from './activities';
export {
  aggregateReviews,
  CompactReviewForm,
  REVIEW_ANSWER_TOKENS,
  ReviewForm,
  NUMERIC_FIELDS,
  type AggregateReview,
} from './form';
export {
  FIGURE_CRITIQUE_HEADING,
  FORM_GUIDE,
  MAX_CRITIQUE_CHARS,
  META_REVIEWER_SYSTEM,
  metaReviewPrompt,
  reflectionPrompt,
  reviewContext,
  reviewPrompt,
  REVIEWER_SYSTEM,
  type ReflectionInputs,
  type ReviewInputs,
} from './prompts';
