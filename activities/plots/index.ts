/** The plot stage: edit, run, describe and critique the figures (see ./activities.ts). */
export { createPlotActivities, type PlotDeps } from './activities';
export { createPlotEditActivities, type PlotEditDeps } from './edit-plot';
export {
  checkFigureBytes,
  critiqueFigures,
  critiqueText,
  CRITIQUE_CAPS,
  describeNpy,
  runDataSummary,
  type FigureCritiqueReport,
} from './critique';
export { PLOT_CAPS, runPlot, type RunPlotDeps, type RunPlotInput, type RunPlotResult } from './run-plot';
export {
  CRITIQUE_SYSTEM,
  describeFiguresPrompt,
  editPlotPrompt,
  figureCritiquePrompt,
  PLOT_EDIT_FORMAT,
  type DescribeFiguresInputs,
  type EditPlotInputs,
  type FigureCritiqueInputs,
} from './prompts';
