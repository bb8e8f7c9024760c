/**
 * Every message an operator (the CLI, the Web UI, a script) can send to a running campaign or
 * paper, defined once and shared by the workflows and their clients.
 *
 * Signals where fire-and-forget fits (they are durable even while no worker runs, and the Web UI
 * can send them): `pause`, `resume`, `steer`. Updates where the caller needs an answer or
 * validation: `approveIdeas`, `setBudget`, `skipStage`, `cancel`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** A paper's stages, in order. */
export const PAPER_STAGES = [
  'baseline',
  'experiments',
  'plots',
  'writeup',
  'compile',
  'integrity',
  'review',
  'improve',
  'done',
] as const;
export type PaperStage = (typeof PAPER_STAGES)[number];

/**
 * What `skipStage` can skip in a paper: the rest of the experiment runs, the plots, the citation
 * rounds of the write-up, the review (the paper ends unscored) and the improvement round.
 */
export const SKIPPABLE_STAGES = ['experiments', 'plots', 'citations', 'review', 'improve'] as const;
export type SkippableStage = (typeof SKIPPABLE_STAGES)[number];

/** Operator guidance appended to the following prompts, kept with the time it arrived. */
export interface SteeringNote {
  /** ISO time (workflow time: deterministic, the time the workflow saw the signal). */
  at: string;
  text: string;
}

/** Either a bare string (easy to type into the Web UI's signal box) or `{ "text": … }`. */
export type SteerInput = string | { text: string };

// ---- signals (both workflows)
/** Takes effect before the next activity starts; running activities finish. */
export const pauseSignal = defineSignal<[reason?: string]>('pause');
export const resumeSignal = defineSignal('resume');
export const steerSignal = defineSignal<[SteerInput]>('steer');

// ---- updates
/** Campaign only: the approval gate. Validates the names; answers with what will run. */
export const approveIdeasUpdate = defineUpdate<{ approved: string[]; ignored: string[] }, [string[]]>(
  'approveIdeas',
);
export const setBudgetUpdate = defineUpdate<{ budgetUsd: number; spentUsd: number }, [number]>('setBudget');
export const skipStageUpdate = defineUpdate<{ skipped: SkippableStage; note: string }, [SkippableStage]>(
  'skipStage',
);
/** Graceful: the running activity finishes, nothing new starts, the workflow ends `cancelled`. */
export const cancelUpdate = defineUpdate<{ state: 'cancelling'; stage: string }, [reason: string]>('cancel');

// ---- queries
export interface PaperStatus {
  kind: 'paper';
  stage: PaperStage;
  /** The current step, e.g. "run 3 attempt 2: train". */
  step: string;
  runsDone: number;
  maxRuns: number;
  /** The run being worked on (0 = baseline) and its attempt, while in the experiments stage. */
  run?: number;
  attempt?: number;
  costUsd: number;
  budgetUsd: number;
  paused: boolean;
  cancelling: boolean;
  skipped: SkippableStage[];
  lastError?: string;
  steering: SteeringNote[];
  ideaTitle: string;
  /** Parts made in a lesser way than planned so far (a section typeset as plain text, the template's figures). */
  degraded?: { part: string; reason: string }[];
  /** The figure critique once it has run or been skipped (the report is the `figure-critique` artifact). */
  figureCritique?: { status: 'critiqued' | 'skipped'; note: string; needsFix: number; critiqued: number };
  /** The integrity stage's counts once it has run (the report itself is the `integrity` artifact). */
  integrity?: {
    verdict: 'clean' | 'unsupported-claims';
    numbers: number;
    traced: number;
    flags: number;
    manifests: number;
    unsupported: string[];
  };
}

export interface CampaignStatus {
  kind: 'campaign';
  stage: 'ideation' | 'novelty' | 'approval' | 'papers' | 'done';
  step: string;
  ideas: number;
  /** The ranked ideas once novelty is checked (novel first): what `approveIdeas` can name. */
  ranked: { name: string; title: string; novel: boolean; undecided?: boolean; score: number }[];
  /** True while the campaign waits at its approval gate. */
  awaitingApproval: boolean;
  /** Paper stages skipped for the papers it starts from now on. */
  skipped: SkippableStage[];
  papersDone: number;
  papersRunning: string[];
  costUsd: number;
  budgetUsd: number;
  paused: boolean;
  cancelling: boolean;
  steering: SteeringNote[];
  /** Ideas the model proposed that were not ideas (empty title, no plan, every score at the floor…), and why. */
  rejectedIdeas?: { index: number; reason: string }[];
}

/**
 * The artifact keys a workflow has produced so far. Presigned URLs are made by the client
 * (`scientist get`/`status --json`): signing needs the store's secret, which never enters a
 * workflow.
 */
export interface ArtifactKeys {
  /** Label (e.g. `pdf`, `run_1/log`, `review/initial/meta`) → key in the artifact store. */
  keys: Record<string, string>;
}

/** Both workflows answer `status`; the `kind` field tells which shape came back. */
export const paperStatusQuery = defineQuery<PaperStatus>('status');
export const campaignStatusQuery = defineQuery<CampaignStatus>('status');
export const artifactsQuery = defineQuery<ArtifactKeys>('artifacts');

/** The text of a steer message, whichever form it came in; empty when unusable. */
export function steerText(input: SteerInput): string {
  const text = typeof input === 'string' ? input : (input?.text ?? '');
  return String(text).trim().slice(0, 2000);
}
