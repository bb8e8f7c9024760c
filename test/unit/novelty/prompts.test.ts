/** The novelty round's prompt (activities/novelty/prompts.ts): the idea, the last query's results, the decision. */
import { NOVELTY_SYSTEM, noveltyRoundPrompt, searchResultsText } from '../../../activities/novelty/prompts';

describe('noveltyRoundPrompt', () => {
  const idea = { Name: 'warmup_grokking', Title: 'Warmup and grokking' };

  it('says there was no search before the first', () => {
    const p = noveltyRoundPrompt({ idea, round: 1, maxRounds: 4 });
    expect(p.system).toBe(NOVELTY_SYSTEM);
    expect(p.prompt).toContain(JSON.stringify(idea, null, 1));
    expect(p.prompt).toContain('You have not searched yet.');
    expect(p.prompt).toContain('Round 1 of 4.');
    expect(p.prompt).toContain('decision ("novel", "not-novel", or "search"');
  });

  it("shows the last query's results", () => {
    const p = noveltyRoundPrompt({
      idea,
      last: { query: 'warmup grokking', results: '1: Some paper.' },
      round: 2,
      maxRounds: 4,
    });
    expect(p.prompt).toContain('Results of your last query "warmup grokking":\n1: Some paper.');
    expect(p.prompt).not.toContain('You have not searched yet.');
  });
});

describe('searchResultsText', () => {
  it('says why there are no results when the literature is down', () => {
    expect(searchResultsText({ papers: [], unavailable: 'no network' })).toBe(
      'The literature search is unavailable (no network). Decide from what you know.',
    );
    expect(searchResultsText({ papers: [] })).toBe('No papers found.');
  });
});
