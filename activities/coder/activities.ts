/**
 * The experiment stage's coding activities: plan and make the next experiment's code change
 * (search/replace blocks through the edit engine), and record what a run found in notes.txt. One
 * model call each (its words in ./prompts.ts); the workspace version they produce is a new
 * content-addressed snapshot, so every run's code is kept. The plot stage's edit loop over
 * plot.py is activities/plots/edit-plot.ts, on the same edit engine.
 */
import { classified } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import { type MainPorts, NO_SPEND } from '../../contracts';
import type { Ask } from '../research/ask';
import { resultsTable } from '../writeup/results';
import { loadWorkspace, updateWorkspace, type WorkspaceFiles } from '../workspace';
import { applyReply, editStep } from './apply-reply';
import { experimentEditable } from './editable';
import { ALL_COMPLETED, EXPERIMENT_EDIT_FORMAT, planEditPrompt, recordRunPrompt } from './prompts';

/** The results of earlier runs, as the model sees them: one line per run, in run order. */
export function runResults(files: WorkspaceFiles): string {
  return resultsTable(files).text;
}

export interface CoderDeps {
  store: ArtifactStore;
  ask: Ask;
}

/** planEdit and recordRun: the experiments stage's edits (the plots stage's are in activities/plots). */
export function createCoderActivities({ store, ask }: CoderDeps): Pick<MainPorts, 'planEdit' | 'recordRun'> {
  return {
    async planEdit({ paperId, idea, run, maxRuns, attempt, workspace, feedback, steering }) {
      return classified(async () => {
        const files = await loadWorkspace(store, workspace);
        // The template's code, not one file: what template.json lists, else every Python file.
        const scope = experimentEditable(
          Object.fromEntries(Object.entries(files).map(([p, b]) => [p, b.length])),
          files['template.json']?.toString(),
        );
        const fullIdea = await store.getText(idea.key);
        const transcriptKey = keys.paper(paperId, 'experiments', `run_${run}`, `edit-${attempt}.json`);
        const res = await ask({
          role: 'coding',
          transcriptKey,
          ...planEditPrompt({
            idea: fullIdea,
            run,
            maxRuns,
            attempt,
            code: scope.shown.map((p) => ({ path: p, text: files[p]?.toString() ?? '' })),
            notes: files['notes.txt']?.toString() ?? '',
            results: runResults(files),
            feedback,
            steering,
          }),
        });
        if (res.text.includes(ALL_COMPLETED) && !res.text.includes('<<<<<<< SEARCH')) {
          return { status: 'done', workspace, spend: res.spend, transcriptKey };
        }
        const applied = await applyReply(
          store,
          workspace,
          files,
          res.text,
          scope.editable,
          EXPERIMENT_EDIT_FORMAT,
        );
        return editStep(applied, workspace, { spend: res.spend, transcriptKey });
      });
    },

    async recordRun({ paperId, idea, run, workspace, result }) {
      return classified(async () => {
        // The run's outputs join the workspace (plot.py reads every run_* folder).
        const outputs: Record<string, Buffer> = {};
        for (const [rel, key] of Object.entries(result.outputKeys)) outputs[rel] = await store.get(key);
        const withRun = await updateWorkspace(store, workspace, outputs);
        const files = await loadWorkspace(
          store,
          withRun,
          (p) => p === 'notes.txt' || /^run_\d+\/final_info\.json$/.test(p),
        );
        const transcriptKey = keys.paper(paperId, 'experiments', `run_${run}`, 'notes.json');
        if (run === 0) {
          // The baseline needs no model: its notes are the template's own results.
          const notes = `${files['notes.txt']?.toString() ?? ''}# Title: ${idea.title}\n\n## Run 0: baseline (the unmodified template)\nResults: ${runResults(files)}\n`;
          return {
            workspace: await updateWorkspace(store, withRun, { 'notes.txt': notes }),
            spend: NO_SPEND,
          };
        }
        const res = await ask({
          role: 'coding',
          transcriptKey,
          ...recordRunPrompt({ title: idea.title, results: runResults(files), run }),
        });
        const notes = `${files['notes.txt']?.toString() ?? ''}\n## Run ${run}\n${res.text.trim()}\n`;
        return {
          workspace: await updateWorkspace(store, withRun, { 'notes.txt': notes }),
          spend: res.spend,
          transcriptKey,
        };
      });
    },
  };
}
