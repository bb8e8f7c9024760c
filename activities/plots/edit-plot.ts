/**
 * The plot stage's edit of plot.py: one coding-model call (its words in ./prompts.ts), the reply
 * applied through the shared edit engine (activities/coder/apply-reply.ts) to plot.py alone.
 */
import { classified } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import type { MainPorts } from '../../contracts';
import { applyReply, editStep } from '../coder/apply-reply';
import type { Ask } from '../research/ask';
import { loadWorkspace } from '../workspace';
import { editPlotPrompt, PLOT_EDIT_FORMAT } from './prompts';

const PLOT_EDITABLE = (p: string) => p === 'plot.py';

export interface PlotEditDeps {
  store: ArtifactStore;
  ask: Ask;
}

export function createPlotEditActivities({ store, ask }: PlotEditDeps): Pick<MainPorts, 'editPlot'> {
  return {
    async editPlot({ paperId, attempt, workspace, runNames, feedback }) {
      return classified(async () => {
        const files = await loadWorkspace(store, workspace, (p) => p === 'plot.py' || p === 'notes.txt');
        const transcriptKey = keys.paper(paperId, 'plots', `edit-${attempt}.json`);
        const res = await ask({
          role: 'coding',
          transcriptKey,
          ...editPlotPrompt({
            plotPy: files['plot.py']?.toString() ?? '',
            notes: files['notes.txt']?.toString() ?? '',
            runNames,
            feedback,
          }),
        });
        const applied = await applyReply(store, workspace, files, res.text, PLOT_EDITABLE, PLOT_EDIT_FORMAT);
        return editStep(applied, workspace, { spend: res.spend, transcriptKey });
      });
    },
  };
}
