/** Pipeline parameters, defaults as in the AI Scientist unless noted. Passed in; never read from env. */
export interface PaperSettings {
  /** Experiment runs after the baseline. */
  maxRuns: number;
  /** Attempts per run (edit + run + fix). */
  maxRunAttempts: number;
  maxPlotAttempts: number;
  /**
   * Refine every section and the whole paper once more (the AI Scientist's passes). When false
   * (the quick profile), only the results section is refined: that is where the numbers are
   * checked against the runs.
   */
  refineSections: boolean;
  /** Related-work citation rounds. */
  citationRounds: number;
  compileRounds: number;
  reviewers: number;
  reviewReflections: number;
  /** Overall score at or above which the calibrated decision is Accept. */
  decisionThreshold: number;
  /** Where `decisionThreshold` came from (the benchmark run it was fitted on); unset: the default. */
  decisionThresholdSource?: string;
  /** Revise once from the review, recompile, re-review. */
  improve: boolean;
  /**
   * Seeds the baseline and the final variant run over (SCIENTIST_SEED=0…K−1) for the noise gate
   * (Welch's t-test, activities/integrity/gate.ts). 1: one run each, and the paper may claim no
   * significance. Absent (inputs recorded before it): 1.
   */
  seeds?: number;
  /** Templates' fast mode (SCIENTIST_FAST=1): whole runs in well under a minute on a CPU. */
  fast: boolean;
  /** USD; spending stops at the next stage boundary once reached. */
  budgetUsd: number;
}

export interface CampaignSettings {
  ideas: number;
  ideaReflections: number;
  noveltyRounds: number;
  /** How many ranked novel ideas become papers. */
  papers: number;
  /** Papers running at once. */
  parallelism: number;
  budgetUsd: number;
  /** Wait for an operator to approve ideas before spending GPU time (the gate is the operator's). */
  requireApproval: boolean;
  /**
   * Also turn ideas whose novelty check ended undecided into papers, after the novel ones. Off
   * (the AI Scientist's rule: undecided counts as not novel), except in the quick profile, where
   * a small offline model with no literature reachable rarely decides and the job must still
   * end with a paper. The idea's status says `novelty undecided`.
   */
  runUndecided?: boolean;
  paper: PaperSettings;
}

export const DEFAULT_PAPER_SETTINGS: PaperSettings = {
  maxRuns: 5,
  maxRunAttempts: 4,
  maxPlotAttempts: 4,
  refineSections: true,
  citationRounds: 20,
  compileRounds: 5,
  reviewers: 5,
  reviewReflections: 5,
  decisionThreshold: 6,
  improve: false,
  seeds: 3,
  fast: false,
  budgetUsd: 50,
};

export const DEFAULT_CAMPAIGN_SETTINGS: CampaignSettings = {
  ideas: 5,
  ideaReflections: 3,
  noveltyRounds: 10,
  papers: 1,
  parallelism: 2,
  budgetUsd: 200,
  requireApproval: false,
  paper: DEFAULT_PAPER_SETTINGS,
};

/** The section order of the write-up (related work is written from citations afterwards). */
export const SECTIONS = [
  'abstract',
  'introduction',
  'background',
  'method',
  'experimental_setup',
  'results',
  'conclusion',
  'related_work',
] as const;

/**
 * The quick profile (`scientist run --quick`, the offline main job, and the test suites): fewer
 * rounds everywhere. Each local-model call costs about a minute on a CPU, so drafts are not
 * refined, and a paper that compiles gets one fix round for its warnings, not two.
 */
export const QUICK_PAPER_SETTINGS: PaperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  maxRuns: 1,
  maxRunAttempts: 2,
  maxPlotAttempts: 2,
  refineSections: false,
  citationRounds: 1,
  compileRounds: 2,
  reviewers: 2,
  reviewReflections: 0,
  seeds: 1,
};

export const QUICK_CAMPAIGN_SETTINGS: CampaignSettings = {
  ...DEFAULT_CAMPAIGN_SETTINGS,
  ideas: 1,
  ideaReflections: 1,
  noveltyRounds: 2,
  papers: 1,
  parallelism: 1,
  runUndecided: true,
  paper: QUICK_PAPER_SETTINGS,
};
