/**
 * The benchmark report: every reviewer configuration's figures and the human baseline side by
 * side, as data (for JSON and a later benchmark workflow), as a markdown report and as PNG
 * figures. Pure: parsed records in, strings and bytes out.
 */
import { calibrate, DEFAULT_SPLIT, splitOf, type Calibration, type SplitOptions } from './calibration';
import type { HumanRatings, ReviewerConfig, ReviewRecord } from './data';
import { histogramFigure, rocFigure } from './figures';
import {
  binaryMetrics,
  humanReviewerItems,
  joinReviews,
  reviewerMetrics,
  type BinaryMetrics,
  type MissingReviews,
  type ReviewerMetrics,
  type ScoredItem,
} from './metrics';

/** The AI Scientist's decision threshold: Accept when Overall ≥ 6 ("weak accept"). */
export const DEFAULT_THRESHOLD = 6;

/** The published figures (Lu et al., 2024, the AI Scientist paper), for the report's comparison. */
export const PUBLISHED = {
  gpt4o: {
    config: 'gpt-4o-2024-05-13_temp_0_1_fewshot_1_reflect_5_ensemble_5_pages_all',
    balancedAccuracy: 0.65,
    f1: 0.57,
    auc: 0.65,
    fpr: 0.31,
    fnr: 0.39,
  },
  human: { balancedAccuracy: 0.66, f1: 0.49, auc: 0.65, fpr: 0.17, fnr: 0.52 },
} as const;

export interface ReportOptions {
  /** Decision threshold on Overall; default 6. */
  threshold?: number;
  /** How papers without a usable review count; default `reject` (see ./metrics.ts joinReviews). */
  missing?: MissingReviews;
  /** The calibration split; default seed 1, half the papers for training. */
  split?: SplitOptions;
}

/** One reviewer's results: a stored configuration or the human reviewers. */
export interface ReviewerResult {
  /** `human` for the human baseline; otherwise the configuration's name. */
  name: string;
  config?: ReviewerConfig;
  /** A short label for legends and tables. */
  label: string;
  /** Papers with a decision that this reviewer is scored on. */
  papers: number;
  /** Predictions scored: one per paper, or for humans one per (paper, reviewer) pair. */
  predictions: number;
  /** Papers with a decision and no usable review (see `missingPolicy`). */
  missing: number;
  /** Review rows for papers without a decision, ignored. */
  ignored: number;
  metrics: ReviewerMetrics;
  calibration: Calibration;
  /** Held-out metrics at the decision threshold, to compare with the fitted threshold's. */
  heldOutAtThreshold: BinaryMetrics;
  /** The scored items (not written to JSON by the CLI: it is the input restated). */
  items: ScoredItem[];
}

export interface BenchReport {
  threshold: number;
  missingPolicy: MissingReviews;
  split: Required<SplitOptions>;
  /** Papers with a decision, of which accepted; papers marked Unknown (left out). */
  papers: number;
  accepted: number;
  unknown: number;
  reviewers: ReviewerResult[];
  human: ReviewerResult;
}

/** `gpt-4o-2024-05-13 t0.1 fs1 r5 e5` — model, temperature, few-shot, rounds, ensemble. */
export function configLabel(config: ReviewerConfig): string {
  if (config.model === undefined) return config.name;
  const parts = [
    config.model,
    `t${config.temperature}`,
    `fs${config.fewShot}`,
    `r${config.reviewRounds}`,
    `e${config.ensemble}`,
  ];
  if (config.pages !== 'all') parts.push(`p${config.pages}`);
  return parts.join(' ');
}

