import { aggregateReviews, ReviewForm } from '../../activities/review/form';

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
