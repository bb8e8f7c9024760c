/**
 * Write-up activities: each section drafted, then (as the paper's settings say) refined once;
 * citation rounds that find papers and add their BibTeX by code (the model only picks); a final
 * pass on title and abstract.
 * The results section gets the exact results table and is checked for numbers that are not in it.
 */
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import { addSpend, type MainPorts } from '../../contracts';
import { formatPapersForPrompt, mergeBibtex } from '../literature';
import type { Ask } from '../research/ask';
import { searchOrDegrade } from '../research/literature';
import {
  bibKeys,
  checkSection,
  definedLabels,
  escapeText,
  isPlainText,
  normaliseUnicode,
  plainTextSection,
  proseOf,
  templateCommands,
  type CompileIssue,
  type SectionContext,
} from '../latex';
import { loadWorkspace, workspaceManifest } from '../workspace';
import {
  assemble,
  emptyDraft,
  embeddedBibliography,
  GENERATED_INPUTS,
  SECTION_TITLES,
  unsupportedNumbers,
  type Draft,
} from './assemble';
import { figureLabel } from './figures';
import { resultsTable, resultsTablesLatex } from './results';
import { ideaTitleOf, usableTitle } from './title';
import { identicalSentence, identicalVariants, noiseGate } from '../integrity/gate';
import { isManifestPath, manifestsOf, setupFacts, SETUP_LABEL } from '../integrity/setup';

export {
  assemble,
  embeddedBibliography,
  emptyDraft,
  SECTION_TITLES,
  unsupportedNumbers,
  type Draft,
} from './assemble';
export { figureCaptions, figuresLatex, CAPTIONS_FILE } from './figures';
export { formatNumber, resultsTable, resultsTablesLatex, runResultFiles, RESULTS_LABEL } from './results';

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
    'The results of the runs actually made: what the results table and the figures show, compared with the baseline; limitations. Refer to the table by its label for the numbers instead of retyping them; a number you do write must be exactly the table’s. Never invent results or numbers.',
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

/** Longest body (characters) the section check accepts; a small model stuck in a loop writes on. */
const SECTION_MAX_CHARS: Record<string, number> = { abstract: 3000 };
const DEFAULT_SECTION_MAX_CHARS = 16_000;
const TITLE_MAX_CHARS = 250;
/** The rules the section check enforces, said once in every write-up prompt. */
const LATEX_RULES =
  'Plain LaTeX only: no \\section, \\input, macros or packages; write %, &, _ and # in text as \\%, \\&, \\_ and \\#; math goes in $...$.';
/** Figure files the compile stage places (the same rule as there). */
const FIGURE_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.(png|pdf|jpe?g)$/i;
const MAX_FINDINGS_SHOWN = 12;

/** What a section may refer to: the template's labels and the generated ones, the bibliography, the figures. */
function sectionContext(
  template: string,
  files: Record<string, Buffer>,
  figureNames: string[],
  draft: Draft,
  section: string,
): SectionContext {
  const vocabulary = templateCommands(template);
  // The labels the assembled paper keeps from the template: its headings' (section bodies are replaced).
  const skeleton = assemble(template, {
    ...emptyDraft(),
    sections: Object.fromEntries(Object.keys(SECTION_TITLES).map((k) => [k, ' '])),
  });
  return {
    citeKeys: new Set(bibKeys(draft.references).map((k) => k.key)),
    labels: new Set([
      ...definedLabels(skeleton),
      ...resultsTablesLatex(files).labels,
      ...(manifestsOf(files).length ? [SETUP_LABEL] : []),
      ...figureNames.map(figureLabel),
      ...Object.entries(draft.sections)
        .filter(([name]) => name !== section)
        .flatMap(([, body]) => definedLabels(body)),
    ]),
    figures: new Set(figureNames),
    inputs: new Set<string>(GENERATED_INPUTS),
    extraCommands: vocabulary.commands,
    extraEnvironments: vocabulary.environments,
    maxChars: SECTION_MAX_CHARS[section] ?? DEFAULT_SECTION_MAX_CHARS,
    noTables: section === 'results',
  };
}

/** A title as the model wrote it when it passes the check, else its words as plain text. */
function safeTitle(title: string): string {
  const none = new Set<string>();
  const findings = checkSection('title', title, {
    citeKeys: none,
    labels: none,
    figures: none,
    inputs: none,
    maxChars: TITLE_MAX_CHARS,
  });
  return findings.length || /\\(begin|\\)/.test(title)
    ? escapeText(proseOf(title).slice(0, TITLE_MAX_CHARS))
    : title;
}

function describeFindings(findings: CompileIssue[]): string {
  const lines = findings
    .slice(0, MAX_FINDINGS_SHOWN)
    .map((f) => `- ${f.line ? `line ${f.line}: ` : ''}${f.message}`);
  if (findings.length > MAX_FINDINGS_SHOWN) lines.push(`- (${findings.length - MAX_FINDINGS_SHOWN} more)`);
  return lines.join('\n');
}

