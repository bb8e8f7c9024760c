/**
 * The improve stage's activity: `revisePaper` has the writing model revise the assembled document
 * from the area chair's meta-review, as search/replace edits of template.tex (its words in
 * ./prompts.ts; the edit refused when it adds a hazard, see ./document.ts).
 */
import { classified } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import type { MainPorts } from '../../contracts';
import type { Ask } from '../research/ask';
import { loadWorkspace } from '../workspace';
import { documentText, editDocument, type DraftWithTex } from './document';
import { revisePaperPrompt } from './prompts';

export interface ReviseDeps {
  store: ArtifactStore;
  ask: Ask;
}

export function createReviseActivities({ store, ask }: ReviseDeps): Pick<MainPorts, 'revisePaper'> {
  return {
    async revisePaper({ paperId, draftKey, workspace, metaKey }) {
      return classified(async () => {
        const draft = await store.getJson<DraftWithTex>(draftKey);
        const tex = await documentText(store, draft, workspace);
        const meta = await store.getText(metaKey);
        const files = await loadWorkspace(store, workspace, (p) => p === 'notes.txt');
        const transcriptKey = keys.paper(paperId, 'improve', 'revise.json');
        const res = await ask({
          role: 'writing',
          transcriptKey,
          ...revisePaperPrompt({ tex, notes: files['notes.txt']?.toString() ?? '', metaReview: meta }),
        });
        const edited = await editDocument(store, paperId, 'revised', draft, tex, res.text);
        return {
          draftKey: 'draftKey' in edited ? edited.draftKey : draftKey,
          spend: res.spend,
          transcriptKey,
        };
      });
    },
  };
}
