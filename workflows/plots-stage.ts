/**
 * The paper's plots stage: the coder edits plot.py, the sandbox runs it over the runs that worked
 * and a model describes the figures for the write-up; a model that takes images critiques them,
 * and a figure to fix sends plot.py back for another edit. When no edit of plot.py works, the
 * template's own plot.py makes the figures. A plotting failure never fails the paper: it is
 * written without figures.
 * Workflow code: it only decides; the activities (activities/plots, activities/coder) do the work.
 */
import { patched } from '@temporalio/workflow';
import type { Degradation, FigureCritiqueSummary, MainPorts, Spend, WorkspaceKey } from '../contracts';

/**
 * patched() ids of changes to this stage, kept while histories recorded before them can replay:
 * - TEMPLATE_PLOTS: when no edit of plot.py worked, the template's own plot.py makes the figures.
 * - FIGURE_CRITIQUE: after the figures are described, a model that takes images critiques them;
 *   a figure to fix sends plot.py back for another edit, and the reviewers read the critique.
 */
const TEMPLATE_PLOTS = 'template-plots-fallback';
const FIGURE_CRITIQUE = 'figure-critique';

type PlotsPorts = Pick<MainPorts, 'editPlot' | 'runPlot' | 'describeFigures' | 'critiqueFigures'>;

/** How the paper starts an activity: a step name for the UI, the activity, its input. */
export type StartPlots = <K extends keyof PlotsPorts>(
  step: string,
  name: K,
  arg: Parameters<PlotsPorts[K]>[0],
) => Promise<Awaited<ReturnType<PlotsPorts[K]>>>;

export interface PlotsStageInput {
  paperId: string;
  /** The runs that worked, whose results plot.py reads. */
  runNames: string[];
  maxPlotAttempts: number;
  /** The paper's workspace after the experiments, with the template's plot.py. */
  workspace: WorkspaceKey;
}

export interface PlotsStageHooks {
  /** Whether an operator has asked to skip the plots (asked again before every attempt). */
  skipped(): boolean;
  /** A plot edit's, a description's or a critique's spend. */
  spent(spend: Spend): void;
  /** The paper's artifacts list (figures, the critique's report). */
  artifacts: Record<string, string>;
  /** The critique of the figures the paper keeps, or why it was skipped (status, Web UI, reviewers). */
  critiqued(summary: FigureCritiqueSummary): void;
  /** A part that degraded: the figures, when they are the template's own. */
  degraded(d: Degradation): void;
  /** The paper goes on without figures. */
  noFigures(note: string): void;
}

/** Returns the workspace the write-up starts from: with the figures and their descriptions, if any. */
export async function plotsStage(
  call: StartPlots,
  input: PlotsStageInput,
  hooks: PlotsStageHooks,
): Promise<WorkspaceKey> {
  const { paperId, runNames, maxPlotAttempts } = input;
  const { artifacts } = hooks;
  let ws = input.workspace;
  let feedback: string | undefined;
  /** Figures the critique asked to fix, kept in case no later attempt plots at all. */
  let kept: { workspace: WorkspaceKey; critique: FigureCritiqueSummary } | undefined;
  for (let attempt = 1; attempt <= maxPlotAttempts && !hooks.skipped(); attempt++) {
    const edit = await call(`plot attempt ${attempt}: edit plot.py`, 'editPlot', {
      paperId,
      attempt,
      workspace: ws,
      runNames,
      feedback,
    });
    hooks.spent(edit.spend);
    if (edit.status === 'edit-failed') {
      feedback = edit.feedback;
      continue;
    }
    const plotted = await call(`plot attempt ${attempt}: run plot.py`, 'runPlot', {
      paperId,
      attempt,
      workspace: edit.workspace,
      runNames,
    });
    if (plotted.ok) {
      plotted.figureKeys.forEach((k, i) => (artifacts[`figure/${i + 1}`] = k));
      const described = await call('describe the figures', 'describeFigures', {
        paperId,
        workspace: edit.workspace,
        figureKeys: plotted.figureKeys,
      });
      hooks.spent(described.spend);
      if (!patched(FIGURE_CRITIQUE)) return described.workspace;
      const critique = await critiqueFigures(attempt, described.workspace, plotted.figureKeys);
      if (!critique.feedback || attempt === maxPlotAttempts) return described.workspace;
      // Figures to fix: the next edit starts from this plot.py, with what the critique found.
      kept = { workspace: described.workspace, critique: critique.summary };
      ws = edit.workspace;
      feedback = critique.feedback;
      continue;
    }
    feedback = `plot.py failed:\n${plotted.stderrTail}`;
  }
  if (kept) {
    // No later attempt plotted: the critiqued figures stand, and so does their critique.
    hooks.critiqued(kept.critique);
    return kept.workspace;
  }
  if (!hooks.skipped() && patched(TEMPLATE_PLOTS)) {
    // `ws` still has the template's plot.py (a failed edit never reaches it): every paper gets
    // at least the template's own figures.
    const plotted = await call("template's plot.py", 'runPlot', {
      paperId,
      attempt: 0,
      workspace: ws,
      runNames,
    });
    if (plotted.ok) {
      plotted.figureKeys.forEach((k, i) => (artifacts[`figure/${i + 1}`] = k));
      const described = await call('describe the figures', 'describeFigures', {
        paperId,
        workspace: ws,
        figureKeys: plotted.figureKeys,
      });
      hooks.spent(described.spend);
      // The reviewers still read what a vision model saw in the template's figures.
      if (patched(FIGURE_CRITIQUE)) await critiqueFigures(0, described.workspace, plotted.figureKeys);
      hooks.degraded({
        part: 'figures',
        reason: `no edit of plot.py worked in ${maxPlotAttempts} attempt(s); the figures are the template's own`,
      });
      return described.workspace;
    }
  }
  hooks.noFigures('plotting failed; the paper has no figures');
  return ws;

  /** The figure critique; its outcome (or why it was skipped) goes to the hooks at once. */
  async function critiqueFigures(attempt: number, workspace: WorkspaceKey, figureKeys: string[]) {
    const critique = await call(
      attempt ? `plot attempt ${attempt}: critique the figures` : 'critique the figures',
      'critiqueFigures',
      { paperId, attempt, workspace, figureKeys, runNames },
    );
    hooks.spent(critique.spend);
    const { feedback: found, spend: _spend, transcriptKey: _transcript, ...summary } = critique;
    if (summary.critiqueKey) artifacts['figure-critique'] = summary.critiqueKey;
    hooks.critiqued(summary);
    return { feedback: found, summary };
  }
}