function result(
  name: string,
  label: string,
  items: ScoredItem[],
  extra: { config?: ReviewerConfig; missing: number; ignored: number },
  threshold: number,
  split: Required<SplitOptions>,
): ReviewerResult {
  const heldOut = items.filter((it) => splitOf(it.paperId, split) === 'heldOut');
  return {
    name,
    label,
    config: extra.config,
    papers: new Set(items.map((it) => it.paperId)).size,
    predictions: items.length,
    missing: extra.missing,
    ignored: extra.ignored,
    metrics: reviewerMetrics(items, threshold),
    calibration: calibrate(items, split),
    heldOutAtThreshold: binaryMetrics(heldOut, threshold),
    items,
  };
}

/**
 * Scores every review file against the human decisions, and the human reviewers themselves
 * (each score against the decision, ./metrics.ts `humanReviewerItems`). Reviewers are listed
 * in the order given.
 */
export function buildReport(
  ratings: HumanRatings,
  files: readonly { config: ReviewerConfig; reviews: readonly ReviewRecord[] }[],
  options: ReportOptions = {},
): BenchReport {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const missingPolicy = options.missing ?? 'reject';
  const split = { ...DEFAULT_SPLIT, ...options.split };
  const reviewers = files.map(({ config, reviews }) => {
    const joined = joinReviews(ratings.papers, reviews, missingPolicy);
    return result(
      config.name,
      configLabel(config),
      joined.items,
      { config, missing: joined.missing, ignored: joined.ignored },
      threshold,
      split,
    );
  });
  const human = result(
    'human',
    'human reviewers (ICLR 2022)',
    humanReviewerItems(ratings.papers),
    { missing: 0, ignored: 0 },
    threshold,
    split,
  );
  return {
    threshold,
    missingPolicy,
    split,
    papers: ratings.papers.length,
    accepted: ratings.papers.filter((p) => p.accepted).length,
    unknown: ratings.unknown,
    reviewers,
    human,
  };
}

/** A figure of the report: its file name (relative to report.md), caption and PNG bytes. */
export interface ReportFigure {
  file: string;
  caption: string;
  png: Buffer;
}

const fileSafe = (name: string) => name.replace(/[^A-Za-z0-9_.-]+/g, '_');

/** The ROC curves of every reviewer (and the humans) on one chart, and one histogram each. */
export function reportFigures(report: BenchReport): ReportFigure[] {
  const all = [...report.reviewers, report.human];
  const roc: ReportFigure = {
    file: 'roc.png',
    caption: `ROC curves of the Overall score against the ICLR 2022 decisions; squares mark Overall ≥ ${report.threshold}`,
    png: rocFigure(
      all.map((r) => ({
        label: r.label,
        sweep: r.metrics.sweep,
        at: r.metrics.atThreshold,
        auc: r.metrics.aucOverall,
        color: r === report.human ? ([0, 0, 0] as const) : undefined,
      })),
    ),
  };
  const histograms = all.map((r) => ({
    file: `hist-${fileSafe(r.name)}.png`,
    caption: `Overall scores of accepted and rejected papers: ${r.label}`,
    png: histogramFigure(r.items, report.threshold, r.label, r === report.human ? 'scores' : 'papers'),
  }));
  return [roc, ...histograms];
}

/** F1 of the Accept class at given false-positive / false-negative rates and share of accepted papers. */
export function f1AtRates(fpr: number, fnr: number, acceptShare: number): number {
  const tp = (1 - fnr) * acceptShare;
  return (2 * tp) / (2 * tp + fpr * (1 - acceptShare) + fnr * acceptShare);
}

/** The share of accepted papers at which published FPR, FNR and F1 are consistent (inverse of f1AtRates). */
export function impliedAcceptShare(m: { fpr: number; fnr: number; f1: number }): number {
  const tpr2 = 2 * (1 - m.fnr);
  return (m.f1 * m.fpr) / (tpr2 - m.f1 * (tpr2 - m.fpr + m.fnr));
}

const fmtPct = (x: number) => `${Math.round(100 * x)} %`;

/** Two decimals; `n/a` for NaN (a rate with nothing to divide by). */
export const fmt = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));

