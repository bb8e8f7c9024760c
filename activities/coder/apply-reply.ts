/**
 * A model's edit reply applied to a workspace: its search/replace blocks through the edit engine,
 * or, when it has none, the whole file in one code fence if that is unambiguous. Shared by the
 * experiment stage (./activities.ts) and the plot stage (activities/plots/edit-plot.ts).
 */
import type { EditFormat, LlmStep } from '../../contracts';
import type { ArtifactStore } from '../../lib/store';
import { updateWorkspace, type WorkspaceFiles } from '../workspace';
import {
  applyEdits,
  describeFailures,
  type EditBlock,
  EditFormatError,
  parseEditBlocks,
} from './edit-engine';
import { acceptWholeFile } from './whole-file';

export type Applied =
  { status: 'edited'; workspace: string; format: EditFormat } | { status: 'edit-failed'; feedback: string };

/**
 * Applies a reply to the workspace: its search/replace blocks, or, when it has none, the whole
 * file in one code fence if that is unambiguous, parses and keeps the template's contract (see
 * whole-file.ts). The outcome the workflow needs, never a throw for a bad edit.
 */
/**
 * An edit activity's answer from what applying the model's reply did: the new workspace and the
 * format on success; the old workspace and the feedback for the next attempt otherwise.
 */
export function editStep(applied: Applied, workspace: string, step: LlmStep) {
  return applied.status === 'edited'
    ? { status: 'edited' as const, workspace: applied.workspace, format: applied.format, ...step }
    : { status: 'edit-failed' as const, workspace, feedback: applied.feedback, ...step };
}

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
