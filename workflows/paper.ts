/**
 * One paper: baseline → experiment runs → plots → write-up → compile → review → (improve).
 * Each stage is a small function below; each LLM call and each run is an activity; history
 * carries keys and small summaries only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { Ledger, type Spend } from './ledger';
import type { ExperimentFailureDetails, RunExperimentResult } from '../activities/experiments';
import type { ExperimentRunResult, GpuPorts, IdeaSummary, MainPorts, WorkspaceKey } from './ports';
import { SECTIONS, type PaperSettings } from './settings';

export interface PaperInput {
  campaignId: string;
  /** The template's name (labels runs); its files are at `templateKey`. */
  template: string;
  templateKey: string;
  idea: IdeaSummary;
  gpuTaskQueue: string;
  settings: PaperSettings;
}

export type PaperStage =
  'baseline' | 'experiments' | 'plots' | 'writeup' | 'compile' | 'review' | 'improve' | 'done';

export interface PaperOutcome {
  paperId: string;
  idea: IdeaSummary;
  state: 'completed' | 'over-budget' | 'failed';
  /** Why the paper stopped early, in words a person understands. */
  reason?: string;
  pdfKey?: string;
  textKey?: string;
  draftKey?: string;
  runs: { runName: string; outcome: ExperimentRunResult['outcome']; finalInfoKey?: string }[];
  review?: {
    overall: number;
    decision: 'Accept' | 'Reject';
    scores: Record<string, number>;
    metaKey: string;
  };
  cost: Spend;
  costByStage: Record<string, Spend>;
}

export interface PaperStatus {
  stage: PaperStage;
  step: string;
  runsDone: number;
  maxRuns: number;
  costUsd: number;
  budgetUsd: number;
  lastError?: string;
}

export const paperStatusQuery = defineQuery<PaperStatus>('status');

const main = proxyActivities<MainPorts>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 6,
  },
});

