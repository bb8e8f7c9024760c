/**
 * Calibrating the decision threshold: split the papers into a training and a held-out part by a
 * seeded hash of the paper id (deterministic, independent of file order, and stable when papers
 * are added), pick the Overall threshold with the best balanced accuracy on the training part,
 * and report it on the held-out part. Pure; no I/O.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../lib/errors';
import { binaryMetrics, thresholdSweep, type BinaryMetrics, type ScoredItem } from './metrics';

export interface SplitOptions {
  /** Mixed into the hash; another seed gives another split. Default 1. */
  seed?: number | string;
  /** Share of papers in the training part, in (0, 1). Default 0.5. */
  trainFraction?: number;
}

export const DEFAULT_SPLIT = { seed: 1, trainFraction: 0.5 } as const;

/**
 * Which part a paper falls in: the first 32 bits of sha256(`<seed>:<paperId>`) as a fraction of
 * 2³², below `trainFraction` → train. Every item of one paper (e.g. each human reviewer's
 * score) lands in the same part.
 */
export function splitOf(paperId: string, options: SplitOptions = {}): 'train' | 'heldOut' {
  const { seed, trainFraction } = { ...DEFAULT_SPLIT, ...options };
  const u = createHash('sha256').update(`${seed}:${paperId}`).digest().readUInt32BE(0) / 2 ** 32;
  return u < trainFraction ? 'train' : 'heldOut';
}

/**
 * The threshold with the highest balanced accuracy on these items, among the thresholds that
 * change a prediction (./metrics.ts `thresholdSweep`). A tie goes to the higher threshold: the
 * stricter reviewer, because a false Accept is the costlier error for a paper-writing system.
 */
export function fitThreshold(items: readonly ScoredItem[]): BinaryMetrics {
  let best: BinaryMetrics | undefined;
  // The sweep is in ascending order, so `>=` hands a tie to the higher threshold.
  for (const m of thresholdSweep(items))
    if (!Number.isNaN(m.balancedAccuracy) && (!best || m.balancedAccuracy >= best.balancedAccuracy)) best = m;
  if (!best) throw new InvalidInputError('cannot fit a threshold without both accepted and rejected papers');
  return best;
}

export interface Calibration {
  seed: number | string;
  trainFraction: number;
  /** Papers (not items) in each part. */
  trainPapers: number;
  heldOutPapers: number;
  /** The fitted threshold (predict Accept when Overall ≥ it). */
  threshold: number;
  /** Metrics at the fitted threshold on the training part. */
  train: BinaryMetrics;
  /** Metrics at the fitted threshold on the held-out part: the figure to quote. */
  heldOut: BinaryMetrics;
}

/** Fits the threshold on the training split and measures it on the held-out split. */
export function calibrate(items: readonly ScoredItem[], options: SplitOptions = {}): Calibration {
  const { seed, trainFraction } = { ...DEFAULT_SPLIT, ...options };
  if (!(trainFraction > 0 && trainFraction < 1))
    throw new InvalidInputError(`trainFraction must be in (0, 1), got ${trainFraction}`);
  const train = items.filter((it) => splitOf(it.paperId, { seed, trainFraction }) === 'train');
  const heldOut = items.filter((it) => splitOf(it.paperId, { seed, trainFraction }) === 'heldOut');
  const fitted = fitThreshold(train);
  const papers = (xs: readonly ScoredItem[]) => new Set(xs.map((x) => x.paperId)).size;
  return {
    seed,
    trainFraction,
    trainPapers: papers(train),
    heldOutPapers: papers(heldOut),
    threshold: fitted.threshold,
    train: fitted,
    heldOut: binaryMetrics(heldOut, fitted.threshold),
  };
}
