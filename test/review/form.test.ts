import { createLocalProvider } from '../../activities/llm/providers/local';
import {
  CompactReviewForm,
  REVIEW_ANSWER_TOKENS,
  aggregateReviews,
  ReviewForm,
} from '../../activities/review/form';
import { loadProcessConfig } from '../../lib/config';

const review = (overall: number, extra: Partial<ReviewForm> = {}): ReviewForm => ({
  summary: 's',
  strengths: ['a'],
  weaknesses: ['b'],
  originality: 3,
  quality: 2,
  clarity: 3,
  significance: 2,
  questions: [],
  limitations: [],
  ethicalConcerns: false,
  soundness: 3,
  presentation: 3,
  contribution: 2,
  overall,
  confidence: 4,
  decision: 'Accept',
  ...extra,
});

describe('review aggregation', () => {
  it('averages numeric scores over the valid reviews only', () => {
    const agg = aggregateReviews([review(4), null, review(7, { clarity: 4 }), review(5)], 6);
    expect(agg.validReviews).toBe(3);
    expect(agg.requestedReviews).toBe(4);
    expect(agg.scores.overall).toBeCloseTo(5.33, 2);
    expect(agg.scores.clarity).toBeCloseTo(3.33, 2);
  });

  it('calibrates the decision on the mean overall score, not on the reviewers’ words', () => {
    expect(aggregateReviews([review(4), review(5)], 6).decision).toBe('Reject');
    expect(
      aggregateReviews([review(6, { decision: 'Reject' }), review(7, { decision: 'Reject' })], 6).decision,
    ).toBe('Accept');
  });

  it('fails clearly when no review is valid', () => {
    expect(() => aggregateReviews([null, null])).toThrow(/no valid review among 2/);
  });

  it('rejects out-of-range scores in the form schema', () => {
    expect(ReviewForm.safeParse(review(11)).success).toBe(false);
    expect(ReviewForm.safeParse(review(6, { clarity: 0 })).success).toBe(false);
    expect(ReviewForm.safeParse(review(6)).success).toBe(true);
  });
});

describe('the compact review form (the local model’s)', () => {
  /** The longest answer the form allows, in the layout the local model writes (indented JSON). */
  const longest = (fill: (n: number) => string) =>
    JSON.stringify(
      {
        ...review(10),
        summary: fill(250),
        strengths: [fill(80), fill(80)],
        weaknesses: [fill(80), fill(80)],
        questions: [fill(80), fill(80)],
        limitations: [fill(80), fill(80)],
      },
      null,
      4,
    );
  const junk = (n: number) => '1.'.repeat(n).slice(0, n);
  const prose = (n: number) =>
    'The paper studies delayed generalization in small models. '.repeat(9).slice(0, n);

  it('accepts the longest answer it allows and refuses a longer one; the full form accepts it too', () => {
    expect(CompactReviewForm.safeParse(JSON.parse(longest(prose))).success).toBe(true);
    expect(ReviewForm.safeParse(JSON.parse(longest(prose))).success).toBe(true);
    const three = { ...review(5), strengths: ['a', 'b', 'c'] };
    expect(CompactReviewForm.safeParse(three).success).toBe(false);
    expect(CompactReviewForm.safeParse(review(5, { summary: prose(251) })).success).toBe(false);
  });

  it('fits the local model’s review limit even filled with junk, and its default limit (640 tokens) in prose', async () => {
    const local = createLocalProvider(loadProcessConfig().llm.local);
    try {
      const count = (text: string) => {
        if (!local.countTokens) throw new Error('the local provider counts tokens');
        return local.countTokens(text);
      };
      const tokens = { prose: await count(longest(prose)), junk: await count(longest(junk)) };
      console.log(`longest compact review: ${JSON.stringify(tokens)} tokens`);
      expect(tokens.prose).toBeLessThan(640);
      expect(tokens.junk).toBeLessThan(REVIEW_ANSWER_TOKENS);
    } finally {
      await local.close?.();
    }
  }, 60_000);
});