export async function paperWorkflow(input: PaperInput): Promise<PaperOutcome> {
  const paperId = workflowInfo().workflowId;
  const s = input.settings;
  const ledger = new Ledger(s.budgetUsd);
  const status: PaperStatus = {
    stage: 'baseline',
    step: 'start',
    runsDone: 0,
    maxRuns: s.maxRuns,
    costUsd: 0,
    budgetUsd: s.budgetUsd,
  };
  setHandler(paperStatusQuery, () => ({ ...status, costUsd: ledger.total.costUsd }));
  const steering: string[] = [];
  const runs: PaperOutcome['runs'] = [];

  const gpu = proxyActivities<GpuPorts>({
    taskQueue: input.gpuTaskQueue,
    startToCloseTimeout: '3 hours',
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
  });
  const spent = (stage: PaperStage, step: { spend: Spend }) => ledger.record(stage, step.spend);
  const outcome = (state: PaperOutcome['state'], extra: Partial<PaperOutcome> = {}): PaperOutcome => ({
    paperId,
    idea: input.idea,
    state,
    runs,
    cost: ledger.total,
    costByStage: ledger.stages(),
    ...extra,
  });
  /** Budget is checked between stages: what runs, finishes; nothing new starts. */
  const enter = (stage: PaperStage): boolean => {
    status.stage = stage;
    status.step = 'start';
    return !ledger.overBudget;
  };
  const overBudget = () =>
    outcome('over-budget', {
      reason: `budget of $${s.budgetUsd} reached at stage ${status.stage} (spent $${ledger.total.costUsd.toFixed(4)})`,
    });

  // ---- baseline
  let { workspace } = await main.prepareWorkspace({
    paperId,
    templateKey: input.templateKey,
    idea: input.idea,
  });
  status.step = 'run 0 (baseline): train';
  const baseline = await experiment(
    () => gpu.runBaseline({ templateName: input.template, workspace, fast: s.fast }),
    'run_0',
  );
  runs.push({ runName: 'run_0', outcome: baseline.outcome, finalInfoKey: baseline.finalInfoKey });
  if (baseline.outcome !== 'ok') {
    return outcome('failed', {
      reason: `the template's own baseline run failed (${baseline.outcome}): ${baseline.stderrTail.slice(-400)} (log ${baseline.logKey})`,
    });
  }
  workspace = (await main.recordRun({ paperId, idea: input.idea, run: 0, workspace, result: baseline }))
    .workspace;

  // ---- experiments
  if (!enter('experiments')) return overBudget();
  workspace = await experiments();

  // ---- plots
  if (!enter('plots')) return overBudget();
  workspace = await plots(workspace);

  // ---- write-up
  if (!enter('writeup')) return overBudget();
  let draftKey = await writeUp(workspace);

  // ---- compile
  if (!enter('compile')) return overBudget();
  let compiled = await compile(draftKey);
  draftKey = compiled.draftKey;
  if (!compiled.pdfKey || !compiled.textKey) {
    return outcome('failed', {
      draftKey,
      reason: `LaTeX did not compile after ${s.compileRounds} fix rounds: ${compiled.feedback.slice(0, 400)}`,
    });
  }

  // ---- review
  if (!enter('review')) return overBudget();
  let review = await reviewRound('initial', compiled.textKey);

  // ---- improvement round (optional; it needs a review to work from)
  if (s.improve && review && enter('improve')) {
    const revised = await main.revisePaper({ paperId, draftKey, workspace, metaKey: review.metaKey });
    spent('improve', revised);
    const recompiled = await compile(revised.draftKey);
    if (recompiled.pdfKey && recompiled.textKey) {
      compiled = recompiled;
      draftKey = recompiled.draftKey;
      review = (await reviewRound('improved', recompiled.textKey)) ?? review;
    }
  }
  status.stage = 'done';
  return outcome('completed', {
    pdfKey: compiled.pdfKey,
    textKey: compiled.textKey,
    draftKey,
    review,
    // The paper and its PDF stand; only its scores are missing.
    reason: review ? undefined : `no valid review among ${s.reviewers}: the paper is unscored`,
  });

  // ------------------------------------------------------------------ stages

  /**
   * A run on the GPU queue. Code at fault (exit ≠ 0, OOM, timeout, limits) fails the activity
   * non-retryably with the stderr tail in its details: that is a result the coder gets back,
   * not a failure of the paper. Anything else (retries exhausted on an outage) propagates.
   */
  async function experiment(
    start: () => Promise<RunExperimentResult>,
    runName: string,
  ): Promise<ExperimentRunResult> {
    try {
      const r = await start();
      return {
        runName,
        outcome: r.outcome,
        finalInfoKey: r.finalInfoKey,
        logKey: r.logKey,
        outputKeys: r.outputKeys,
        stderrTail: '',
        durationMs: r.durationMs,
      };
    } catch (err) {
      if (
        err instanceof ActivityFailure &&
        err.cause instanceof ApplicationFailure &&
        err.cause.nonRetryable
      ) {
        const d = (err.cause.details?.[0] ?? {}) as Partial<ExperimentFailureDetails>;
        return {
          runName,
          outcome: d.outcome ?? 'failed',
          logKey: d.logKey ?? '',
          outputKeys: {},
          stderrTail: d.stderrTail ?? err.cause.message,
          durationMs: d.durationMs ?? 0,
        };
      }
      throw err;
    }
  }

  async function experiments(): Promise<WorkspaceKey> {
    let ws = workspace;
    for (let run = 1; run <= s.maxRuns; run++) {
      if (ledger.overBudget) break;
      let feedback: string | undefined;
      let succeeded = false;
      for (let attempt = 1; attempt <= s.maxRunAttempts && !succeeded; attempt++) {
        status.step = `run ${run} attempt ${attempt}: edit`;
        const edit = await main.planEdit({
          paperId,
          idea: input.idea,
          run,
          maxRuns: s.maxRuns,
          attempt,
          workspace: ws,
          feedback,
          steering,
        });
        spent('experiments', edit);
        if (edit.status === 'done') return ws;
        if (edit.status === 'edit-failed') {
          feedback = edit.feedback;
          continue;
        }
        status.step = `run ${run} attempt ${attempt}: train`;
        const result = await experiment(
          () =>
            gpu.runExperiment({
              paperId,
              runName: `run_${run}`,
              templateName: input.template,
              workspace: edit.workspace,
              fast: s.fast,
            }),
          `run_${run}`,
        );
        if (result.outcome === 'ok') {
          const noted = await main.recordRun({
            paperId,
            idea: input.idea,
            run,
            workspace: edit.workspace,
            result,
          });
          spent('experiments', noted);
          ws = noted.workspace;
          runs.push({ runName: result.runName, outcome: result.outcome, finalInfoKey: result.finalInfoKey });
          status.runsDone = run;
          succeeded = true;
        } else {
          feedback = `Run ${run} ended "${result.outcome}". The end of its error output:\n${result.stderrTail}`;
          status.lastError = feedback.slice(0, 300);
        }
      }
      // A run that failed every attempt is skipped: the paper goes on with the runs that worked.
    }
    return ws;
  }

  async function plots(ws: WorkspaceKey): Promise<WorkspaceKey> {
    const runNames = runs.filter((r) => r.outcome === 'ok').map((r) => r.runName);
    let feedback: string | undefined;
    for (let attempt = 1; attempt <= s.maxPlotAttempts; attempt++) {
      status.step = `plot attempt ${attempt}`;
      const edit = await main.editPlot({ paperId, attempt, workspace: ws, runNames, feedback });
      spent('plots', edit);
      if (edit.status === 'edit-failed') {
        feedback = edit.feedback;
        continue;
      }
      const plotted = await main.runPlot({ paperId, attempt, workspace: edit.workspace, runNames });
      if (plotted.ok) {
        const described = await main.describeFigures({
          paperId,
          workspace: edit.workspace,
          figureKeys: plotted.figureKeys,
        });
        spent('plots', described);
        return described.workspace;
      }
      feedback = `plot.py failed:\n${plotted.stderrTail}`;
    }
    // A plotting failure does not fail the paper: it is written without figures.
    status.lastError = 'plotting failed; the paper has no figures';
    return ws;
  }

  async function writeUp(ws: WorkspaceKey): Promise<string> {
    let draft = '';
    for (const section of SECTIONS.filter((x) => x !== 'related_work')) {
      for (const phase of ['draft', 'refine'] as const) {
        status.step = `${section}: ${phase}`;
        const written = await main.writeSection({
          paperId,
          section,
          phase,
          workspace: ws,
          draftKey: draft,
          steering,
        });
        spent('writeup', written);
        draft = written.draftKey;
      }
    }
    for (let round = 1; round <= s.citationRounds; round++) {
      status.step = `citations round ${round}`;
      const cited = await main.citationRound({ paperId, round, draftKey: draft });
      spent('writeup', cited);
      draft = cited.draftKey;
      if (cited.done) break;
    }
    status.step = 'related work';
    const related = await main.writeSection({
      paperId,
      section: 'related_work',
      phase: 'draft',
      workspace: ws,
      draftKey: draft,
      steering,
    });
    spent('writeup', related);
    status.step = 'final refinement';
    const final = await main.writeSection({
      paperId,
      section: 'all',
      phase: 'refine',
      workspace: ws,
      draftKey: related.draftKey,
      steering,
    });
    spent('writeup', final);
    return final.draftKey;
  }

  async function compile(startDraft: string) {
    let draft = startDraft;
    let last = {
      ok: false,
      feedback: '',
      pdfKey: undefined as string | undefined,
      textKey: undefined as string | undefined,
    };
    for (let round = 1; round <= s.compileRounds; round++) {
      status.step = `compile round ${round}`;
      const res = await main.compilePaper({ paperId, round, draftKey: draft, workspace });
      last = { ok: res.ok, feedback: res.feedback, pdfKey: res.pdfKey, textKey: res.textKey };
      if (res.ok && !res.feedback) break;
      if (round === s.compileRounds) break;
      const fixed = await main.fixLatex({
        paperId,
        round,
        draftKey: draft,
        workspace,
        feedback: res.feedback,
      });
      spent('compile', fixed);
      draft = fixed.draftKey;
    }
    return { ...last, draftKey: draft };
  }

  async function reviewRound(round: string, textKey: string) {
    const reviewKeys: string[] = [];
    for (let reviewer = 1; reviewer <= s.reviewers; reviewer++) {
      status.step = `${round} review ${reviewer}/${s.reviewers}`;
      const r = await main.reviewPaper({
        paperId,
        round,
        reviewer,
        textKey,
        reflections: s.reviewReflections,
      });
      spent('review', r);
      if (r.reviewKey) reviewKeys.push(r.reviewKey);
    }
    if (reviewKeys.length === 0) return undefined;
    status.step = `${round} meta-review`;
    const meta = await main.metaReview({ paperId, round, reviewKeys, threshold: s.decisionThreshold });
    spent('review', meta);
    return { overall: meta.overall, decision: meta.decision, scores: meta.scores, metaKey: meta.metaKey };
  }
}
