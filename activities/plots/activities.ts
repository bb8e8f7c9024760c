/**
 * The plot stage's activities: edit plot.py (./edit-plot.ts), run it over every run's results in
 * a CPU sandbox and keep the figures (./run-plot.ts), have the model describe each figure in
 * notes.txt for the write-up — each description becomes its figure's caption (figures.json), for
 * the figures code places — and have a model that takes images critique each figure with its
 * caption (./critique.ts). The models' words are in ./prompts.ts.
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
import { createPlotEditActivities } from './edit-plot';
import { describeFiguresPrompt } from './prompts';
import { runPlot } from './run-plot';

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
}: PlotDeps): Pick<MainPorts, 'editPlot' | 'runPlot' | 'describeFigures' | 'critiqueFigures'> {
  return {
    ...createPlotEditActivities({ store, ask }),

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
          ...describeFiguresPrompt({
            plotPy: files['plot.py']?.toString() ?? '',
            notes: files['notes.txt']?.toString() ?? '',
            figures: Object.keys(figures).map((f) => path.basename(f)),
          }),
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
