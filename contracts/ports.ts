/**
 * What the research workflows need from activities: one entry per side effect, by name, with
 * small inputs and outputs (keys and summaries; everything large stays in the artifact store).
 * The activity factories in activities/ implement these (the workers' type-check proves it),
 * and orchestration tests replace them with stubs.
 */
import type {
  BaselineInput,
  BaselineResult,
  RunExperimentInput,
  RunExperimentResult,
  SandboxOutcome,
  WithWorkspaceKey,
} from './experiments';
import type { GpuNeed } from './gpu-routing';
import type { IntegritySummary } from './integrity';
import type { Spend } from './spend';

/** How the coding model wrote an edit that applied (activities/coder). */
export type EditFormat = 'search-replace' | 'whole-file';

/** A research idea as it travels through history: small; the full text is at `key`. */
export interface IdeaSummary {
  name: string;
  title: string;
  key: string;
  interestingness: number;
  feasibility: number;
  novelty: number;
}

/** A part of the paper made in a lesser way than planned, and why. */
export interface Degradation {
  /** A section name, `figures`, `results_tables`, `references`, … */
  part: string;
  reason: string;
}

/** What the figure critique did, small enough for history and the status query. */
export interface FigureCritiqueSummary {
  status: 'critiqued' | 'skipped';
  /** In words: "figure critique skipped: local:… takes no images", or what the critique found. */
  note: string;
  /** The report in the store (papers/<id>/plots/critique-<attempt>.json), when it ran. */
  critiqueKey?: string;
  /** Figures the critique says need a fix (or that could not be shown to the model). */
  needsFix: number;
  /** Figures shown to the model. */
  critiqued: number;
}

/** A workspace version: the manifest key (path → content-addressed key) of the paper's files. */
export type WorkspaceKey = string;

export interface LlmStep {
  spend: Spend;
  /** The transcript of the call(s) in the artifact store. */
  transcriptKey?: string;
}

/** How an experiment run ended, as the workflow records it (successes and caught failures alike). */
export interface ExperimentRunResult {
  runName: string;
  outcome: SandboxOutcome;
  finalInfoKey?: string;
  logKey: string;
  /** Relative path (e.g. `run_1/final_info.json`) → key of each output file. */
  outputKeys: Record<string, string>;
  /** The last ≈1,500 characters of stderr, for the fix prompt (failures only). */
  stderrTail: string;
  durationMs: number;
}

export interface MainPorts {
  // ---- campaign
  /**
   * Stores the template's files as a workspace (or takes the one the CLI stored, `templateKey`);
   * the idea archive starts with its seed ideas.
   */
  loadTemplate(input: { campaignId: string; template: string; templateKey?: string }): Promise<{
    templateKey: string;
    seedIdeas: number;
    archiveKey: string;
    /** What the template lacks that a run can do without (e.g. no fast mode). */
    warnings?: string[];
    /** Set when its template.json says the code needs a GPU: where its runs go (gpu-routing.ts). */
    gpu?: GpuNeed;
  }>;
  /**
   * The campaign's preflight, before any model call: validates the stored template and compiles
   * its LaTeX skeleton. Throws (non-retryable) with every problem, or TeX's own errors.
   */
  preflightTemplate(input: {
    campaignId: string;
    template: string;
    templateKey: string;
  }): Promise<{ pageCount: number; warnings: string[] }>;
  /**
   * How many workers poll `taskQueue` for activities (Temporal's DescribeTaskQueue; pollers seen
   * in the last few minutes): the preflight of a template that needs a GPU asks its queue.
   */
  gpuQueuePollers(input: { taskQueue: string }): Promise<{ pollers: number; identities: string[] }>;
  /** The template's seed ideas, stored as ideas: the fallback when the model produced none. */
  seedIdeas(input: { campaignId: string; templateKey: string }): Promise<IdeaSummary[]>;
  generateIdea(input: {
    campaignId: string;
    templateKey: string;
    index: number;
    archiveKey: string;
    steering: string[];
  }): Promise<LlmStep & { idea: IdeaSummary | null; problem?: string }>;
  reflectIdea(input: {
    campaignId: string;
    templateKey: string;
    index: number;
    round: number;
    idea: IdeaSummary;
    steering: string[];
  }): Promise<LlmStep & { idea: IdeaSummary; done: boolean }>;
  /** Adds the idea to the archive unless it is a near-duplicate of one there. */
  archiveIdea(input: {
    campaignId: string;
    archiveKey: string;
    idea: IdeaSummary;
  }): Promise<{ archiveKey: string; duplicateOf?: string; similarity: number }>;
  noveltyRound(input: {
    campaignId: string;
    idea: IdeaSummary;
    round: number;
    maxRounds: number;
    historyKey?: string;
  }): Promise<
    LlmStep & { decision: 'novel' | 'not-novel' | 'undecided'; historyKey: string; query?: string }
  >;

