/** The review prompts (activities/review/prompts.ts) built from small inputs. */
import {
  FIGURE_CRITIQUE_HEADING,
  FORM_GUIDE,
  MAX_CRITIQUE_CHARS,
  META_REVIEWER_SYSTEM,
  metaReviewPrompt,
  reflectionPrompt,
  REVIEWER_SYSTEM,
  reviewPrompt,
} from '../../../activities/review/prompts';

describe('reviewPrompt', () => {
  it('reviews the paper alone when there is no figure critique', () => {
    const p = reviewPrompt({ text: 'The paper.', critique: '' });
    expect(p.system).toBe(REVIEWER_SYSTEM);
    expect(p.context).toEqual([{ name: 'The paper', text: 'The paper.', priority: 1 }]);
    expect(p.prompt).toBe(`Review the paper above. ${FORM_GUIDE}`);
  });

  it('adds the figure critique, cut to its bound', () => {
    const p = reviewPrompt({ text: 'T', critique: 'x'.repeat(MAX_CRITIQUE_CHARS + 10) });
    expect(p.context?.[1]?.name).toBe(FIGURE_CRITIQUE_HEADING);
    expect(p.context?.[1]?.text).toHaveLength(MAX_CRITIQUE_CHARS);
    expect(p.prompt).toContain('with the critique of its figures');
  });
});

describe('reflectionPrompt', () => {
  it('shows the review so far and the round', () => {
    const p = reflectionPrompt({ text: 'T', critique: '', review: { overall: 4 }, round: 1, reflections: 3 });
    expect(p.prompt).toContain('Your review so far:\n{\n "overall": 4\n}');
    expect(p.prompt).toContain('Round 1/3: check the review');
    expect(p.prompt).toContain('"done": true if nothing needed changing');
  });
});

describe('metaReviewPrompt', () => {
  it('puts each review in context and asks for the form', () => {
    const p = metaReviewPrompt([{ overall: 3 }, { overall: 7 }]);
    expect(p.system).toBe(META_REVIEWER_SYSTEM);
    expect(p.context?.map((c) => [c.name, c.text])).toEqual([
      ['Review 1', '{"overall":3}'],
      ['Review 2', '{"overall":7}'],
    ]);
    expect(p.prompt).toContain('the consensus strengths and weaknesses');
    expect(p.prompt).toContain('overall (1-10');
  });
});
