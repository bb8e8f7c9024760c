/**
 * The coding model's activities: plan and make the next experiment's code change (search/replace
 * blocks through the edit engine), record what a run found in notes.txt, and the same loop for
 * plot.py. One model call each; the workspace version they produce is a new content-addressed
 * snapshot, so every run's code is kept.
 */
import { classified } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import { type EditFormat, type MainPorts, NO_SPEND } from '../../contracts';
import type { Ask } from '../research/ask';
import { resultsTable } from '../writeup/results';
import { loadWorkspace, updateWorkspace, type WorkspaceFiles } from '../workspace';
import {
  applyEdits,
  describeFailures,
  type EditBlock,
  EditFormatError,
  parseEditBlocks,
} from './edit-engine';
import { experimentEditable } from './editable';
import { acceptWholeFile } from './whole-file';

export { applyEdits, describeFailures, parseEditBlocks, EditFormatError } from './edit-engine';
export { acceptWholeFile, findWholeFile, lostContract, pythonSyntaxError } from './whole-file';

const PLOT_EDITABLE = (p: string) => p === 'plot.py';
const ALL_COMPLETED = 'ALL_COMPLETED';

/**
 * The edit format, shown before the task with one concrete, filled-in block: small models copy
 * an abstract template's placeholders ("exact lines copied from the current file") or reprint
 * the file, but follow a real example (offline measurement: Qwen2.5-Coder-1.5B 0/4 → 4/4 edits
 * that applied). It is the same text on every call, so it sits in the system prompt, part of
 * the prefix the model's state is reused for.
 */
export function editFormat(file: string, example: { what: string; search: string; replace: string }): string {
  return `Make every change as a search/replace block: the file name on its own line, then the lines to find, then the new lines. For example, ${example.what}:

${file}
<<<<<<< SEARCH
${example.search}
=======
${example.replace}
>>>>>>> REPLACE

Copy the SEARCH lines exactly from the current ${file} (a few lines, enough to be unique); put only the changed lines and their neighbours in a block, never the whole file. Use one block per place you change.`;
}

const EDIT_FORMAT = editFormat('experiment.py', {
  what: 'to lower the learning rate and add weight decay in experiment.py',
  search: '    learning_rate = 1e-3\n    weight_decay = 0.0',
  replace: '    learning_rate = 3e-4\n    weight_decay = 0.01',
});
const PLOT_FORMAT = editFormat('plot.py', {
  what: 'to plot a second run under its own legend label in plot.py',
  search: 'labels = {\n    "run_0": "Baseline",\n}',
  replace: 'labels = {\n    "run_0": "Baseline",\n    "run_1": "Lower learning rate",\n}',
});

/** The results of earlier runs, as the model sees them: one line per run, in run order. */
export function runResults(files: WorkspaceFiles): string {
  return resultsTable(files).text;
}

const steeringText = (steering: string[]) =>
  steering.length
    ? `\n\nGuidance from the operator (follow it):\n${steering.map((s) => `- ${s}`).join('\n')}`
    : '';

export interface CoderDeps {
  store: ArtifactStore;
  ask: Ask;
}

type Applied =
  { status: 'edited'; workspace: string; format: EditFormat } | { status: 'edit-failed'; feedback: string };

/**
 * Applies a reply to the workspace: its search/replace blocks, or, when it has none, the whole
 * file in one code fence if that is unambiguous, parses and keeps the template's contract (see
 * whole-file.ts). The outcome the workflow needs, never a throw for a bad edit.
 */
export async function applyReply(
  store: ArtifactStore,
  workspace: string,
  files: WorkspaceFiles,
  reply: string,
  editable: (p: string) => boolean,
  format: string,
): Promise<Applied> {
  let blocks: EditBlock[];
  let blockProblem: string;
  try {
    blocks = parseEditBlocks(reply);
    blockProblem = 'Your reply contained no edit blocks.';
  } catch (err) {
    if (!(err instanceof EditFormatError)) throw err;
    blocks = [];
    blockProblem = `Your edit blocks were malformed: ${err.message}`;
  }
  const text = Object.fromEntries(Object.entries(files).map(([p, b]) => [p, b.toString('utf8')]));
  if (blocks.length === 0) {
    const candidates = Object.keys(text)
      .filter((p) => editable(p) && p.endsWith('.py'))
      .map((p) => ({ path: p, text: text[p]! }));
    const whole = await acceptWholeFile(reply, candidates);
    if (whole.ok)
      return {
        status: 'edited',
        workspace: await updateWorkspace(store, workspace, { [whole.path]: whole.text }),
        format: 'whole-file',
      };
    return {
      status: 'edit-failed',
      feedback: `${blockProblem} (Not a whole-file edit either: ${whole.reason}.)\n\n${format}`,
    };
  }
  const result = applyEdits(text, blocks, editable);
  if (!result.ok) {
    // A small model retrying after feedback may send the format's own example back (seen on the
    // main job: Qwen's second attempt was the learning-rate example, which the file does not have).
    const copied = result.failures.some((f) => {
      const search = blocks[f.block - 1]?.search.trim() ?? '';
      return f.reason === 'not-found' && search.length > 10 && format.includes(search);
    });
    const note = copied
      ? '\n\nYour SEARCH lines are the example from the instructions, not lines of the file: copy the lines you change from the current file shown above.'
      : '';
    return { status: 'edit-failed', feedback: describeFailures(result.failures) + note };
  }
  const changes = Object.fromEntries(result.changed.map((p) => [p, result.files[p]!]));
  return {
    status: 'edited',
    workspace: await updateWorkspace(store, workspace, changes),
    format: 'search-replace',
  };
}

