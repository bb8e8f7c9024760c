/**
 * The paper as LaTeX: assembled from the draft into the template, compiled in the LaTeX
 * sandbox, fixed from the compiler's structured feedback, and revised from the review. Once a
 * fix or revision has touched the assembled document, `draft.tex` is the source of truth.
 */
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import type { SandboxRunner } from '../../sandbox';
import type { MainPorts } from '../../contracts';
import { applyEdits, describeFailures, EditFormatError, parseEditBlocks } from '../coder/edit-engine';
import { compileLatex, compileNeedsFix, formatCompileFeedback } from '../latex';
import type { Ask } from '../research/ask';
import { loadWorkspace } from '../workspace';
import { assemble, type Draft } from './assemble';

export interface PaperTexDeps {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  log: Logger;
  ask: Ask;
}

type DraftWithTex = Draft & { tex?: string };

const numbered = (tex: string) =>
  tex
    .split('\n')
    .map((l, i) => `${String(i + 1).padStart(4)}| ${l}`)
    .join('\n');

const EDIT_FORMAT = `Reply with search/replace blocks on template.tex only:

template.tex
<<<<<<< SEARCH
exact lines of the current file (without the line numbers)
=======
the corrected lines
>>>>>>> REPLACE`;

export function createPaperTexActivities(
  deps: PaperTexDeps,
): Pick<MainPorts, 'compilePaper' | 'fixLatex' | 'revisePaper'> {
  const { store, ask } = deps;

  async function texOf(draft: DraftWithTex, workspace: string): Promise<string> {
    if (draft.tex) return draft.tex;
    const files = await loadWorkspace(store, workspace, (p) => p === 'latex/template.tex');
    return assemble(files['latex/template.tex']?.toString() ?? '', draft);
  }

  /** Edits the assembled document with the model's blocks; the draft with the result, or the failure text. */
  async function editTex(
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
    const next: DraftWithTex = { ...draft, tex: result.files['template.tex'] };
    return { draftKey: (await store.putJson(keys.paper(paperId, 'writeup', `${step}.json`), next)).key };
  }

  return {
    async compilePaper({ paperId, round, draftKey, workspace }) {
      return classified(async () => {
        const ctx = Context.current();
        const draft = await store.getJson<DraftWithTex>(draftKey);
        const tex = await texOf(draft, workspace);
        const figures = await loadWorkspace(
          store,
          workspace,
          (p) => p.startsWith('figures/') || (p.startsWith('latex/') && p !== 'latex/template.tex'),
        );
        const files: Record<string, string> = {};
        const put = async (rel: string, body: string | Buffer) => {
          files[rel] = (await store.putContent('cas/file', body)).key;
        };
        await put('template.tex', tex);
        await put('references.bib', draft.references);
        // Figures sit beside the .tex (templates' \graphicspath may also point elsewhere).
        for (const [rel, body] of Object.entries(figures))
          await put(rel.startsWith('latex/') ? rel.slice(6) : path.basename(rel), body);
        const result = await compileLatex(
          deps,
          { paperId, round, files, mainFile: 'template.tex' },
          { attempt: ctx.info.attempt, signal: ctx.cancellationSignal },
        );
        const feedback = compileNeedsFix(result) ? formatCompileFeedback(result) : '';
        return {
          ok: result.ok,
          pdfKey: result.pdfKey,
          textKey: result.textKey,
          logKey: result.logKey,
          feedback,
          pageCount: result.pageCount,
        };
      });
    },

    async fixLatex({ paperId, round, draftKey, workspace, feedback }) {
      return classified(async () => {
        const draft = await store.getJson<DraftWithTex>(draftKey);
        const tex = await texOf(draft, workspace);
        const transcriptKey = keys.paper(paperId, 'compile', `fix-${round}.json`);
        const res = await ask({
          role: 'writing',
          transcriptKey,
          system:
            'You are an expert in LaTeX fixing a paper so that it compiles cleanly. Change only what the errors require.',
          context: [{ name: 'template.tex with line numbers', text: numbered(tex), priority: 2 }],
          prompt: [
            `Citation keys available in references.bib: ${(draft.references.match(/@\w+\{([^,]+),/g) ?? []).map((m) => m.replace(/@\w+\{|,/g, '')).join(', ') || 'none'}`,
            `The compiler and checks report:\n${feedback}`,
            `Fix these problems. Remove citations of keys that are not available and figures that do not exist. ${EDIT_FORMAT}`,
          ].join('\n\n'),
        });
        const edited = await editTex(paperId, `fix-${round}`, draft, tex, res.text);
        // A fix the engine could not apply leaves the draft as it was; the next round tries again.
        return {
          draftKey: 'draftKey' in edited ? edited.draftKey : draftKey,
          spend: res.spend,
          transcriptKey,
        };
      });
    },

    async revisePaper({ paperId, draftKey, workspace, metaKey }) {
      return classified(async () => {
        const draft = await store.getJson<DraftWithTex>(draftKey);
        const tex = await texOf(draft, workspace);
        const meta = await store.getText(metaKey);
        const files = await loadWorkspace(store, workspace, (p) => p === 'notes.txt');
        const transcriptKey = keys.paper(paperId, 'improve', 'revise.json');
        const res = await ask({
          role: 'writing',
          transcriptKey,
          system:
            'You are an expert ML researcher revising a paper after peer review. You never invent results.',
          context: [
            { name: 'template.tex with line numbers', text: numbered(tex), priority: 3 },
            { name: 'Notes on the experiments', text: files['notes.txt']?.toString() ?? '', priority: 1 },
            { name: "The area chair's meta-review", text: meta, priority: 2 },
          ],
          prompt: [
            `Address the weaknesses that can be addressed by writing (clarity, missing detail, overclaiming, limitations) without new experiments. ${EDIT_FORMAT}`,
          ].join('\n\n'),
        });
        const edited = await editTex(paperId, 'revised', draft, tex, res.text);
        return {
          draftKey: 'draftKey' in edited ? edited.draftKey : draftKey,
          spend: res.spend,
          transcriptKey,
        };
      });
    },
  };
}
