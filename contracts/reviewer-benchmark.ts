/**
 * The reviewer benchmark run (workflows/reviewer-benchmark.ts): its input, its status query and
 * the activities it needs besides the review stage's own (reviewPaper, metaReview). Shared by the
 * workflow, the activities (activities/review-bench/activities.ts) and the CLI.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Spend } from './spend';

/** A benchmark paper as it travels through history: its id and its text in the store. */
export interface BenchPaper {
  paperId: string;
  textKey: string;
}

/** One paper's finished review as the run keeps it (the whole record is at `resultKey`). */
export interface BenchPaperResult {
  paperId: string;
  /** Mean Overall of the usable reviews; null when no review was usable. */
  overall: number | null;
  decision: 'Accept' | 'Reject' | null;
  resultKey: string;
  /** True when the review was found in the store (an earlier run with the same configuration). */
  reused: boolean;
}

export interface ReviewerBenchmarkInput {
  papers: BenchPaper[];
  /** `ratings_subset.tsv` in the store: the human scores and decisions. */
  ratingsKey: string;
  /** Stored review files of the upstream format (name → key), measured on the same papers. */
  storedReviewKeys: Record<string, string>;
  reviewers: number;
  reflections: number;
  threshold: number;
  /** Papers reviewed at once. */
  concurrency: number;
  /** The review model the CLI expects (`provider:model`); the run stops before any call if the workers' differs. */
  model?: string;
  /** Seed of the calibration split (report). */
  seed: string;
  trainFraction: number;
  /** Carried over by continue-as-new. */
  carried?: {
    results: BenchPaperResult[];
    spend: Record<string, Spend>;
    failed: { paperId: string; error: string }[];
  };
}

/** What the workers' review configuration is, and its hash (keys the per-paper results). */
export interface BenchReviewConfig {
  /** `provider:model` of the review role on the worker. */
  model: string;
  configHash: string;
}

export interface BenchReportSummary {
  reportKey: string;
  reportJsonKey: string;
  /** Our reviews as an upstream-format review file (`scientist bench-reviewer metrics --reviews`). */
  csvKey: string;
  /** File name (roc.png, hist-….png) → key. */
  figureKeys: Record<string, string>;
  /** Ours at the run's threshold. */
  balancedAccuracy: number;
  f1: number;
  fpr: number;
  fnr: number;
  aucOverall: number;
  /** Calibration of ours: threshold fitted on the training split, balanced accuracy held out. */
  fittedThreshold: number;
  heldOutBalancedAccuracy: number;
}

export interface ReviewerBenchmarkPorts {
  /** The worker's review model and the hash of everything that decides a review; checks `model`. */
  benchReviewConfig(input: {
    reviewers: number;
    reflections: number;
    threshold: number;
    model?: string;
  }): Promise<BenchReviewConfig>;
  /** A finished review of this paper under this configuration, if the store has one. */
  findBenchReview(input: { configHash: string; paperId: string }): Promise<BenchPaperResult | null>;
  /** Stores the paper's finished review (keyed by configuration hash and paper id). */
  recordBenchReview(input: {
    configHash: string;
    paperId: string;
    reviewPaperId: string;
    model: string;
    overall: number | null;
    decision: 'Accept' | 'Reject' | null;
    metaKey?: string;
    reviewKeys: string[];
    spend: Spend;
  }): Promise<BenchPaperResult>;
  /** Metrics, calibration, the side-by-side report and its figures, stored under the run's id. */
  benchReviewReport(input: {
    runId: string;
    configHash: string;
    model: string;
    reviewers: number;
    reflections: number;
    threshold: number;
    ratingsKey: string;
    storedReviewKeys: Record<string, string>;
    results: BenchPaperResult[];
    seed: string;
    trainFraction: number;
    costUsd: number;
  }): Promise<BenchReportSummary>;
}

export interface BenchStatus {
  kind: 'reviewer-benchmark';
  stage: 'setup' | 'reviewing' | 'report' | 'done';
  step: string;
  model: string;
  configHash: string;
  papers: number;
  done: number;
  /** Of `done`, found in the store from an earlier run. */
  reused: number;
  failed: number;
  /** Paper ids under review now. */
  running: string[];
  costUsd: number;
  paused: boolean;
  cancelling: boolean;
  lastError?: string;
}

export const benchStatusQuery = defineQuery<BenchStatus>('status');
