/**
 * Seeds and the noise gate as plain functions: per-seed results merged into final_info.json,
 * Welch's t-test against closed forms, the gate over a workspace's runs (planted: a difference
 * inside the seed-to-seed noise fails it, a large one passes), a variant identical to the
 * baseline, and what the claim check makes of each.
 */
import {
  checkClaims,
  claimRegions,
  identicalVariants,
  incompleteBeta,
  mergeSeeds,
  noiseGate,
  resultsStatementLatex,
  welch,
  type ClaimSources,
} from '../../../activities/integrity';
import { checkSection } from '../../../activities/latex';
import { resultsTablesLatex } from '../../../activities/writeup';

/** A grokking-like final_info.json for one seed. */
const info = (acc: number, loss: number, time = 12.3) => ({
  x_plus_y: { means: { final_val_acc: acc, final_val_loss: loss, train_time_s: time, n_params: 1000 } },
});
const files = (runs: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(runs).map(([run, v]) => [`${run}/final_info.json`, Buffer.from(JSON.stringify(v))]),
  );
const sources = (over: Partial<ClaimSources> = {}): ClaimSources => ({
  metrics: [],
  runMetrics: [],
  manifests: [],
  configuration: '',
  task: '',
  bibliography: '',
  ...over,
});

// Three seeds of the baseline; a variant inside their noise; a variant far outside it.
const baseline = mergeSeeds([info(0.045, 5.41, 11), info(0.015, 5.28, 14), info(0.026, 5.69, 12)]);
const noisy = mergeSeeds([info(0.03, 5.5, 13), info(0.041, 5.3, 12), info(0.019, 5.62, 15)]);
const large = mergeSeeds([info(0.31, 3.2, 12), info(0.29, 3.15, 11), info(0.33, 3.22, 13)]);

describe('seeds', () => {
  it('merge into means over seeds and the per-seed values, as multi-seed templates write them', () => {
    expect(baseline).toEqual({
      x_plus_y: {
        means: {
          final_val_acc: (0.045 + 0.015 + 0.026) / 3,
          final_val_loss: (5.41 + 5.28 + 5.69) / 3,
          train_time_s: 37 / 3,
          n_params: 1000,
        },
        final_info_dict: {
          final_val_acc: [0.045, 0.015, 0.026],
          final_val_loss: [5.41, 5.28, 5.69],
          train_time_s: [11, 14, 12],
          n_params: [1000, 1000, 1000],
        },
      },
    });
    // The results table shows mean ± std over the seeds.
    const { latex } = resultsTablesLatex(files({ run_0: baseline }));
    expect(latex).toContain('0.02867 $\\pm$ 0.01518');
    expect(latex).toContain('mean $\\pm$ standard deviation over seeds');
  });
});

