/**
 * The review form (NeurIPS style, as the AI Scientist uses) and how an ensemble of reviews
 * becomes one result: numeric scores averaged over the valid reviews, the decision calibrated
 * on the mean overall score against a threshold (default 6) rather than on the reviewers' own
 * accept/reject words, which small models give at random.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../lib/errors';

const score = (min: number, max: number) => z.number().int().min(min).max(max);

// Bounded lengths keep a small local model (whose grammar enforces them) from rambling.
const item = z.string().max(400);
const items = z.array(item).max(8);

export const ReviewForm = z.object({
  summary: z.string().min(1).max(1500),
  strengths: items,
  weaknesses: items,
  originality: score(1, 4),
  quality: score(1, 4),
  clarity: score(1, 4),
  significance: score(1, 4),
  questions: items,
  limitations: items,
  ethicalConcerns: z.boolean(),
  soundness: score(1, 4),
  presentation: score(1, 4),
  contribution: score(1, 4),
  overall: score(1, 10),
  confidence: score(1, 5),
  decision: z.enum(['Accept', 'Reject']),
});
export type ReviewForm = z.infer<typeof ReviewForm>;

/**
 * The same form with bounds a small local model can fill within its output limit. It fills
 * lists and strings to their maximum, often with junk that costs a token per character
 * ("1.1.1.…"): with the full form's 4 lists of 8 items of 400 characters its JSON was cut off
 * mid-string every time. The longest answer this form allows is about 300 tokens of prose and
 * about 1,030 of junk, so the local model reviews with REVIEW_ANSWER_TOKENS as its limit; it
 * stops as soon as the form is full. Hosted models get the full form.
 */
export const REVIEW_ANSWER_TOKENS = 1200;
const compactItems = z.array(z.string().max(80)).max(2);
export const CompactReviewForm = ReviewForm.extend({
  summary: z.string().min(1).max(250),
  strengths: compactItems,
  weaknesses: compactItems,
  questions: compactItems,
  limitations: compactItems,
});

export const NUMERIC_FIELDS = [
  'originality',
  'quality',
  'clarity',
  'significance',
  'soundness',
  'presentation',
  'contribution',
  'overall',
  'confidence',
] as const satisfies readonly (keyof ReviewForm)[];
export type NumericField = (typeof NUMERIC_FIELDS)[number];

export interface AggregateReview {
  /** Reviews that passed validation, out of those requested. */
  validReviews: number;
  requestedReviews: number;
  /** Mean of each numeric field over the valid reviews, rounded to 2 decimals. */
  scores: Record<NumericField, number>;
  decision: 'Accept' | 'Reject';
  /** The overall-score threshold the decision was calibrated on. */
  threshold: number;
}

/** Averages the valid reviews; throws when none is valid (the stage then fails clearly). */
export function aggregateReviews(reviews: (ReviewForm | null)[], threshold = 6): AggregateReview {
  const valid = reviews.filter((r): r is ReviewForm => r !== null);
  if (valid.length === 0) throw new InvalidInputError(`no valid review among ${reviews.length}`);
  const scores = Object.fromEntries(
    NUMERIC_FIELDS.map((f) => [
      f,
      Math.round((valid.reduce((s, r) => s + r[f], 0) / valid.length) * 100) / 100,
    ]),
  ) as Record<NumericField, number>;
  return {
    validReviews: valid.length,
    requestedReviews: reviews.length,
    scores,
    decision: scores.overall >= threshold ? 'Accept' : 'Reject',
    threshold,
  };
}
