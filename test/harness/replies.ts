/** Model replies that scripted tests (e2e, crash) hand the pipeline: an edit block and a review. */

/** One search/replace edit block, as the coding model writes it. */
export const editBlock = (file: string, search: string, replace: string) =>
  `${file}\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n`;

/** A valid NeurIPS-style review form (activities/review/form.ts); tests override what they assert. */
export function reviewForm(overrides: Record<string, unknown> = {}) {
  return {
    summary: 'The paper studies warmup length in grokking.',
    strengths: ['clear question'],
    weaknesses: ['small scale'],
    originality: 2,
    quality: 3,
    clarity: 3,
    significance: 2,
    questions: [],
    limitations: ['one template'],
    ethicalConcerns: false,
    soundness: 3,
    presentation: 3,
    contribution: 2,
    overall: 6,
    confidence: 3,
    decision: 'Accept',
    ...overrides,
  };
}
