/**
 * What the reviewers and the area chair read: the reviewer's system text, the form guide, the
 * review, its reflection rounds, and the meta-review. Pure builders over plain inputs; the
 * activities (./activities.ts) send them and average the scores by code.
 */
import type { ContextPart, Prompt } from '../research/prompt';

/** The heading of the figure critique in a reviewer's context, and how much of it is shown. */
export const FIGURE_CRITIQUE_HEADING =
  "Figure critique (a vision model looked at each figure with its caption and the runs' data)";
/** Characters of the figure critique a reviewer is shown. */
export const MAX_CRITIQUE_CHARS = 8_000;

export const REVIEWER_SYSTEM =
  'You are an AI researcher reviewing a paper submitted to a prestigious ML venue. Be critical and cautious in your decision: if a paper is bad or you are unsure, give it bad scores and reject it.';

export const META_REVIEWER_SYSTEM =
  'You are an area chair at a prestigious ML venue. You write the meta-review from the reviews.';

/** The review form's fields and scales, said once in every review and meta-review prompt. */
export const FORM_GUIDE = `Fill in the review form as JSON with these fields:
summary; strengths (list); weaknesses (list); originality, quality, clarity, significance (1-4: low, medium, high, very high);
questions (list); limitations (list); ethicalConcerns (boolean); soundness, presentation, contribution (1-4: poor, fair, good, excellent);
overall (1-10: 1 very strong reject … 6 weak accept … 10 award quality); confidence (1-5); decision ("Accept" or "Reject").`;

export interface ReviewInputs {
  /** The paper's text (already cut to the length a reviewer reads). */
  text: string;
  /** The figure critique as text ('' when there is none). */
  critique: string;
}

/** What every call of one reviewer shares: the paper, and the figure critique when there is one. */
export function reviewContext(i: ReviewInputs): ContextPart[] {
  return [
    { name: 'The paper', text: i.text, priority: 1 },
    ...(i.critique
      ? [{ name: FIGURE_CRITIQUE_HEADING, text: i.critique.slice(0, MAX_CRITIQUE_CHARS), priority: 0.5 }]
      : []),
  ];
}

/** The first review. */
export function reviewPrompt(i: ReviewInputs): Prompt {
  const about = i.critique ? 'the paper above, with the critique of its figures,' : 'the paper above';
  return { system: REVIEWER_SYSTEM, context: reviewContext(i), prompt: `Review ${about}. ${FORM_GUIDE}` };
}

export interface ReflectionInputs extends ReviewInputs {
  /** The review so far (the form as JSON-able data). */
  review: unknown;
  /** The round, from 1, and how many there are. */
  round: number;
  reflections: number;
}

/** One reflection round on the reviewer's own review. */
export function reflectionPrompt(i: ReflectionInputs): Prompt {
  return {
    system: REVIEWER_SYSTEM,
    context: reviewContext(i),
    prompt: `Your review so far:\n${JSON.stringify(i.review, null, 1)}\n\nRound ${i.round}/${i.reflections}: check the review for accuracy and soundness; correct anything wrong and keep the rest. Answer with the full form as JSON plus "done": true if nothing needed changing.`,
  };
}

/** The area chair's meta-review from the reviews (each as stored). */
export function metaReviewPrompt(reviews: unknown[]): Prompt {
  return {
    system: META_REVIEWER_SYSTEM,
    context: reviews.map((r, i) => ({
      name: `Review ${i + 1}`,
      text: JSON.stringify(r),
      priority: 1,
    })),
    prompt: `Write the meta-review from the reviews above: the consensus strengths and weaknesses, and the most important questions. ${FORM_GUIDE}`,
  };
}
