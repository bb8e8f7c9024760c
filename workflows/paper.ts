/**
 * One paper: baseline → experiment runs → plots → write-up → compile → review → (improve).
 * Each stage is a small function below; each LLM call and each run is an activity; history
 * carries keys and small summaries only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type ExperimentFailureDetails,
  type Degradation,
  type ExperimentRunResult,
  type FigureCritiqueSummary,
  type GpuPorts,
  gpuActivityOptions,
  MAIN_ACTIVITY_OPTIONS,
  type IdeaSummary,
  type IntegritySummary,
  Ledger,
  type MainPorts,
  type PaperSettings,
  type PaperStage,
  type PaperStatus,
  type RunExperimentResult,
  paperStatusQuery,
  SA,
  SECTIONS,
  type SkippableStage,
  type Spend,
  type SteeringNote,
  type WorkspaceKey,
} from '../contracts';
import { activityCaller, Stopped } from './control';
import { integrityStage } from './integrity-stage';
import { plotsStage } from './plots-stage';
import { seedRuns } from './seeds-stage';
import { reviewEnsemble } from './review-ensemble';
import { PaperSurface } from './paper-surface';

export interface PaperInput {
  campaignId: string;
  /** The template's name (labels runs); its files are at `templateKey`. */
  template: string;
  templateKey: string;
  idea: IdeaSummary;
  gpuTaskQueue: string;
  settings: PaperSettings;
  /** Steering notes the campaign had received before this paper started. */
  steering?: SteeringNote[];
  /** Stages skipped for every paper of the campaign (its `skipStage`). */
  skip?: SkippableStage[];
}

export type { PaperStage, PaperStatus };

export interface PaperOutcome {
  paperId: string;
  idea: IdeaSummary;
  state: 'completed' | 'over-budget' | 'failed' | 'cancelled';
  /** Why the paper stopped early, in words a person understands. */
  reason?: string;
  pdfKey?: string;
  textKey?: string;
  draftKey?: string;
  runs: {
    runName: string;
    outcome: ExperimentRunResult['outcome'];
    finalInfoKey?: string;
    logKey?: string;
  }[];
  review?: {
    overall: number;
    decision: 'Accept' | 'Reject';
    scores: Record<string, number>;
    metaKey: string;
    /** The threshold the decision was calibrated on, and where it came from (a benchmark run). */
    threshold?: number;
    thresholdSource?: string;
  };
  cost: Spend;
  costByStage: Record<string, Spend>;
  /** Parts made in a lesser way than planned (a section typeset as plain text, the template's figures), and why. */
  degraded?: Degradation[];
  /** The integrity stage: numbers traced, unsupported statements left, the report's key. */
  integrity?: IntegritySummary;
  /** The figure critique of the figures the paper kept, or why it was skipped. */
  figureCritique?: FigureCritiqueSummary;
}

export type { Degradation };

/**
 * patched() ids of changes to this workflow, kept while histories recorded before them can replay
 * (the plots stage's own are in plots-stage.ts, the integrity stage's in integrity-stage.ts):
 * - DEGRADATIONS: the compile loop goes on from the draft compilePaper had to contain, and the
 *   outcome and the Web UI list the parts that degraded.
 */
const DEGRADATIONS = 'paper-degradations';
/** REVIEW_THRESHOLD: the review outcome records the decision threshold and where it came from. */
const REVIEW_THRESHOLD = 'review-threshold-recorded';
/** INTEGRITY: after the compile, the claim check (one fix round), the report page, its verdict. */
const INTEGRITY = 'paper-integrity';
/** SEEDS: with settings.seeds > 1, the baseline and the final variant run again over the other seeds. */
const SEEDS = 'paper-seeds';
/**
 * NO_PREPARE_WORKSPACE: the paper starts from the template's files, which are a content-addressed
 * workspace already (`templateKey`), instead of calling prepareWorkspace, which only returned that key.
 */
const NO_PREPARE_WORKSPACE = 'paper-no-prepare-workspace';

export { paperStatusQuery };

