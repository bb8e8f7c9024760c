/**
 * Seeds and the noise gate. The baseline (run_0) and the final variant run over K seeds; their
 * per-seed results are merged into each run's final_info.json as the AI Scientist's multi-seed
 * templates write them (`means` over seeds, `final_info_dict` with the per-seed values), so the
 * results table shows mean ± std. The gate compares the final variant with the baseline metric
 * by metric with Welch's two-sample t-test (unequal variances, two-sided), computed here by code,
 * at α = 0.05 with a Bonferroni correction over the metrics compared. A claim that the variant is
 * better ("significantly", "outperforms", "improves") needs the gate to pass; the text the
 * results section ends with says what the gate found, in a sentence made by code.
 * Also here: a variant whose results equal the baseline's in every metric (the edit changed
 * nothing measurable). Plain functions; the activities are in ./index.ts.
 */
import { escapeText } from '../latex/plain';
import { runResultFiles } from '../writeup/results';
import type { WorkspaceFiles } from '../workspace';

/** Family-wise significance level of the gate. */
export const GATE_ALPHA = 0.05;

/**
 * Metrics the gate leaves out: timings measure the machine, not the method, and a parameter
 * count is a property of the model (the compute ledger compares it).
 */
const NOT_GATED =
  /(^|_)(time|times|seconds|duration|secs?|s|n_params|params|num_params|parameters)$|time_s$/i;

/** Metrics that measure the machine's speed, not the method. */
const TIMING = /(^|_)(time|times|seconds|duration|secs?|s)$|time_s$|per_second$/i;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * One run's final_info.json from its seeds' final_info.json (seed 0 first): each numeric metric's
 * mean over the seeds in `means`, the per-seed values in `final_info_dict`; other values as seed 0 has them.
 */
export function mergeSeeds(infos: unknown[]): Record<string, unknown> {
  const first = (infos[0] ?? {}) as Record<string, { means?: Record<string, unknown> }>;
  const out: Record<string, unknown> = {};
  for (const [dataset, entry] of Object.entries(first)) {
    if (!entry || typeof entry !== 'object' || !entry.means || typeof entry.means !== 'object') {
      out[dataset] = entry;
      continue;
    }
    const means: Record<string, unknown> = {};
    const perSeed: Record<string, number[]> = {};
    for (const [metric, v0] of Object.entries(entry.means)) {
      const values = infos.map(
        (info) => (info as Record<string, { means?: Record<string, unknown> }>)?.[dataset]?.means?.[metric],
      );
      if (values.every(finite)) {
        means[metric] = values.reduce((a, b) => a + b, 0) / values.length;
        perSeed[metric] = values;
      } else means[metric] = v0;
    }
    // stderrs of seed 0 describe one seed's run, not the spread over seeds: they are dropped.
    out[dataset] = { means, final_info_dict: perSeed };
  }
  return out;
}

// ---- Welch's t-test

/** ln Γ(x), Lanczos approximation (g = 7, 9 terms): about 15 significant digits. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularized incomplete beta function (Numerical Recipes' betacf). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(a, b, x)) / a
    : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

export interface WelchResult {
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  p: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n − 1). */
const sd = (xs: number[]) => {
  // Equal values have no spread (their float mean may differ from them in the last bit).
  if (xs.every((x) => x === xs[0])) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** Welch's t-test of two samples of at least two values each; undefined when neither varies. */
export function welch(a: number[], b: number[]): WelchResult | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const va = sd(a) ** 2 / a.length;
  const vb = sd(b) ** 2 / b.length;
  const se2 = va + vb;
  if (!(se2 > 0)) return undefined;
  const t = (mean(b) - mean(a)) / Math.sqrt(se2);
  const df = se2 ** 2 / ((va ** 2 || 0) / (a.length - 1) + (vb ** 2 || 0) / (b.length - 1));
  const p = incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return { t, df, p: Math.min(1, Math.max(0, p)) };
}

// ---- the gate

export interface GateTest {
  /** `<dataset>.<metric>`. */
  metric: string;
  baseline: { mean: number; std: number; n: number };
  variant: { mean: number; std: number; n: number };
  t: number;
  df: number;
  p: number;
  /** p below α / (tests compared). */
  reliable: boolean;
}

export interface NoiseGate {
  /**
   * `passed`: at least one metric differs reliably; `failed`: none does; `one-seed`: a run has
   * a single seed (no spread to test against); `no-spread`: the seeds gave identical results
   * (the code does not vary with its seed); `no-variant`: no run besides the baseline.
   */
  status: 'passed' | 'failed' | 'one-seed' | 'no-spread' | 'no-variant';
  test: "Welch's t-test (two-sided, unequal variances)";
  alpha: number;
  /** The variant compared with run_0: the last run with results. */
  variant?: string;
  seeds: { baseline: number; variant: number };
  tests: GateTest[];
  /** The sentence the results section ends with (plain text). */
  sentence: string;
}

interface SeededRun {
  run: string;
  /** `<dataset>.<metric>` → values, one per seed. */
  values: Record<string, number[]>;
}

function seededRuns(files: WorkspaceFiles): SeededRun[] {
  return runResultFiles(files).flatMap((r) => {
    if (!r.info || typeof r.info !== 'object') return [];
    const values: Record<string, number[]> = {};
    for (const [dataset, entry] of Object.entries(r.info as Record<string, unknown>)) {
      if (!entry || typeof entry !== 'object') continue;
      const e = entry as { means?: Record<string, unknown>; final_info_dict?: Record<string, unknown> };
      for (const [metric, v] of Object.entries(e.means ?? {})) {
        const perSeed = e.final_info_dict?.[metric];
        const xs = Array.isArray(perSeed) && perSeed.every(finite) ? perSeed : finite(v) ? [v] : [];
        if (xs.length) values[`${dataset}.${metric}`] = xs;
      }
    }
    return [{ run: r.run, values }];
  });
}