const mdRow = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** The side-by-side table: one row per reviewer configuration and one for the human reviewers. */
export function comparisonTable(report: BenchReport): string {
  const header = [
    'Reviewer',
    'Model',
    'Temp.',
    'Few-shot',
    'Rounds',
    'Ensemble',
    'Scored',
    'Acc.',
    'Bal. acc.',
    'F1',
    'AUC (binary)',
    'AUC (Overall)',
    'FPR',
    'FNR',
    'Fitted ≥',
    'Held-out bal. acc.',
  ];
  const row = (r: ReviewerResult) => {
    const m = r.metrics.atThreshold;
    const c = r.config;
    const scored =
      r === report.human
        ? `${r.predictions} scores of ${r.papers} papers`
        : `${r.items.filter((it) => it.score !== null).length}/${report.papers}`;
    return mdRow([
      r === report.human ? r.label : `\`${r.name}\``,
      c?.model ?? '-',
      c?.temperature ?? '-',
      c?.fewShot ?? '-',
      c?.reviewRounds ?? '-',
      c?.ensemble ?? '-',
      scored,
      fmt(m.accuracy),
      fmt(m.balancedAccuracy),
      fmt(m.f1),
      fmt(m.aucBinary),
      fmt(r.metrics.aucOverall),
      fmt(m.fpr),
      fmt(m.fnr),
      r.calibration.threshold,
      fmt(r.calibration.heldOut.balancedAccuracy),
    ]);
  };
  return [
    mdRow(header),
    mdRow(header.map(() => '---')),
    ...report.reviewers.map(row),
    row(report.human),
  ].join('\n');
}

function sweepTable(r: ReviewerResult): string {
  const rows = r.metrics.sweep.map((m) =>
    mdRow([
      Number.isFinite(m.threshold) ? m.threshold : '∞ (none)',
      m.tp + m.fp,
      fmt(m.tpr),
      fmt(m.fpr),
      fmt(m.accuracy),
      fmt(m.balancedAccuracy),
      fmt(m.f1),
    ]),
  );
  return [
    mdRow(['Accept if Overall ≥', 'Predicted Accept', 'TPR', 'FPR', 'Acc.', 'Bal. acc.', 'F1']),
    mdRow(['---', '---', '---', '---', '---', '---', '---']),
    ...rows,
  ].join('\n');
}

function calibrationTable(report: BenchReport): string {
  const rows = [...report.reviewers, report.human].map((r) => {
    const c = r.calibration;
    return mdRow([
      r.label,
      c.threshold,
      c.trainPapers,
      fmt(c.train.balancedAccuracy),
      c.heldOutPapers,
      fmt(c.heldOut.balancedAccuracy),
      fmt(r.heldOutAtThreshold.balancedAccuracy),
      fmt(c.heldOut.fpr),
      fmt(c.heldOut.fnr),
    ]);
  });
  return [
    mdRow([
      'Reviewer',
      'Fitted ≥',
      'Train papers',
      'Train bal. acc.',
      'Held-out papers',
      'Held-out bal. acc.',
      `Held-out bal. acc. at ≥ ${report.threshold}`,
      'Held-out FPR',
      'Held-out FNR',
    ]),
    mdRow(Array.from({ length: 9 }, () => '---')),
    ...rows,
  ].join('\n');
}

