/**
 * The pure parts of the benchmark run: which papers a run reviews, the configuration label of
 * our reviewer, our reviews as an upstream-format file (read back by the same parser the stored
 * files go through), and the progress line of `--follow`.
 */
import {
  ourConfigName,
  parseConfigName,
  parseReviewCsv,
  reviewsCsv,
  selectBenchPapers,
  splitOf,
  type HumanPaper,
} from '../../activities/review-bench';
import { benchLine } from '../../cli/bench-run';
import { InvalidInputError } from '../../lib/errors';

const papers: HumanPaper[] = Array.from({ length: 60 }, (_, i) => ({
  paperId: `p${i}`,
  decision: i % 3 === 0 ? 'Accept (Poster)' : 'Reject',
  accepted: i % 3 === 0,
  scores: [5],
}));
const split = { seed: '1', trainFraction: 0.5 };

describe('benchmark run: paper choice', () => {
  it('is deterministic, independent of file order, and nested: a larger run extends a smaller one', () => {
    const a = selectBenchPapers(papers, 20, '1', split).map((p) => p.paperId);
    const b = selectBenchPapers([...papers].reverse(), 20, '1', split).map((p) => p.paperId);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(20);
    const c = selectBenchPapers(papers, 30, '1', split).map((p) => p.paperId);
    expect(c).toEqual(expect.arrayContaining(a));
    expect(selectBenchPapers(papers, 20, '2', split).map((p) => p.paperId)).not.toEqual(a);
  });

  it('puts both classes in both calibration parts, even for 4 papers', () => {
    for (const seed of ['1', '2', '3', '4', '5']) {
      const chosen = selectBenchPapers(papers, 4, seed, split);
      const groups = new Set(chosen.map((p) => `${splitOf(p.paperId, split)}/${p.accepted}`));
      expect(groups.size).toBe(4);
    }
  });

  it('refuses a count it cannot meet before anything is asked', () => {
    expect(() => selectBenchPapers(papers, 61, '1', split)).toThrow(InvalidInputError);
    expect(() => selectBenchPapers(papers, 0, '1', split)).toThrow(/positive/);
  });
});

describe('benchmark run: our reviews as a review file', () => {
  it('names our configuration as the upstream file names do (underscores only between parts)', () => {
    const name = ourConfigName('local:smollm2-135m-instruct-q4_1', 0.3, 1, 0);
    expect(name).toBe('ours-local-smollm2-135m-instruct-q4-1_temp_0_3_reflect_1_ensemble_1_pages_all');
    expect(parseConfigName(`${name}.csv`)).toMatchObject({
      model: 'ours-local-smollm2-135m-instruct-q4-1',
      temperature: 0.3,
      reviewRounds: 1,
      ensemble: 1,
    });
  });

  it('writes a CSV the stored-review parser reads back, free text quoted, a failed review blank', () => {
    const csv = reviewsCsv([
      {
        paperId: 'a1',
        form: { summary: 'Says "new", adds, a\nline', strengths: ['x, y'], overall: 7, decision: 'Accept' },
      },
      { paperId: 'b2', form: null },
    ]);
    const rows = parseReviewCsv(csv, 'ours.csv');
    expect(rows).toEqual([
      { paperId: 'a1', overall: 7, decision: 'Accept' },
      { paperId: 'b2', overall: null, decision: '' },
    ]);
    expect(csv).toContain('"Says ""new"", adds, a\nline"');
  });
});

describe('benchmark run: the --follow line', () => {
  it('shows stage, step, papers done and reused, failures, cost and flags', () => {
    const line = benchLine(
      'bench-reviewer-x',
      {
        kind: 'reviewer-benchmark',
        stage: 'reviewing',
        step: 'p1: bench review 1/1',
        model: 'local:m',
        configHash: 'abc',
        papers: 30,
        done: 12,
        reused: 2,
        failed: 1,
        running: ['p1', 'p2'],
        costUsd: 0.5,
        paused: true,
        cancelling: false,
      },
      75,
    );
    expect(line).toBe(
      'bench bench-reviewer-x  reviewing: p1: bench review 1/1 · 12/30 done (2 reused), 1 failed · 2 running · $0.5000 · 75s · PAUSED',
    );
    expect(benchLine('b', undefined, 3, 'waiting for a worker')).toBe('bench b  waiting for a worker · 3s');
  });
});