export async function paperWorkflow(input: PaperInput): Promise<PaperOutcome> {
  const paperId = workflowInfo().workflowId;
  const s = input.settings;
  const ledger = new Ledger(s.budgetUsd);
  const view = new PaperSurface(
    { ideaTitle: input.idea.title, maxRuns: s.maxRuns, steering: input.steering, skip: input.skip },
    ledger,
  );
  const { status, skip, degraded, artifacts, control, board } = view;
  const runs: PaperOutcome['runs'] = [];
  const publish = () => view.publish();
  const beforeActivity = (step: string) => board.before(step);

  const call = activityCaller<MainPorts>(MAIN_ACTIVITY_OPTIONS, beforeActivity);
  const callGpu = activityCaller<GpuPorts>(gpuActivityOptions(input.gpuTaskQueue), beforeActivity);

  const spent = (stage: PaperStage, step: { spend: Spend }) => ledger.record(stage, step.spend);
  /** A step that wrote a new draft: its spend is recorded and its draft is the paper's draft now. */
  const redrafted = (stage: PaperStage, step: { spend: Spend; draftKey: string }): string => {
    spent(stage, step);
    artifacts.draft = step.draftKey;
    return step.draftKey;
  };
  const outcome = (state: PaperOutcome['state'], extra: Partial<PaperOutcome> = {}): PaperOutcome => {
    status.step = state;
    board.mark(state === 'completed' ? 'done' : state);
    return {
      paperId,
      idea: input.idea,
      state,
      runs,
      cost: ledger.total,
      costByStage: ledger.stages(),
      ...extra,
    };
  };
  /** Budget is checked between stages: what runs, finishes; nothing new starts. */
  const enter = (stage: PaperStage): boolean => {
    board.enter(stage);
    return !ledger.overBudget;
  };
  const overBudget = () =>
    outcome('over-budget', {
      reason: `budget of $${ledger.budgetUsd} reached at stage ${status.stage} (spent $${ledger.total.costUsd.toFixed(4)})`,
    });

  try {
    return await stages();
  } catch (err) {
    // A cancel (ours, or Temporal's) and an activity that ran out of retries end the paper with a
    // final state that keeps its cost and artifacts; anything else is a bug and fails the task.
    if (err instanceof Stopped || isCancellation(err)) {
      const reason = err instanceof Stopped ? err.reason : 'cancelled through Temporal';
      return outcome('cancelled', { reason: `${reason} (stopped before ${status.stage}: ${status.step})` });
    }
    if (err instanceof ActivityFailure) {
      const cause = err.cause instanceof Error ? err.cause.message : err.message;
      return outcome('failed', { reason: `${status.stage} (${status.step}) failed: ${cause}` });
    }
    throw err;
  }

  async function stages(): Promise<PaperOutcome> {
    // ---- baseline
    enter('baseline');
    let workspace = patched(NO_PREPARE_WORKSPACE)
      ? input.templateKey
      : (
          await call('prepare workspace', 'prepareWorkspace', {
            paperId,
            templateKey: input.templateKey,
            idea: input.idea,
          })
        ).workspace;
    artifacts.workspace = workspace;
    const baselineWorkspace = workspace;
    status.run = 0;
    const baseline = await experiment(
      () =>
        callGpu('run 0 (baseline): train', 'runBaseline', {
          templateName: input.template,
          workspace,
          fast: s.fast,
        }),
      'run_0',
    );
    noteRun(baseline);
    if (baseline.outcome !== 'ok') {
      return outcome('failed', {
        reason: `the template's own baseline run failed (${baseline.outcome}): ${baseline.stderrTail.slice(-400)} (log ${baseline.logKey})`,
      });
    }
    workspace = (
      await call('run 0 (baseline): notes', 'recordRun', {
        paperId,
        idea: input.idea,
        run: 0,
        workspace,
        result: baseline,
      })
    ).workspace;

    // ---- experiments
    if (!enter('experiments')) return overBudget();
    workspace = await experiments(workspace);
    status.run = status.attempt = undefined;
    const seeds = s.seeds ?? 1;
    if (seeds > 1 && !skip.has('experiments') && !ledger.overBudget && patched(SEEDS)) {
      const variant = runs.filter((r) => r.runName !== 'run_0').pop()?.runName;
      workspace = await seedRuns(
        callGpu,
        call,
        { paperId, templateName: input.template, fast: s.fast, seeds, baselineWorkspace, workspace, variant },
        { ran: (name, logKey) => (artifacts[`${name}/log`] = logKey), degraded: (d) => degraded.push(d) },
      );
    }

    // ---- plots
    if (!enter('plots')) return overBudget();
    if (!skip.has('plots')) workspace = await plots(workspace);
    artifacts.workspace = workspace;

    // ---- write-up
    if (!enter('writeup')) return overBudget();
    let draftKey = await writeUp(workspace);

    // ---- compile
    if (!enter('compile')) return overBudget();
    let compiled = await compile(draftKey, workspace);
    draftKey = compiled.draftKey;
    view.compiledDegraded = compiled.degraded;
    const degradedNow = () => view.allDegraded();
    if (!compiled.pdfKey || !compiled.textKey) {
      return outcome('failed', {
        draftKey,
        ...(degradedNow().length ? { degraded: degradedNow() } : {}),
        reason: `LaTeX did not compile after ${s.compileRounds} fix rounds: ${compiled.feedback.slice(0, 400)}`,
      });
    }

    // ---- integrity
    if (patched(INTEGRITY)) {
      if (!enter('integrity')) return overBudget();
      const checked = await integrityStage(
        call,
        { paperId, idea: input.idea, settings: s, workspace, draftKey, compiled },
        {
          spent: (spend) => ledger.record('integrity', spend),
          artifacts,
          checked: (summary) => {
            view.integrity = summary;
            publish();
          },
          degraded: (d) => degraded.push(d),
        },
      );
      compiled = checked.compiled;
      compiled.textKey = checked.compiled.textKey; // narrows it again for the review below
      draftKey = checked.draftKey;
      view.compiledDegraded = compiled.degraded;
    }

    // ---- review
    if (!enter('review')) return overBudget();
    let review = skip.has('review') ? undefined : await reviewRound('initial', compiled.textKey);

    // ---- improvement round (optional; it needs a review to work from)
    if (s.improve && review && !skip.has('improve') && enter('improve')) {
      const revised = await call('revise from the review', 'revisePaper', {
        paperId,
        draftKey,
        workspace,
        metaKey: review.metaKey,
      });
      spent('improve', revised);
      const recompiled = await compile(revised.draftKey, workspace);
      if (recompiled.pdfKey && recompiled.textKey) {
        compiled = recompiled;
        draftKey = recompiled.draftKey;
        view.compiledDegraded = recompiled.degraded;
        if (!skip.has('review')) review = (await reviewRound('improved', recompiled.textKey)) ?? review;
      }
    }
    status.stage = 'done';
    return outcome('completed', {
      pdfKey: compiled.pdfKey,
      textKey: compiled.textKey,
      draftKey,
      review,
      ...(degradedNow().length ? { degraded: degradedNow() } : {}),
      ...(view.integrity ? { integrity: view.integrity } : {}),
      ...(view.figureCritique ? { figureCritique: view.figureCritique } : {}),
      // The paper and its PDF stand; only its scores are missing.
      reason: review
        ? undefined
        : skip.has('review')
          ? 'review skipped by an operator: the paper is unscored'
          : `no valid review among ${s.reviewers}: the paper is unscored`,
    });
  }

  function noteRun(r: ExperimentRunResult): void {
    if (r.logKey) artifacts[`${r.runName}/log`] = r.logKey;
    if (r.outcome !== 'ok') return;
    runs.push({ runName: r.runName, outcome: r.outcome, finalInfoKey: r.finalInfoKey, logKey: r.logKey });
    if (r.finalInfoKey) artifacts[`${r.runName}/final_info`] = r.finalInfoKey;
  }

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

  async function experiments(start: WorkspaceKey): Promise<WorkspaceKey> {
    let ws = start;
    for (let run = 1; run <= s.maxRuns; run++) {
      if (ledger.overBudget || skip.has('experiments')) break;
      status.run = run;
      let feedback: string | undefined;
      let succeeded = false;
      for (let attempt = 1; attempt <= s.maxRunAttempts && !succeeded; attempt++) {
        if (skip.has('experiments')) return ws;
        status.attempt = attempt;
        const edit = await call(`run ${run} attempt ${attempt}: edit`, 'planEdit', {
          paperId,
          idea: input.idea,
          run,
          maxRuns: s.maxRuns,
          attempt,
          workspace: ws,
          feedback,
          steering: control.notes,
        });
        spent('experiments', edit);
        if (edit.status === 'done') return ws;
        if (edit.status === 'edit-failed') {
          feedback = edit.feedback;
          continue;
        }
        const result = await experiment(
          () =>
            callGpu(`run ${run} attempt ${attempt}: train`, 'runExperiment', {
              paperId,
              runName: `run_${run}`,
              templateName: input.template,
              workspace: edit.workspace,
              fast: s.fast,
            }),
          `run_${run}`,
        );
        if (result.outcome === 'ok') {
          const noted = await call(`run ${run}: notes`, 'recordRun', {
            paperId,
            idea: input.idea,
            run,
            workspace: edit.workspace,
            result,
          });
          spent('experiments', noted);
          ws = noted.workspace;
          noteRun(result);
          status.runsDone = run;
          succeeded = true;
        } else {
          noteRun(result);
          feedback = `Run ${run} ended "${result.outcome}". The end of its error output:\n${result.stderrTail}`;
          status.lastError = feedback.slice(0, 300);
        }
      }
      // A run that failed every attempt is skipped: the paper goes on with the runs that worked.
    }
    return ws;
  }

  /** The plots stage (plots-stage.ts), over the runs that worked; what it finds goes to the status. */
  function plots(ws: WorkspaceKey): Promise<WorkspaceKey> {
    return plotsStage(
      call,
      {
        paperId,
        runNames: runs.filter((r) => r.outcome === 'ok').map((r) => r.runName),
        maxPlotAttempts: s.maxPlotAttempts,
        workspace: ws,
      },
      {
        skipped: () => skip.has('plots'),
        spent: (spend) => ledger.record('plots', spend),
        artifacts,
        critiqued: (summary) => {
          view.figureCritique = summary;
          publish();
        },
        degraded: (d) => {
          degraded.push(d);
          publish();
        },
        noFigures: (note) => (status.lastError = note),
      },
    );
  }

  async function writeUp(ws: WorkspaceKey): Promise<string> {
    let draft = '';
    const write = async (section: string, phase: 'draft' | 'refine', step: string) => {
      const written = await call(step, 'writeSection', {
        paperId,
        section,
        phase,
        workspace: ws,
        draftKey: draft,
        steering: control.notes,
      });
      draft = redrafted('writeup', written);
    };
    for (const section of SECTIONS.filter((x) => x !== 'related_work')) {
      await write(section, 'draft', `${section}: draft`);
      // The quick profile refines only the results, where the numbers are checked against the runs.
      if (s.refineSections || section === 'results') await write(section, 'refine', `${section}: refine`);
    }
    for (let round = 1; round <= s.citationRounds && !skip.has('citations'); round++) {
      const cited = await call(`citations round ${round}`, 'citationRound', {
        paperId,
        round,
        draftKey: draft,
      });
      draft = redrafted('writeup', cited);
      if (cited.done) break;
    }
    await write('related_work', 'draft', 'related work');
    if (s.refineSections) await write('all', 'refine', 'final refinement');
    return draft;
  }

  async function compile(startDraft: string, ws: WorkspaceKey) {
    const contained = patched(DEGRADATIONS);
    let draft = startDraft;
    let last = {
      ok: false,
      feedback: '',
      pdfKey: undefined as string | undefined,
      textKey: undefined as string | undefined,
      degraded: [] as Degradation[],
    };
    let best: (typeof last & { draftKey: string }) | undefined;
    for (let round = 1; round <= s.compileRounds; round++) {
      const res = await call(`compile round ${round}`, 'compilePaper', {
        paperId,
        round,
        draftKey: draft,
        workspace: ws,
      });
      // The draft that compiled: compilePaper may have typeset a part as plain text to get a PDF.
      if (contained && res.draftKey) draft = res.draftKey;
      last = {
        ok: res.ok,
        feedback: res.feedback,
        pdfKey: res.pdfKey,
        textKey: res.textKey,
        degraded: contained ? (res.degraded ?? []) : [],
      };
      artifacts['compile/log'] = res.logKey;
      if (res.pdfKey && res.textKey) {
        best = { ...last, draftKey: draft };
        artifacts.pdf = res.pdfKey;
        artifacts.text = res.textKey;
      }
      if (res.ok && !res.feedback) break;
      if (round === s.compileRounds) break;
      const fixed = await call(`compile round ${round}: fix LaTeX`, 'fixLatex', {
        paperId,
        round,
        draftKey: draft,
        workspace: ws,
        feedback: res.feedback,
      });
      draft = redrafted('compile', fixed);
    }
    // A fix that broke the LaTeX does not lose the PDF an earlier round made.
    return last.pdfKey && last.textKey
      ? { ...last, draftKey: draft }
      : (best ?? { ...last, draftKey: draft });
  }

  async function reviewRound(round: string, textKey: string) {
    const { meta } = await reviewEnsemble(
      call,
      {
        paperId,
        round,
        textKey,
        reviewers: s.reviewers,
        reflections: s.reviewReflections,
        threshold: s.decisionThreshold,
        ...(view.figureCritique?.critiqueKey ? { figureCritiqueKey: view.figureCritique.critiqueKey } : {}),
      },
      {
        spent: (spend) => ledger.record('review', spend),
        reviewed: (reviewer, key) => (artifacts[`review/${round}/${reviewer}`] = key),
      },
    );
    if (!meta) return undefined;
    artifacts[`review/${round}/meta`] = meta.metaKey;
    upsertSearchAttributes([
      { key: SA.score, value: meta.overall },
      { key: SA.decision, value: meta.decision },
    ]);
    const threshold = patched(REVIEW_THRESHOLD)
      ? {
          threshold: s.decisionThreshold,
          ...(s.decisionThresholdSource ? { thresholdSource: s.decisionThresholdSource } : {}),
        }
      : {};
    return {
      overall: meta.overall,
      decision: meta.decision,
      scores: meta.scores,
      metaKey: meta.metaKey,
      ...threshold,
    };
  }
}