/** A p-value or threshold as the sentence prints it (two significant digits; below 0.0001 as a bound). */
const fmtP = (x: number) => (x < 1e-4 ? '< 0.0001' : `= ${Number(x.toPrecision(2))}`);

/** The noise gate over the workspace's results: run_0 against the last run. */
export function noiseGate(files: WorkspaceFiles, alpha = GATE_ALPHA): NoiseGate {
  const runs = seededRuns(files);
  const base = runs.find((r) => r.run === 'run_0');
  const variant = runs.filter((r) => r.run !== 'run_0').pop();
  const seedsOf = (r?: SeededRun) => Math.max(0, ...Object.values(r?.values ?? {}).map((v) => v.length));
  const seeds = { baseline: seedsOf(base), variant: seedsOf(variant) };
  const common = {
    test: "Welch's t-test (two-sided, unequal variances)" as const,
    alpha,
    seeds,
    ...(variant ? { variant: variant.run } : {}),
  };
  if (!base || !variant)
    return {
      ...common,
      status: 'no-variant',
      tests: [],
      sentence: 'No variant was compared with the baseline, so no difference between methods is claimed.',
    };
  if (seeds.baseline < 2 || seeds.variant < 2)
    return {
      ...common,
      status: 'one-seed',
      tests: [],
      sentence: `The baseline ran with ${seeds.baseline} seed(s) and ${variant.run} with ${seeds.variant}, so no noise gate could be computed and no reliable difference is claimed.`,
    };
  const raw: Omit<GateTest, 'reliable'>[] = Object.keys(base.values)
    .filter((m) => !NOT_GATED.test(m.split('.').pop() ?? m) && variant.values[m])
    .flatMap((metric) => {
      const a = base.values[metric]!;
      const b = variant.values[metric]!;
      const w = welch(a, b);
      return w
        ? [
            {
              metric,
              baseline: { mean: mean(a), std: sd(a), n: a.length },
              variant: { mean: mean(b), std: sd(b), n: b.length },
              ...w,
            },
          ]
        : [];
    });
  const tests: GateTest[] = raw.map((t) => ({ ...t, reliable: t.p < alpha / raw.length }));
  const k = `${seeds.baseline} and ${seeds.variant} seeds`;
  if (!tests.length)
    return {
      ...common,
      status: 'no-spread',
      tests,
      sentence: `Over ${k}, the baseline's and ${variant.run}'s results did not vary from seed to seed, so no noise gate could be computed and no reliable difference is claimed.`,
    };
  const reliable = tests.filter((t) => t.reliable);
  const threshold = `p < ${Number((alpha / tests.length).toPrecision(2))}: Welch's t-test at alpha = ${alpha} with a Bonferroni correction over ${tests.length} metric(s)`;
  if (!reliable.length) {
    const best = [...tests].sort((x, y) => x.p - y.p)[0]!;
    return {
      ...common,
      status: 'failed',
      tests,
      sentence: `Over ${k}, no reliable difference between ${variant.run} and the baseline (run_0) was found: no metric passes the noise gate (${threshold}; the smallest is p ${fmtP(best.p)}, for ${best.metric}).`,
    };
  }
  const listed = reliable
    .slice(0, 4)
    .map((t) => `${t.metric} (p ${fmtP(t.p)})`)
    .join(', ');
  return {
    ...common,
    status: 'passed',
    tests,
    sentence: `Over ${k}, ${variant.run} differs reliably from the baseline (run_0) in ${reliable.length} of ${tests.length} metric(s) (${threshold}): ${listed}${reliable.length > 4 ? ', ...' : ''}.`,
  };
}

/** Variants (run_N, N > 0) whose every metric equals the baseline's: the edit changed nothing measurable. */
export function identicalVariants(files: WorkspaceFiles): string[] {
  const runs = runResultFiles(files);
  const metrics = (info: unknown): string | undefined => {
    if (!info || typeof info !== 'object') return undefined;
    // Timings differ between any two runs of the same code: they are not the edit's result.
    const entries = Object.entries(info as Record<string, { means?: unknown }>)
      .filter(([, e]) => e && typeof e === 'object' && e.means && typeof e.means === 'object')
      .map(
        ([d, e]) =>
          [d, Object.entries(e.means as Record<string, unknown>).filter(([m]) => !TIMING.test(m))] as const,
      );
    return entries.length ? JSON.stringify(entries) : undefined;
  };
  const base = metrics(runs.find((r) => r.run === 'run_0')?.info);
  if (!base) return [];
  return runs.filter((r) => r.run !== 'run_0' && metrics(r.info) === base).map((r) => r.run);
}

/** The sentence the paper carries for a variant identical to the baseline (made by code). */
export const identicalSentence = (run: string) =>
  `${run}'s results equal the baseline's (run_0) in every metric: the edit changed nothing measurable, and ${run} does not differ from the baseline.`;

/**
 * What the results section ends with, after the tables: the noise gate's sentence when the runs
 * have seeds, and a sentence for each variant identical to the baseline. '' when neither applies.
 */
export function resultsStatementLatex(files: WorkspaceFiles): string {
  const gate = noiseGate(files);
  const sentences = [
    ...(gate.status !== 'one-seed' && gate.status !== 'no-variant' ? [gate.sentence] : []),
    ...identicalVariants(files).map(identicalSentence),
  ];
  return sentences.length
    ? `% Made by code from the runs' final_info.json (the noise gate).\n\\paragraph{Noise gate.} ${escapeText(sentences.join(' '))}\n`
    : '';
}
