/**
 * Write-up activities: each section drafted, then (as the paper's settings say) refined once;
 * citation rounds that find papers and add their BibTeX by code (the model only picks); a final
 * pass on title and abstract.
 * The results section gets the exact results table and is checked for numbers that are not in it.
 */
import { z } from 'zod';
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import { addSpend, type MainPorts } from '../../contracts';
import { parsePythonJson } from '../experiments';
import { formatPapersForPrompt, mergeBibtex } from '../literature';
import { isStructuredOutputFailure, type Ask } from '../research/ask';
import { searchOrDegrade } from '../research/literature';
import { loadWorkspace } from '../workspace';
import { emptyDraft, embeddedBibliography, SECTION_TITLES, unsupportedNumbers, type Draft } from './assemble';

export {
  assemble,
  embeddedBibliography,
  emptyDraft,
  SECTION_TITLES,
  unsupportedNumbers,
  type Draft,
} from './assemble';

/** What each section should hold (after the AI Scientist's section tips, in our words). */
const SECTION_TIPS: Record<string, string> = {
  abstract:
    'A title, then one paragraph: what we try to do and why it matters, why it is hard, what we contribute, how we verified it (experiments and results).',
  introduction:
    'A longer version of the abstract: context, why it is relevant and hard, our contributions as a bullet list, how we verify them.',
  background:
    'The concepts and prior work needed to understand the method; a short problem setting with notation.',
  method: 'What we do and why, using the notation of the background.',
  experimental_setup:
    'How we test it: the dataset or task, metrics, important hyperparameters and implementation details.',
  results:
    'The results of the runs actually made, with the exact numbers from the results table; comparisons to the baseline; limitations. Never invent results or numbers.',
  conclusion: 'A brief recap and future directions.',
  related_work:
    'How others approached the same problem, compared and contrasted with ours; cite only the keys listed.',
};

/**
 * About how long each section's body runs, in tokens: the local model writes to whatever limit
 * it gets, so it is held to these (hosted models stop when done; see AskRequest.answerTokens).
 */
const SECTION_TOKENS: Record<string, number> = {
  abstract: 300,
  introduction: 450,
  background: 400,
  method: 400,
  experimental_setup: 350,
  results: 400,
  conclusion: 250,
  related_work: 400,
  all: 300,
};

/**
 * One system prompt for every write-up call: with the same system text and context layout,
 * consecutive calls share their prompt's long prefix, which a local model then need not read again.
 */
const WRITER_SYSTEM = 'You are an expert ML researcher writing a paper in LaTeX. You never invent results.';

export interface WriteupDeps {
  config: Config;
  store: ArtifactStore;
  ask: Ask;
  log?: Logger;
}

const CitationQuery = z.object({
  done: z.boolean(),
  query: z.string().max(200).optional(),
  description: z.string().max(400).optional(),
});
const CitationPick = z.object({
  selected: z.array(z.number().int()).max(5),
  description: z.string().max(400),
});