  // ---- paper
  /**
   * @deprecated Returns `templateKey` (the template's files are a content-addressed workspace
   * already); papers started since the `paper-no-prepare-workspace` patch use the key directly.
   * It stays registered while papers started before that patch are running or may replay: they
   * still schedule it.
   */
  prepareWorkspace(input: {
    paperId: string;
    templateKey: string;
    idea: IdeaSummary;
  }): Promise<{ workspace: WorkspaceKey }>;
  planEdit(input: {
    paperId: string;
    idea: IdeaSummary;
    run: number;
    maxRuns: number;
    attempt: number;
    workspace: WorkspaceKey;
    feedback?: string;
    steering: string[];
  }): Promise<
    LlmStep & {
      status: 'edited' | 'done' | 'edit-failed';
      workspace: WorkspaceKey;
      feedback?: string;
      /** How an applied edit was written: search/replace blocks, or the whole file in a code fence. */
      format?: EditFormat;
    }
  >;
  recordRun(input: {
    paperId: string;
    idea: IdeaSummary;
    run: number;
    workspace: WorkspaceKey;
    result: ExperimentRunResult;
  }): Promise<LlmStep & { workspace: WorkspaceKey }>;
  editPlot(input: {
    paperId: string;
    attempt: number;
    workspace: WorkspaceKey;
    runNames: string[];
    feedback?: string;
  }): Promise<
    LlmStep & {
      workspace: WorkspaceKey;
      status: 'edited' | 'edit-failed';
      feedback?: string;
      format?: EditFormat;
    }
  >;
  runPlot(input: {
    paperId: string;
    attempt: number;
    workspace: WorkspaceKey;
    runNames: string[];
  }): Promise<{ ok: boolean; figureKeys: string[]; stderrTail: string }>;
  describeFigures(input: {
    paperId: string;
    workspace: WorkspaceKey;
    figureKeys: string[];
  }): Promise<LlmStep & { workspace: WorkspaceKey }>;
  /**
   * A vision model's look at each figure with its caption and the run data it plots (legibility,
   * labels and legend, whether it shows what the caption claims): the report is stored at
   * `critiqueKey`; `feedback` (when a figure needs a fix) is for the next plot.py edit. Skipped,
   * with a note saying why, when the review role's model takes no images.
   */
  critiqueFigures(input: {
    paperId: string;
    attempt: number;
    workspace: WorkspaceKey;
    figureKeys: string[];
    runNames: string[];
  }): Promise<LlmStep & FigureCritiqueSummary & { feedback?: string }>;
  writeSection(input: {
    paperId: string;
    section: string;
    phase: 'draft' | 'refine';
    workspace: WorkspaceKey;
    draftKey: string;
    steering: string[];
  }): Promise<LlmStep & { draftKey: string }>;
  citationRound(input: {
    paperId: string;
    round: number;
    draftKey: string;
  }): Promise<LlmStep & { draftKey: string; done: boolean; added: number }>;
  /** Assembles the draft into the template and compiles it in the LaTeX sandbox. */
  compilePaper(input: {
    paperId: string;
    round: number;
    draftKey: string;
    workspace: WorkspaceKey;
  }): Promise<{
    ok: boolean;
    pdfKey?: string;
    textKey?: string;
    logKey: string;
    feedback: string;
    pageCount: number;
    /** The draft that compiled: the input's, or one with parts typeset as plain text to get a PDF. */
    draftKey?: string;
    /** Parts typeset as plain text or left out, and why. */
    degraded?: Degradation[];
  }>;
  fixLatex(input: {
    paperId: string;
    round: number;
    draftKey: string;
    workspace: WorkspaceKey;
    feedback: string;
  }): Promise<LlmStep & { draftKey: string }>;
  reviewPaper(input: {
    paperId: string;
    round: string;
    reviewer: number;
    textKey: string;
    reflections: number;
    /** The figure critique's report (critiqueFigures), read with the paper. */
    figureCritiqueKey?: string;
  }): Promise<LlmStep & { reviewKey: string | null; overall?: number }>;
  metaReview(input: { paperId: string; round: string; reviewKeys: string[]; threshold: number }): Promise<
    LlmStep & {
      metaKey: string;
      overall: number;
      decision: 'Accept' | 'Reject';
      scores: Record<string, number>;
    }
  >;
  revisePaper(input: {
    paperId: string;
    draftKey: string;
    workspace: WorkspaceKey;
    metaKey: string;
  }): Promise<LlmStep & { draftKey: string }>;
  /**
   * The claim check on the compiled paper's text against its records (activities/integrity):
   * writes integrity.json and a draft that carries the report page (`draftKey`, to compile).
   */
  checkIntegrity(input: {
    paperId: string;
    round: number;
    draftKey: string;
    textKey: string;
    workspace: WorkspaceKey;
    idea: IdeaSummary;
    /** The paper's settings: their numbers count as configuration. */
    settings: Record<string, number | boolean | string>;
    fixRound: boolean;
    /** The citation check's report (checkCitations), for integrity.json and the report page. */
    citationsKey?: string;
  }): Promise<{ summary: IntegritySummary; draftKey: string }>;
  /** One round for the writing model to correct or remove what the check flagged (edit blocks on the document). */
  fixClaims(input: {
    paperId: string;
    draftKey: string;
    workspace: WorkspaceKey;
    reportKey: string;
  }): Promise<LlmStep & { draftKey: string; changed: boolean }>;
  /**
   * Resolves the bibliography entries the draft cites against the literature (removing those
   * that do not exist, with their keys) and checks each citing sentence against the cited
   * abstract with the review-role model (removing unsupported citations). The report is at `reportKey`.
   */
  checkCitations(input: { paperId: string; draftKey: string; workspace: WorkspaceKey }): Promise<
    LlmStep & {
      draftKey: string;
      changed: boolean;
      reportKey: string;
      /** One line: resolved, removed, sentences supported / unsupported / unclear. */
      status: string;
    }
  >;
  /**
   * Merges a run's repeats with other seeds (their final_info.json keys, seed 1 first) into the
   * run's final_info.json in the workspace: means over the seeds and the per-seed values. Code only.
   */
  recordSeeds(input: {
    paperId: string;
    runName: string;
    workspace: WorkspaceKey;
    seedInfoKeys: string[];
  }): Promise<{ workspace: WorkspaceKey; seeds: number }>;
}

/** The GPU queue's experiment activities (activities/experiments), workspaces passed by key. */
export interface GpuPorts {
  /**
   * Runs `python3 experiment.py --out_dir <runName>` in the sandbox. Code failures (exit ≠ 0,
   * OOM, timeout, limits, bad final_info.json) fail non-retryably with ExperimentFailureDetails;
   * Docker or store outages are retried; a retry resumes from the last checkpoint.
   */
  runExperiment(input: WithWorkspaceKey<RunExperimentInput>): Promise<RunExperimentResult>;
  /** run_0 of an unmodified template: from the cache when this code and flag ran before. */
  runBaseline(input: WithWorkspaceKey<BaselineInput>): Promise<BaselineResult>;
}