export function createCoderActivities({
  store,
  ask,
}: CoderDeps): Pick<MainPorts, 'planEdit' | 'recordRun' | 'editPlot'> {
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
        const intro =
          run === 1 && attempt === 1
            ? `Your goal is to implement this idea:\n${fullIdea}\n\nYou have up to ${maxRuns} runs after the baseline (run_0); you need not use them all. First plan the experiments, then implement the first one.`
            : `You are implementing this idea:\n${fullIdea}\n\nThis is run ${run} of at most ${maxRuns}. Decide whether to re-plan, then implement the next experiment. If the plan is complete, reply with ${ALL_COMPLETED} and no edit blocks.`;
        const res = await ask({
          role: 'coding',
          transcriptKey,
          // Stable first (the model's state is reused across calls that share a prefix): the
          // system text with the edit format, then the template code, then what changes.
          system: `You are an expert ML research engineer. You change experiment code precisely and minimally.\n\n${EDIT_FORMAT}`,
          context: [
            // experiment.py is cut last; the other modules before the results, after the notes.
            ...scope.shown.map((p) => ({
              name: p,
              text: files[p]?.toString() ?? '',
              priority: p === 'experiment.py' ? 3 : 1.5,
            })),
            { name: 'notes.txt', text: files['notes.txt']?.toString() ?? '', priority: 1 },
            { name: 'Results so far (final_info.json per run)', text: runResults(files), priority: 2 },
          ],
          prompt: [
            intro,
            `The run will be: python experiment.py --out_dir=run_${run}. Do not add command-line arguments; change defaults in the code instead. Keep writing final_info.json in the same format.`,
            feedback ? `Your previous attempt failed:\n${feedback}` : '',
            scope.shown.length > 1
              ? `You may edit ${scope.shown.join(', ')}: start every block with the path of its file, as shown above each file. Reply with the search/replace block(s), as in the example.${steeringText(steering)}`
              : `Reply with the search/replace block(s) for experiment.py, as in the example.${steeringText(steering)}`,
          ]
            .filter(Boolean)
            .join('\n\n'),
        });
        if (res.text.includes(ALL_COMPLETED) && !res.text.includes('<<<<<<< SEARCH')) {
          return { status: 'done', workspace, spend: res.spend, transcriptKey };
        }
        const applied = await applyReply(store, workspace, files, res.text, scope.editable, EDIT_FORMAT);
        return applied.status === 'edited'
          ? {
              status: 'edited',
              workspace: applied.workspace,
              format: applied.format,
              spend: res.spend,
              transcriptKey,
            }
          : { status: 'edit-failed', workspace, feedback: applied.feedback, spend: res.spend, transcriptKey };
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
          system: 'You are an expert ML researcher keeping a precise lab notebook.',
          prompt: [
            `Idea: ${idea.title}`,
            `Results so far:\n${runResults(files)}`,
            `Run ${run} just finished. In a short paragraph, write what run ${run} tested (the change against the previous code) and what it found, with the exact numbers. This goes into notes.txt, which the paper will be written from. Plain text only.`,
          ].join('\n\n'),
        });
        const notes = `${files['notes.txt']?.toString() ?? ''}\n## Run ${run}\n${res.text.trim()}\n`;
        return {
          workspace: await updateWorkspace(store, withRun, { 'notes.txt': notes }),
          spend: res.spend,
          transcriptKey,
        };
      });
    },

    async editPlot({ paperId, attempt, workspace, runNames, feedback }) {
      return classified(async () => {
        const files = await loadWorkspace(store, workspace, (p) => p === 'plot.py' || p === 'notes.txt');
        const transcriptKey = keys.paper(paperId, 'plots', `edit-${attempt}.json`);
        const res = await ask({
          role: 'coding',
          transcriptKey,
          system: `You are an expert ML research engineer who makes clear, honest figures.\n\n${PLOT_FORMAT}`,
          context: [
            { name: 'plot.py', text: files['plot.py']?.toString() ?? '', priority: 2 },
            { name: 'notes.txt', text: files['notes.txt']?.toString() ?? '', priority: 1 },
          ],
          prompt: [
            `The runs with results: ${runNames.join(', ')}. Edit plot.py so that its \`labels\` dictionary names exactly these runs and it writes the figures the paper needs (PNG files in the current folder). It runs as: python plot.py.`,
            feedback ? `Your previous attempt failed:\n${feedback}` : '',
            'Reply with the search/replace block(s) for plot.py, as in the example.',
          ]
            .filter(Boolean)
            .join('\n\n'),
        });
        const applied = await applyReply(store, workspace, files, res.text, PLOT_EDITABLE, PLOT_FORMAT);
        return applied.status === 'edited'
          ? {
              status: 'edited',
              workspace: applied.workspace,
              format: applied.format,
              spend: res.spend,
              transcriptKey,
            }
          : { status: 'edit-failed', workspace, feedback: applied.feedback, spend: res.spend, transcriptKey };
      });
    },
  };
}