/** All numbers in every run's final_info.json, and the table text the model is given. */
export function resultsTable(files: Record<string, Buffer>): { text: string; numbers: number[] } {
  const numbers: number[] = [];
  const lines: string[] = [];
  const collect = (v: unknown) => {
    if (typeof v === 'number') numbers.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  for (const p of Object.keys(files)
    .filter((f) => /^run_\d+\/final_info\.json$/.test(f))
    .sort()) {
    const text = files[p]!.toString();
    try {
      collect(parsePythonJson(text));
    } catch {
      continue;
    }
    lines.push(`${p.split('/')[0]}: ${text.replace(/\s+/g, ' ').slice(0, 4000)}`);
  }
  return { text: lines.join('\n') || '(no results)', numbers };
}

/** Strips code fences and stray document structure a model may wrap its LaTeX in. */
export function cleanLatex(text: string): string {
  return text
    .replace(/^```[a-z]*\n?|```\s*$/gim, '')
    .replace(/\\(begin|end)\{document\}|\\documentclass[^\n]*|\\maketitle/g, '')
    .trim();
}

export function createWriteupActivities(
  deps: WriteupDeps,
): Pick<MainPorts, 'writeSection' | 'citationRound'> {
  const { store, ask } = deps;
  const draftKey = (paperId: string, step: string) => keys.paper(paperId, 'writeup', `${step}.json`);

  async function loadDraft(key: string, workspace: string): Promise<Draft> {
    if (key) return store.getJson<Draft>(key);
    const files = await loadWorkspace(store, workspace, (p) => p === 'latex/template.tex');
    return emptyDraft(embeddedBibliography(files['latex/template.tex']?.toString() ?? ''));
  }

  return {
    async writeSection({ paperId, section, phase, workspace, draftKey: fromKey, steering }) {
      return classified(async () => {
        const draft = await loadDraft(fromKey, workspace);
        const files = await loadWorkspace(
          store,
          workspace,
          (p) => p === 'notes.txt' || p === 'experiment.py' || /^run_\d+\/final_info\.json$/.test(p),
        );
        const table = resultsTable(files);
        const transcriptKey = keys.paper(paperId, 'writeup', section, `${phase}.json`);
        const written = Object.entries(draft.sections)
          .map(([name, body]) => `% ${name}\n${body}`)
          .join('\n\n');
        const guidance = steering.length
          ? `\nGuidance from the operator:\n${steering.map((s) => `- ${s}`).join('\n')}`
          : '';
        // The paper so far comes last and is the first to be shortened (keeping its head) when
        // the window is small: the notes and results stay whole, and the prompt's prefix stays
        // the same from one section to the next (a local model reuses it instead of reading it again).
        const context = [
          {
            name: 'Notes on the experiments (what each run tested and found, figure descriptions)',
            text: files['notes.txt']?.toString() ?? '',
            priority: 2,
          },
          {
            name: 'The results table (final_info.json of each run; the ONLY numbers you may report as results)',
            text: table.text,
            priority: 3,
          },
          { name: 'The paper so far', text: written || '(nothing yet)', priority: 1 },
        ];
        if (section === 'all') {
          // Final refinement: title and abstract brought in line with the finished paper.
          const res = await ask({
            role: 'writing',
            transcriptKey,
            system: WRITER_SYSTEM,
            context,
            prompt: [
              `Polish the paper for a top venue: rewrite the title (first line, plain text) and then the abstract (LaTeX) so that they match the finished paper exactly. No other text.${guidance}`,
            ].join('\n\n'),
            answerTokens: SECTION_TOKENS.all,
          });
          const [first, ...rest] = cleanLatex(res.text).split('\n');
          const next: Draft = {
            ...draft,
            title: (first ?? draft.title).replace(/^title:\s*/i, '').trim() || draft.title,
            sections: {
              ...draft.sections,
              abstract: rest.join('\n').trim() || draft.sections.abstract || '',
            },
          };
          return {
            draftKey: (await store.putJson(draftKey(paperId, 'final'), next)).key,
            spend: res.spend,
            transcriptKey,
          };
        }
        const current = draft.sections[section];
        const unsupported =
          section === 'results' && current ? unsupportedNumbers(current, table.numbers) : [];
        const cites =
          section === 'related_work' && draft.citations.length
            ? `Cite these papers with \\citet/\\citep and exactly these keys:\n${draft.citations.map((c) => `${c.key}: ${c.description}`).join('\n')}`
            : '';
        const task =
          phase === 'draft'
            ? `Write the ${SECTION_TITLES[section] ?? section} section. ${SECTION_TIPS[section] ?? ''} Output only the LaTeX body of the section (no \\section command${section === 'abstract' ? '; put the title alone on the first line' : ''}).`
            : `Refine the ${SECTION_TITLES[section] ?? section} section below: fix errors, remove repetition, tighten the text, keep every correct result. Output only the new LaTeX body${section === 'abstract' ? ' with the title alone on the first line' : ''}.\n\n<current>\n${section === 'abstract' ? `${draft.title}\n` : ''}${current ?? ''}\n</current>${unsupported.length ? `\n\nThese numbers are not in the results table; remove or correct them: ${unsupported.join(', ')}` : ''}`;
        const res = await ask({
          role: 'writing',
          transcriptKey,
          system: WRITER_SYSTEM,
          context,
          prompt: [cites, task + guidance].filter(Boolean).join('\n\n'),
          answerTokens: SECTION_TOKENS[section],
        });
        let body = cleanLatex(res.text);
        let title = draft.title;
        if (section === 'abstract') {
          const [first, ...rest] = body.split('\n');
          title =
            (first ?? '')
              .replace(/^title:\s*/i, '')
              .replace(/^\\title\{|\}$/g, '')
              .trim() || title;
          body = rest.join('\n').trim();
        }
        const next: Draft = { ...draft, title, sections: { ...draft.sections, [section]: body } };
        return {
          draftKey: (await store.putJson(draftKey(paperId, `${section}-${phase}`), next)).key,
          spend: res.spend,
          transcriptKey,
        };
      });
    },

    async citationRound({ paperId, round, draftKey: fromKey }) {
      return classified(async () => {
        const draft = await store.getJson<Draft>(fromKey);
        const transcriptKey = keys.paper(paperId, 'writeup', 'citations', `round-${round}.json`);
        const paperText = Object.entries(draft.sections)
          .map(([n, b]) => `% ${n}\n${b}`)
          .join('\n\n');
        const already = draft.citations.map((c) => c.key).join(', ') || 'none';
        let q: z.infer<typeof CitationQuery>;
        let spend;
        try {
          const res = await ask({
            role: 'writing',
            transcriptKey,
            schema: CitationQuery,
            system: 'You are an expert ML researcher adding the most important missing citations to a paper.',
            context: [{ name: 'The paper so far', text: paperText, priority: 1 }],
            prompt: `Citations added so far: ${already}.\nRound ${round}. Name ONE important missing citation as a literature search query, and where it belongs. Answer JSON: done (true if no important citation is missing), query, description.`,
          });
          q = res.parsed!;
          spend = res.spend;
        } catch (err) {
          if (!isStructuredOutputFailure(err)) throw err;
          return {
            draftKey: fromKey,
            done: true,
            added: 0,
            spend: { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 1 },
            transcriptKey,
          };
        }
        if (q.done || !q.query) return { draftKey: fromKey, done: true, added: 0, spend, transcriptKey };
        const found = await searchOrDegrade(deps, q.query);
        // No literature (down for good, or no network): the paper goes on with the citations it has.
        if (found.unavailable) return { draftKey: fromKey, done: true, added: 0, spend, transcriptKey };
        if (found.papers.length === 0)
          return { draftKey: fromKey, done: false, added: 0, spend, transcriptKey };
        let pick: z.infer<typeof CitationPick>;
        try {
          const res = await ask({
            role: 'writing',
            transcriptKey: keys.paper(paperId, 'writeup', 'citations', `round-${round}-pick.json`),
            schema: CitationPick,
            system: 'You are an expert ML researcher choosing which papers to cite.',
            prompt: `Where the citation goes: ${q.description ?? ''}\n\nSearch results:\n${formatPapersForPrompt(found.papers)}\n\nAnswer JSON: selected (the numbers of the papers to cite, may be empty), description (one sentence on how the paper relates to ours).`,
          });
          pick = res.parsed!;
          spend = addSpend(spend, res.spend);
        } catch (err) {
          if (!isStructuredOutputFailure(err)) throw err;
          return { draftKey: fromKey, done: false, added: 0, spend, transcriptKey };
        }
        const chosen = pick.selected
          .map((i) => found.papers[i - 1])
          .filter((p): p is NonNullable<typeof p> => p !== undefined);
        // BibTeX comes from the search result, inserted by code: the model never types it.
        const merged = mergeBibtex(
          draft.references,
          chosen.map((p) => p.bibtex),
        );
        const citations = [...draft.citations];
        for (const p of chosen) {
          const key = merged.keyFor[p.citeKey] ?? p.citeKey;
          if (!citations.some((c) => c.key === key)) citations.push({ key, description: pick.description });
        }
        const next: Draft = { ...draft, references: merged.text, citations };
        const key = (await store.putJson(draftKey(paperId, `citations-${round}`), next)).key;
        return { draftKey: key, done: false, added: merged.added.length, spend, transcriptKey };
      });
    },
  };
}