/** Why a section was typeset as plain text, in a line: the kinds of problem and the first one. */
function summarise(findings: CompileIssue[]): string {
  const kinds = [...new Set(findings.map((f) => f.kind))].join(', ');
  const first = findings[0];
  return `${findings.length} problem(s) left after a repair round (${kinds}); first: ${first?.line ? `line ${first.line}: ` : ''}${first?.message ?? ''}`.slice(
    0,
    300,
  );
}

/** Strips code fences and stray document structure a model may wrap its LaTeX in. */
export function cleanLatex(text: string): string {
  return (
    text
      .replace(/^```[a-z]*\n?|```\s*$/gim, '')
      .replace(/\\(begin|end)\{(document|abstract)\}|\\documentclass[^\n]*|\\maketitle/g, '')
      // The heading is the template's: a model that repeats it at the top loses nothing by this.
      .replace(/^\s*\\section\*?\{[^{}\n]*\}(?:\s*\\label\{[^{}\n]*\})?/, '')
      .trim()
  );
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
          (p) =>
            p === 'notes.txt' ||
            p === 'experiment.py' ||
            p === 'latex/template.tex' ||
            isManifestPath(p) ||
            /^run_\d+\/final_info\.json$/.test(p),
        );
        const template = files['latex/template.tex']?.toString() ?? '';
        const manifests = manifestsOf(files);
        const figureNames = Object.keys(await workspaceManifest(store, workspace))
          .filter((p) => p.startsWith('figures/') && FIGURE_FILE.test(path.basename(p)))
          .map((p) => path.basename(p))
          .sort();
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
          {
            name: 'Where and with what the runs ran (measured by code; the ONLY hardware and software you may name)',
            text: setupFacts(manifests),
            priority: 3,
          },
          { name: 'The paper so far', text: written || '(nothing yet)', priority: 1 },
        ];
        const part = section === 'all' ? 'abstract' : section;
        const check = sectionContext(template, files, figureNames, draft, part);
        const keysLine = `Citation keys you may use: ${[...check.citeKeys].join(', ') || 'none'}.`;
        const current = draft.sections[part];
        const editable =
          current && isPlainText(current) ? proseOf(current.split('\n\n').slice(1).join('\n\n')) : current;
        const unsupported =
          section === 'results' && current ? unsupportedNumbers(current, table.numbers) : [];
        const cites =
          section === 'related_work' && draft.citations.length
            ? `Cite these papers with \\citet/\\citep and exactly these keys:\n${draft.citations.map((c) => `${c.key}: ${c.description}`).join('\n')}`
            : '';
        const placed =
          section === 'results'
            ? `Code places ${
                resultsTablesLatex(files)
                  .labels.map((l) => `Table~\\ref{${l}}`)
                  .join(', ') || 'no table'
              } (every run's final_info.json)${figureNames.length ? ` and the figures ${figureNames.map((f) => `Figure~\\ref{${figureLabel(f)}}`).join(', ')}` : ''} after your text: refer to them by these labels; write no table of your own and do not copy the table's numbers into one.${gateNote(files)}`
            : '';
        const setupNote =
          section === 'experimental_setup' && manifests.length
            ? `Code places a Reproducibility paragraph and Table~\\ref{${SETUP_LABEL}} (hardware, software versions, seeds, run times, code hashes, measured) after your text: refer to them; state no hardware, software version or run time other than those measured facts.`
            : 'Name no GPU, CPU or software version other than the measured facts given.';
        const task =
          section === 'all'
            ? `Polish the paper for a top venue: rewrite the title (first line, plain text) and then the abstract (LaTeX) so that they match the finished paper exactly. No other text.`
            : phase === 'draft'
              ? `Write the ${SECTION_TITLES[section] ?? section} section. ${SECTION_TIPS[section] ?? ''} Output only the LaTeX body of the section (no \\section command${section === 'abstract' ? '; put the title alone on the first line' : ''}).`
              : `Refine the ${SECTION_TITLES[section] ?? section} section below: fix errors, remove repetition, tighten the text, keep every correct result. Output only the new LaTeX body${section === 'abstract' ? ' with the title alone on the first line' : ''}.\n\n<current>\n${section === 'abstract' ? `${draft.title}\n` : ''}${editable ?? ''}\n</current>${unsupported.length ? `\n\nThese numbers are not in the results table; remove or correct them: ${unsupported.join(', ')}` : ''}`;
        const withTitle = section === 'abstract' || section === 'all';
        const askFor = (prompt: string, key: string) =>
          ask({
            role: 'writing',
            transcriptKey: key,
            system: WRITER_SYSTEM,
            context,
            prompt,
            answerTokens: SECTION_TOKENS[section],
          });
        const split = (text: string) => {
          const body = normaliseUnicode(cleanLatex(text));
          if (!withTitle) return { title: draft.title, body };
          const [first, ...rest] = body.split('\n');
          const title = usableTitle(first ?? '');
          const fallback = draft.title || safeTitle(ideaTitleOf(files['notes.txt']?.toString() ?? '') ?? '');
          return { title: (title && safeTitle(title)) || fallback, body: rest.join('\n').trim() };
        };
        const res = await askFor(
          [cites, placed, setupNote, task + guidance, `${keysLine} ${LATEX_RULES}`]
            .filter(Boolean)
            .join('\n\n'),
          transcriptKey,
        );
        let spend = res.spend;
        let out = split(res.text);
        if (section === 'all' && !out.body) out = { ...out, body: draft.sections.abstract ?? '' };
        let findings = checkSection(part, out.body, check);
        let degradedReason: string | undefined;
        if (findings.length) {
          // One repair round with the findings; what is still broken after it is typeset as plain text.
          const repairKey = keys.paper(paperId, 'writeup', section, `${phase}-repair.json`);
          const repaired = await askFor(
            [
              `Your ${SECTION_TITLES[part] ?? part} section has problems that would stop the paper from compiling or point at things that do not exist:\n${describeFindings(findings)}`,
              `Your section:\n<current>\n${withTitle ? `${out.title}\n` : ''}${out.body}\n</current>`,
              `Write the whole section again with every problem fixed${withTitle ? ', the title alone on the first line' : ''}. Output only the LaTeX body. ${keysLine} ${LATEX_RULES}`,
            ].join('\n\n'),
            repairKey,
          );
          spend = addSpend(spend, repaired.spend);
          const second = split(repaired.text);
          const again = checkSection(part, second.body, check);
          if (!again.length) {
            out = second;
            findings = [];
          } else {
            // The version with fewer problems is the one shown (its prose, as plain text).
            const [left, chosen] = again.length <= findings.length ? [again, second] : [findings, out];
            degradedReason = summarise(left);
            deps.log?.warn('section typeset as plain text', {
              paperId,
              section: part,
              findings: left.length,
            });
            out = { title: chosen.title, body: plainTextSection(chosen.body, degradedReason) };
          }
        }
        const degraded = { ...draft.degraded };
        if (degradedReason) degraded[part] = degradedReason;
        else delete degraded[part];
        const next: Draft = {
          ...draft,
          title: out.title,
          sections: { ...draft.sections, [part]: out.body },
          degraded,
        };
        return {
          draftKey: (
            await store.putJson(draftKey(paperId, section === 'all' ? 'final' : `${section}-${phase}`), next)
          ).key,
          spend,
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
        const res = await ask({
          role: 'writing',
          transcriptKey,
          schema: CitationQuery,
          system: 'You are an expert ML researcher adding the most important missing citations to a paper.',
          context: [{ name: 'The paper so far', text: paperText, priority: 1 }],
          prompt: `Citations added so far: ${already}.\nRound ${round}. Name ONE important missing citation as a literature search query, and where it belongs. Answer JSON: done (true if no important citation is missing), query, description.`,
        });
        let spend = res.spend;
        // An unreadable query ends the citation rounds; its replies are still counted.
        if (!res.ok) return { draftKey: fromKey, done: true, added: 0, spend, transcriptKey };
        const q = res.parsed;
        if (q.done || !q.query) return { draftKey: fromKey, done: true, added: 0, spend, transcriptKey };
        const found = await searchOrDegrade(deps, q.query);
        // No literature (down for good, or no network): the paper goes on with the citations it has.
        if (found.unavailable) return { draftKey: fromKey, done: true, added: 0, spend, transcriptKey };
        if (found.papers.length === 0)
          return { draftKey: fromKey, done: false, added: 0, spend, transcriptKey };
        const picked = await ask({
          role: 'writing',
          transcriptKey: keys.paper(paperId, 'writeup', 'citations', `round-${round}-pick.json`),
          schema: CitationPick,
          system: 'You are an expert ML researcher choosing which papers to cite.',
          prompt: `Where the citation goes: ${q.description ?? ''}\n\nSearch results:\n${formatPapersForPrompt(found.papers)}\n\nAnswer JSON: selected (the numbers of the papers to cite, may be empty), description (one sentence on how the paper relates to ours).`,
        });
        spend = addSpend(spend, picked.spend);
        if (!picked.ok) return { draftKey: fromKey, done: false, added: 0, spend, transcriptKey };
        const pick = picked.parsed;
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

/**
 * What the results prompt says of the noise gate and of variants identical to the baseline: the
 * code-made paragraph that follows the tables, and that a claim of a difference needs the gate.
 */
function gateNote(files: Record<string, Buffer>): string {
  const gate = noiseGate(files);
  const identical = identicalVariants(files);
  const computed = gate.status !== 'one-seed' && gate.status !== 'no-variant';
  const parts = [
    computed
      ? ` Code adds this Noise gate paragraph after the tables: "${gate.sentence}"${gate.status === 'passed' ? '' : ' So write that no reliable difference was found, and do not write that the variant improves on, outperforms or is significantly better than the baseline.'}`
      : ' Each run has one seed: claim no statistically significant or reliable difference.',
    ...identical.map(
      (run) => ` ${identicalSentence(run)} Do not present ${run} as a change or an improvement.`,
    ),
  ];
  return parts.join('');
}
