/**
 * What the models read in the plot stage: the coding model's edit of plot.py (the edit format of
 * activities/coder/prompts.ts with a plot.py example), the writing model's description of each
 * figure, and the vision model's critique of one figure. Pure builders over plain inputs.
 */
import { editFormat } from '../coder/prompts';
import type { Prompt } from '../research/prompt';

/** The plot stage's edit format: its example adds a run to plot.py's `labels`. */
export const PLOT_EDIT_FORMAT = editFormat('plot.py', {
  what: 'to plot a second run under its own legend label in plot.py',
  search: 'labels = {\n    "run_0": "Baseline",\n}',
  replace: 'labels = {\n    "run_0": "Baseline",\n    "run_1": "Lower learning rate",\n}',
});

export interface EditPlotInputs {
  plotPy: string;
  notes: string;
  /** The runs with results, in order (run_0 first). */
  runNames: string[];
  /** Why the previous attempt failed (a traceback, or the figure critique's fixes). */
  feedback?: string | undefined;
}

/** One edit of plot.py: label exactly these runs and write the figures the paper needs. */
export function editPlotPrompt(i: EditPlotInputs): Prompt {
  return {
    system: `You are an expert ML research engineer who makes clear, honest figures.\n\n${PLOT_EDIT_FORMAT}`,
    context: [
      { name: 'plot.py', text: i.plotPy, priority: 2 },
      { name: 'notes.txt', text: i.notes, priority: 1 },
    ],
    prompt: [
      `The runs with results: ${i.runNames.join(', ')}. Edit plot.py so that its \`labels\` dictionary names exactly these runs and it writes the figures the paper needs (PNG files in the current folder). It runs as: python plot.py.`,
      i.feedback ? `Your previous attempt failed:\n${i.feedback}` : '',
      'Reply with the search/replace block(s) for plot.py, as in the example.',
    ]
      .filter(Boolean)
      .join('\n\n'),
  };
}

export interface DescribeFiguresInputs {
  plotPy: string;
  notes: string;
  /** The figures' file names (base names). */
  figures: string[];
}

/** The figures described for notes.txt; each description becomes its figure's caption. */
export function describeFiguresPrompt(i: DescribeFiguresInputs): Prompt {
  return {
    system: 'You are an expert ML researcher writing precise figure descriptions for a paper.',
    context: [
      { name: 'plot.py', text: i.plotPy, priority: 1 },
      { name: 'notes.txt', text: i.notes, priority: 2 },
    ],
    prompt: [
      `plot.py produced these figures: ${i.figures.join(', ')}.`,
      'For each figure, write its file name and a description of what it shows and what it means for the results, in detail: someone will write the paper from these notes. Plain text.',
    ].join('\n\n'),
  };
}

export const CRITIQUE_SYSTEM =
  'You are a meticulous reviewer of figures in machine-learning papers. You look at the image itself: judge only what you can see in it.';

export interface FigureCritiqueInputs {
  /** The figure's file name and size in pixels. */
  file: string;
  width: number;
  height: number;
  /** The caption the paper prints under it ('' when it has none). */
  caption: string;
  /** plot.py, already cut to CRITIQUE_CAPS.plotChars. */
  plotPy: string;
  /** The bounded summary of the run data (runDataSummary). */
  dataSummary: string;
}

/** One figure's critique (the image itself goes with it, as the request's image). */
export function figureCritiquePrompt(i: FigureCritiqueInputs): Prompt {
  return {
    system: CRITIQUE_SYSTEM,
    context: [
      { name: 'plot.py (the script that drew the figure)', text: i.plotPy, priority: 1 },
      { name: 'The run data plot.py reads (a summary)', text: i.dataSummary, priority: 2 },
    ],
    prompt: [
      `The image is ${i.file} (${i.width}×${i.height} pixels), a figure of the paper. Its caption in the paper:\n"${i.caption || '(none)'}"`,
      'Judge it: is every text legible at the size of a half-page figure; do the axes have labels (with units where they matter) and does the legend name the runs in words a reader understands (not run_N folder names); does the figure show what the caption claims, and agree with the run data above?',
      'Answer as JSON: legibility, labelsAndLegend, captionCheck (one or two sentences each), matchesCaption (true or false), fixes (changes to plot.py, at most 6, empty if none), verdict ("ok" or "needs-fix").',
    ].join('\n\n'),
  };
}