/** The whole report as markdown; `figures` are linked by their file names. */
export function reportMarkdown(
  report: BenchReport,
  figures: readonly Pick<ReportFigure, 'file' | 'caption'>[],
): string {
  const t = report.threshold;
  const ref = report.reviewers.find((r) => r.name === PUBLISHED.gpt4o.config);
  const p = PUBLISHED.gpt4o;
  const h = PUBLISHED.human;
  const lines = [
    '# Reviewer benchmark: ICLR 2022',
    '',
    `${report.papers} papers with a decision (${report.accepted} accepted); ${report.unknown} marked Unknown are left out. ` +
      `A review predicts Accept when its Overall score is at least ${t} (its own Decision field is not used). ` +
      (report.missingPolicy === 'reject'
        ? 'A paper with a decision but no usable review counts as a Reject prediction and ranks below every score. '
        : 'A paper with a decision but no usable review is left out of that reviewer’s figures. ') +
      'Review rows for papers without a decision are ignored. ' +
      'AUC is rank-based (ties count one half); AUC on the binary predictions equals balanced accuracy.',
    '',
    comparisonTable(report),
    '',
    'Rounds count the first review as round 1 (upstream’s `num_reflections`; our `--reflections N` is N + 1 rounds). ' +
      `Fitted ≥ is the threshold with the best balanced accuracy on the training half (split by sha256 of \`${report.split.seed}:<paper_id>\`, ` +
      `${Math.round(report.split.trainFraction * 100)} % train), measured on the held-out half.`,
    '',
    '## Against the published figures',
    '',
    `Published for \`${p.config}\`: balanced accuracy ${p.balancedAccuracy}, F1 ${p.f1}, AUC ${p.auc}, FPR ${p.fpr}, FNR ${p.fnr}.`,
    ref
      ? `Computed here: balanced accuracy ${fmt(ref.metrics.atThreshold.balancedAccuracy)}, F1 ${fmt(ref.metrics.atThreshold.f1)}, ` +
        `AUC ${fmt(ref.metrics.atThreshold.aucBinary)}, FPR ${fmt(ref.metrics.atThreshold.fpr)}, FNR ${fmt(ref.metrics.atThreshold.fnr)}.`
      : 'That configuration’s file was not among the inputs.',
    '',
    '## Human baseline',
    '',
    `Each human reviewer’s score against the paper’s final decision, Accept when the score is at least ${t}: ` +
      `every (paper, reviewer) pair is one prediction (${report.human.predictions} pairs over ${report.human.papers} papers). ` +
      `Computed: balanced accuracy ${fmt(report.human.metrics.atThreshold.balancedAccuracy)}, F1 ${fmt(report.human.metrics.atThreshold.f1)}, ` +
      `AUC of the scores ${fmt(report.human.metrics.aucOverall)}, FPR ${fmt(report.human.metrics.atThreshold.fpr)}, FNR ${fmt(report.human.metrics.atThreshold.fnr)}.`,
    '',
    `The published human row (balanced accuracy ${h.balancedAccuracy}, F1 ${h.f1}, AUC ${h.auc}, FPR ${h.fpr}, FNR ${h.fnr}) is not ` +
      'reproduced by any definition tried on this file (all pairs pooled, each reviewer column alone, pairs weighted per paper, ' +
      'the mean / median / maximum score of a paper, each reviewer against the mean of the others; at every threshold of the sweep). ' +
      `It cannot be: at FPR ${h.fpr} and FNR ${h.fnr}, F1 ${h.f1} implies that ${fmtPct(impliedAcceptShare(h))} of the papers were accepted; ` +
      `here ${fmtPct(report.accepted / report.papers)} were, which at those rates gives F1 ${fmt(f1AtRates(h.fpr, h.fnr, report.accepted / report.papers))}. ` +
      'The human row was evidently measured on another set of papers; the figures above are this file’s.',
    '',
    '## Calibration',
    '',
    calibrationTable(report),
    '',
    '## Figures',
    '',
    ...figures.flatMap((f) => [`![${f.caption}](${f.file})`, '']),
    '## Threshold sweeps',
    '',
    ...[...report.reviewers, report.human].flatMap((r) => [`### ${r.label}`, '', sweepTable(r), '']),
  ];
  return lines.join('\n');
}

/** The report as JSON-ready data: everything but the scored items (the inputs restated). */
export function reportData(report: BenchReport): unknown {
  const strip = ({ items: _items, ...rest }: ReviewerResult) => rest;
  return { ...report, reviewers: report.reviewers.map(strip), human: strip(report.human) };
}
