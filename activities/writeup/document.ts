/**
 * The paper as one document: the draft assembled into the template until a fix or revision has
 * touched the assembled LaTeX, after which `draft.tex` is the source of truth. `editDocument`
 * applies a model's search/replace blocks to it (the LaTeX fix, the revision after review),
 * refusing an edit that adds a hazard (activities/latex/hazards.ts).
 */
import { keys, type ArtifactStore } from '../../lib/store';
import { loadWorkspace } from '../workspace';
import { applyEdits, describeFailures, EditFormatError, parseEditBlocks } from '../coder/edit-engine';
import { addedHazards } from '../latex/hazards';
import { assemble, withAppendixInput, type Draft } from './assemble';

/** A draft, with the whole document once a fix or revision has edited it. */
export type DraftWithTex = Draft & { tex?: string };

/** The document: the fixed LaTeX once a fix was applied, else the draft assembled into the template. */
export function documentOf(draft: DraftWithTex, template: string): string {
  if (!draft.tex) return assemble(template, draft);
  return draft.appendix ? withAppendixInput(draft.tex) : draft.tex;
}

/** The document of a draft, reading the workspace's template only when the draft has no document yet. */
export async function documentText(
  store: ArtifactStore,
  draft: DraftWithTex,
  workspace: string,
): Promise<string> {
  if (draft.tex) return draft.tex;
  const files = await loadWorkspace(store, workspace, (p) => p === 'latex/template.tex');
  return documentOf(draft, files['latex/template.tex']?.toString() ?? '');
}

/**
 * Edits the assembled document with the model's blocks and stores the draft with the result at
 * papers/<id>/writeup/<step>.json; or says why the edit was not applied (for logs and the next round).
 */
export async function editDocument(
  store: ArtifactStore,
  paperId: string,
  step: string,
  draft: DraftWithTex,
  tex: string,
  reply: string,
): Promise<{ draftKey: string } | { feedback: string }> {
  let blocks;
  try {
    blocks = parseEditBlocks(reply);
  } catch (err) {
    if (err instanceof EditFormatError) return { feedback: err.message };
    throw err;
  }
  const result = applyEdits({ 'template.tex': tex }, blocks, (p) => p === 'template.tex');
  if (!result.ok) return { feedback: describeFailures(result.failures) };
  if (blocks.length === 0) return { feedback: 'no edit blocks' };
  const edited = result.files['template.tex'] ?? tex;
  const added = addedHazards(tex, edited);
  // A fix or revision is model-written LaTeX too: one that adds a file read, a definition or an
  // unclosed environment is refused, and the document stays as it was.
  if (added.length) return { feedback: `the edit was not applied: it adds ${added.join('; ')}` };
  const next: DraftWithTex = { ...draft, tex: edited };
  return { draftKey: (await store.putJson(keys.paper(paperId, 'writeup', `${step}.json`), next)).key };
}