describe("Welch's t-test", () => {
  it('agrees with the closed forms of the t distribution (df 1 and 2) and a textbook case', () => {
    // df = 1: P(|T| > t) = 1 − 2·atan(t)/π; df = 2: 1 − t/√(2 + t²).
    for (const t of [0.5, 1, 3, 10]) {
      expect(incompleteBeta(1 / (1 + t * t), 0.5, 0.5)).toBeCloseTo(1 - (2 * Math.atan(t)) / Math.PI, 10);
      expect(incompleteBeta(2 / (2 + t * t), 1, 0.5)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
    }
    // t and df as R's t.test(c(1,2,3), c(4,5,6,7)) prints them; p by numerical integration of the t density.
    const r = welch([1, 2, 3], [4, 5, 6, 7])!;
    expect(r.t).toBeCloseTo(4.0415, 4);
    expect(r.df).toBeCloseTo(4.9592, 4);
    expect(r.p).toBeCloseTo(0.0100769, 6);
    expect(welch([1, 1], [1, 1])).toBeUndefined();
    expect(welch([1], [2, 3])).toBeUndefined();
  });
});

describe('the noise gate', () => {
  it('fails for a difference inside the seed-to-seed noise and passes a large one; timings and parameter counts are not gated', () => {
    const failed = noiseGate(files({ run_0: baseline, run_1: noisy }));
    expect(failed).toMatchObject({ status: 'failed', variant: 'run_1', seeds: { baseline: 3, variant: 3 } });
    expect(failed.tests.map((t) => t.metric)).toEqual(['x_plus_y.final_val_acc', 'x_plus_y.final_val_loss']);
    expect(failed.sentence).toMatch(
      /^Over 3 and 3 seeds, no reliable difference between run_1 and the baseline \(run_0\) was found: no metric passes the noise gate \(p < 0.025: Welch's t-test at alpha = 0.05 with a Bonferroni correction over 2 metric\(s\); the smallest is p = 0\.\d+, for x_plus_y\.final_\w+\)\.$/,
    );
    const passed = noiseGate(files({ run_0: baseline, run_1: noisy, run_2: large }));
    expect(passed).toMatchObject({ status: 'passed', variant: 'run_2' });
    expect(passed.tests.every((t) => t.reliable && t.p < 0.025)).toBe(true);
    expect(passed.sentence).toContain('run_2 differs reliably from the baseline (run_0) in 2 of 2 metric(s)');
  });

  it('with one seed computes nothing; with seeds that do not vary it says so', () => {
    const one = noiseGate(files({ run_0: info(0.1, 5), run_1: info(0.9, 1) }));
    expect(one.status).toBe('one-seed');
    expect(resultsStatementLatex(files({ run_0: info(0.1, 5), run_1: info(0.9, 1) }))).toBe('');
    const same = mergeSeeds([info(0.1, 5), info(0.1, 5), info(0.1, 5)]);
    const other = mergeSeeds([info(0.2, 4), info(0.2, 4), info(0.2, 4)]);
    expect(noiseGate(files({ run_0: same, run_1: other })).status).toBe('no-spread');
    expect(noiseGate(files({ run_0: same })).status).toBe('no-variant');
  });

  it('the results paragraph is LaTeX the section check passes and holds only traced numbers', () => {
    const ws = files({ run_0: baseline, run_1: noisy });
    const tex = resultsStatementLatex(ws);
    expect(tex).toContain('\\paragraph{Noise gate.} Over 3 and 3 seeds, no reliable difference');
    const none = new Set<string>();
    expect(
      checkSection('results_tables', tex, {
        citeKeys: none,
        labels: none,
        figures: none,
        inputs: none,
        maxChars: 20_000,
      }),
    ).toEqual([]);
    // As the PDF prints it: every number in it traces to the gate.
    const printed = tex
      .split('\\paragraph{Noise gate.} ')[1]!
      .replace(/\\textless\{\}/g, '<')
      .replace(/\\_/g, '_');
    const report = checkClaims(printed, sources({ gate: noiseGate(ws) }));
    expect(report.flags).toEqual([]);
    expect(report.traced).toBe(report.numbers);
  });
});

describe('the claim check with the gate', () => {
  const text = (results: string) =>
    `Title\nAbstract\nWe study warmup. The variant improves accuracy.\n1 Introduction\nWarmup improves many models.\n5 Results\n${results}\n6 Conclusion\nWe find that it outperforms the baseline.\nReferences\n`;

  it('flags "improves" and "outperforms" in the abstract, results and conclusion when the gate failed, not elsewhere', () => {
    const gate = noiseGate(files({ run_0: baseline, run_1: noisy }));
    const r = checkClaims(text('Run 1 is significantly better than the baseline.'), sources({ gate }));
    expect(r.flags.map((f) => [f.kind, f.text])).toEqual([
      ['noise', 'significantly'],
      ['noise', 'improves'],
      ['noise', 'better than'],
      ['noise', 'outperforms'],
    ]);
    expect(r.flags[0]!.why).toMatch(
      /^the noise gate did not pass \(failed: Over 3 and 3 seeds, no reliable difference/,
    );
  });

  it('raises no flag when the gate passed (no false alarm)', () => {
    const gate = noiseGate(files({ run_0: baseline, run_1: large }));
    expect(gate.status).toBe('passed');
    expect(
      checkClaims(text('Run 1 is significantly better than the baseline.'), sources({ gate })).flags,
    ).toEqual([]);
  });

  it('with one seed keeps flagging only claims of significance', () => {
    const gate = noiseGate(files({ run_0: info(0.1, 5), run_1: info(0.9, 1) }));
    const r = checkClaims(text('Run 1 is significantly better than the baseline.'), sources({ gate }));
    expect(r.flags.map((f) => [f.kind, f.text])).toEqual([['noise', 'significantly']]);
  });

  it('finds the abstract, results and conclusion by their headings', () => {
    const t = text('R.');
    expect(claimRegions(t).map(([a, b]) => t.slice(a, b).split('\n')[0])).toEqual([
      'Abstract',
      '5 Results',
      '6 Conclusion',
    ]);
  });
});

describe('a variant identical to the baseline', () => {
  // run_1's timing differs, as any two runs' do; its results do not.
  const ws = files({ run_0: info(0.1, 5), run_1: info(0.1, 5, 14.2), run_2: info(0.2, 4) });

  it('is found, gets a sentence made by code, and is flagged when the paper presents it as a change', () => {
    expect(identicalVariants(ws)).toEqual(['run_1']);
    expect(resultsStatementLatex(ws)).toContain(
      "run\\_1's results equal the baseline's (run\\_0) in every metric: the edit changed nothing measurable",
    );
    const r = checkClaims(
      'Abstract\nLonger warmup delays grokking.\n5 Results\nSee Table 1.\n',
      sources({ identical: ['run_1'] }),
    );
    expect(r.flags.map((f) => [f.kind, f.text])).toEqual([['no-change', 'run_1: identical to run_0']]);
    // Said plainly: nothing to flag.
    expect(
      checkClaims('Abstract\nThe edit had no measurable effect.\n', sources({ identical: ['run_1'] })).flags,
    ).toEqual([]);
    // The sentence itself trips no word check.
    const sentence = resultsStatementLatex(ws).split('} ')[1]!.replace(/\\_/g, '_');
    expect(checkClaims(`5 Results\n${sentence}\n`, sources({ identical: ['run_1'] })).flags).toEqual([]);
  });
});
