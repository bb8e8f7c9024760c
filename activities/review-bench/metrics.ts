/**
 * How well a reviewer's Overall scores predict the conference's decisions: the binary metrics
 * at a decision threshold (a paper is predicted Accept when its score is at least the
 * threshold, as in the AI Scientist's published table, not by the review's own Decision
 * field), rank-based AUC, the sweep over every threshold, and the same figures for the human
 * reviewers. Pure functions; no I/O.
 */
import type { HumanPaper, ReviewRecord } from './data';

/** One prediction to score: a paper's score and whether the paper was in fact accepted. */
export interface ScoredItem {
  paperId: string;
  /** Overall score; null when the paper has no usable review (never predicted Accept). */
  score: number | null;
  /** Ground truth: the conference accepted the paper. */
  positive: boolean;
}

export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/**
 * Metrics of binary predictions. Rates are fractions in [0, 1]; a rate whose denominator is
 * zero (no accepted papers, say) is NaN.
 */
export interface BinaryMetrics extends ConfusionCounts {
  /** Predict Accept when score ≥ threshold. */
  threshold: number;
  n: number;
  accuracy: number;
  /** Mean of the true-positive and true-negative rates. */
  balancedAccuracy: number;
  /** F1 of the Accept class. */
  f1: number;
  precision: number;
  /** True-positive rate (recall of Accept). */
  tpr: number;
  /** False-positive rate: rejected papers predicted Accept, over rejected papers. */
  fpr: number;
  /** False-negative rate: accepted papers predicted Reject, over accepted papers. */
  fnr: number;
  /** AUC of the binary predictions (rank-based; equals balanced accuracy). */
  aucBinary: number;
}

const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);

const predictsAccept = (score: number | null, threshold: number) => score !== null && score >= threshold;

/** Counts true/false positives/negatives of "score ≥ threshold" against the truth. */
export function confusion(items: readonly ScoredItem[], threshold: number): ConfusionCounts {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const it of items) {
    const p = predictsAccept(it.score, threshold);
    if (p && it.positive) c.tp++;
    else if (p) c.fp++;
    else if (it.positive) c.fn++;
    else c.tn++;
  }
  return c;
}

/**
 * Area under the ROC curve by ranks (the Mann–Whitney U statistic over positives × negatives):
 * a tie between a positive and a negative counts one half, so it is exact with the few
 * distinct values Overall scores take. A null score ranks below every number. NaN without both
 * classes.
 */
export function rocAuc(items: readonly { score: number | null; positive: boolean }[]): number {
  const sorted = items
    .map((it) => ({ s: it.score ?? -Infinity, positive: it.positive }))
    .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]!.s === sorted[i]!.s) j++;
    // Ranks i+1 … j share their mean.
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++)
      if (sorted[k]!.positive) {
        positives++;
        rankSum += midRank;
      }
    i = j;
  }
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Every binary metric of "score ≥ threshold". */
export function binaryMetrics(items: readonly ScoredItem[], threshold: number): BinaryMetrics {
  const c = confusion(items, threshold);
  const n = items.length;
  const tpr = ratio(c.tp, c.tp + c.fn);
  const tnr = ratio(c.tn, c.tn + c.fp);
  return {
    ...c,
    threshold,
    n,
    accuracy: ratio(c.tp + c.tn, n),
    balancedAccuracy: (tpr + tnr) / 2,
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    precision: ratio(c.tp, c.tp + c.fp),
    tpr,
    fpr: ratio(c.fp, c.fp + c.tn),
    fnr: ratio(c.fn, c.fn + c.tp),
    aucBinary: rocAuc(
      items.map((it) => ({ score: predictsAccept(it.score, threshold) ? 1 : 0, positive: it.positive })),
    ),
  };
}

/**
 * The metrics at every threshold that changes a prediction: each distinct score, ascending,
 * then +Infinity (everything rejected). With the all-accept point (FPR = TPR = 1) these are the
 * ROC curve's corners.
 */
export function thresholdSweep(items: readonly ScoredItem[]): BinaryMetrics[] {
  const distinct = [...new Set(items.flatMap((it) => (it.score === null ? [] : [it.score])))].sort(
    (a, b) => a - b,
  );
  return [...distinct, Infinity].map((t) => binaryMetrics(items, t));
}

/** How missing reviews count: as Reject predictions (the default), or not at all. */
export type MissingReviews = 'reject' | 'exclude';

export interface JoinedReviews {
  items: ScoredItem[];
  /** Papers with a decision but no usable review (no row, or a blank / non-numeric Overall). */
  missing: number;
  /** Review rows for papers without a decision (not in the ratings, or `Unknown`): ignored. */
  ignored: number;
}

/**
 * Pairs each paper that has a decision with its review. A review of a paper without a decision
 * is ignored. A paper without a usable review is, with `missing: 'reject'`, kept as a Reject
 * prediction with the lowest rank (a reviewer that fails gets no credit for it); with
 * `'exclude'` it is left out, as upstream's script does (it scores only the rows it has).
 */
export function joinReviews(
  papers: readonly HumanPaper[],
  reviews: readonly ReviewRecord[],
  missing: MissingReviews = 'reject',
): JoinedReviews {
  const byId = new Map(reviews.map((r) => [r.paperId, r]));
  const known = new Set(papers.map((p) => p.paperId));
  const items: ScoredItem[] = [];
  let absent = 0;
  for (const p of papers) {
    const score = byId.get(p.paperId)?.overall ?? null;
    if (score === null) {
      absent++;
      if (missing === 'exclude') continue;
    }
    items.push({ paperId: p.paperId, score, positive: p.accepted });
  }
  return { items, missing: absent, ignored: reviews.filter((r) => !known.has(r.paperId)).length };
}

/**
 * The human baseline's items: every (paper, human reviewer) pair is one prediction — that
 * reviewer's score against the paper's final decision — so each paper counts once per
 * reviewer (1,968 pairs over the 500 papers). The same threshold rule as for a model then
 * applies. (This does not reproduce the AI Scientist's published human row, which the
 * published F1 shows was measured at a ~26 % acceptance rate, not ICLR 2022's 37 %: see the
 * report's note.)
 */
export function humanReviewerItems(papers: readonly HumanPaper[]): ScoredItem[] {
  return papers.flatMap((p) =>
    p.scores.map((score) => ({ paperId: p.paperId, score, positive: p.accepted })),
  );
}

/** The figures of one reviewer (a model configuration or the human reviewers) at one threshold. */
export interface ReviewerMetrics {
  /** Metrics of "Overall ≥ threshold". */
  atThreshold: BinaryMetrics;
  /** AUC of the raw Overall score (ranks, ties counted one half). */
  aucOverall: number;
  sweep: BinaryMetrics[];
}

/** All figures of a set of scored items at the decision threshold. */
export function reviewerMetrics(items: readonly ScoredItem[], threshold: number): ReviewerMetrics {
  return {
    atThreshold: binaryMetrics(items, threshold),
    aucOverall: rocAuc(items),
    sweep: thresholdSweep(items),
  };
}
