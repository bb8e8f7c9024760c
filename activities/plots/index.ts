/**
 * Plots: run the (model-edited) plot.py over every run's results in a CPU sandbox, keep the
 * figures, and have the model describe each figure in notes.txt for the write-up; each
 * description becomes its figure's caption (figures.json), for the figures code places; then a
 * model that takes images critiques each figure with its caption (./critique.ts).
 */
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import type { MainPorts } from '../../contracts';
import type { SandboxRunner } from '../../sandbox';
import type { Ask } from '../research/ask';
import { loadWorkspace, updateWorkspace } from '../workspace';
import { CAPTIONS_FILE, figureCaptions } from '../writeup/figures';
import { critiqueFigures } from './critique';
import { runPlot } from './run-plot';

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

export interface PlotDeps {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  log: Logger;
  ask: Ask;
}

export function createPlotActivities({
  config,
  store,
  sandbox,
  log,
  ask,
}: PlotDeps): Pick<MainPorts, 'runPlot' | 'describeFigures' | 'critiqueFigures'> {
  return {
    async runPlot({ paperId, attempt, workspace }) {
      return classified(async () => {
        const ctx = Context.current();
        return runPlot(
          { config, store, sandbox, log },
          { paperId, attempt, workspace },
          { tryNumber: ctx.info.attempt, signal: ctx.cancellationSignal },
        );
      });
    },

    async critiqueFigures(input) {
      return classified(() => critiqueFigures({ config, store, ask }, input));
    },

    async describeFigures({ paperId, workspace, figureKeys }) {
      return classified(async () => {
        const figures: Record<string, Buffer> = {};
        for (const key of figureKeys) figures[`figures/${path.basename(key)}`] = await store.get(key);
        const withFigures = await updateWorkspace(store, workspace, figures);
        const files = await loadWorkspace(store, withFigures, (p) => p === 'plot.py' || p === 'notes.txt');
        const transcriptKey = keys.paper(paperId, 'plots', 'describe.json');
        const res = await ask({
          role: 'writing',
          transcriptKey,
          system: 'You are an expert ML researcher writing precise figure descriptions for a paper.',
          context: [
            { name: 'plot.py', text: files['plot.py']?.toString() ?? '', priority: 1 },
            { name: 'notes.txt', text: files['notes.txt']?.toString() ?? '', priority: 2 },
          ],
          prompt: [
            `plot.py produced these figures: ${Object.keys(figures)
              .map((f) => path.basename(f))
              .join(', ')}.`,
            'For each figure, write its file name and a description of what it shows and what it means for the results, in detail: someone will write the paper from these notes. Plain text.',
          ].join('\n\n'),
        });
        const notes = `${files['notes.txt']?.toString() ?? ''}\n## Figures\n${res.text.trim()}\n`;
        // Each figure's caption, from the description that names it: code places the figures.
        const captions = figureCaptions(res.text, Object.keys(figures));
        return {
          workspace: await updateWorkspace(store, withFigures, {
            'notes.txt': notes,
            [CAPTIONS_FILE]: `${JSON.stringify(captions, null, 1)}\n`,
          }),
          spend: res.spend,
          transcriptKey,
        };
      });
    },
  };
}
