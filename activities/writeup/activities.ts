/**
 * Write-up activities: each section drafted, then (as the paper's settings say) refined once;
 * citation rounds that find papers and add their BibTeX by code (the model only picks); a final
 * pass on title and abstract. The results section gets the exact results table and is checked
 * for numbers that are not in it. The words the model reads are in ./prompts.ts.
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
import type { Prompt } from '../research/prompt';
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
import {
  citationPickPrompt,
  citationQueryPrompt,
  gateNote,
  sectionPrompt,
  sectionRepairPrompt,
} from './prompts';
import { resultsTable, resultsTablesLatex } from './results';
import { ideaTitleOf, splitTitle } from './title';
import { identicalVariants, noiseGate } from '../integrity/gate';
import { isManifestPath, manifestsOf, setupFacts, SETUP_LABEL } from '../integrity/setup';

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
/** Figure files the compile stage places (the same rule as there). */
const FIGURE_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.(png|pdf|jpe?g)$/i;

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
        const material = {
          notes: files['notes.txt']?.toString() ?? '',
          resultsTable: table.text,
          setupFacts: setupFacts(manifests),
          written,
        };
        const part = section === 'all' ? 'abstract' : section;
        const check = sectionContext(template, files, figureNames, draft, part);
        const citeKeys = [...check.citeKeys];
        const current = draft.sections[part];
        const editable =
          current && isPlainText(current) ? proseOf(current.split('\n\n').slice(1).join('\n\n')) : current;
        const unsupported =
          section === 'results' && current ? unsupportedNumbers(current, table.numbers) : [];
        const withTitle = section === 'abstract' || section === 'all';
        const askFor = (prompt: Prompt, key: string) =>
          ask({ role: 'writing', transcriptKey: key, ...prompt, answerTokens: SECTION_TOKENS[section] });
        const split = (text: string) => {
          const body = normaliseUnicode(cleanLatex(text));
          if (!withTitle) return { title: draft.title, body };
          const { title, body: rest } = splitTitle(body);
          const fallback = draft.title || safeTitle(ideaTitleOf(files['notes.txt']?.toString() ?? '') ?? '');
          return { title: (title && safeTitle(title)) || fallback, body: rest };
        };
        const res = await askFor(
          sectionPrompt({
            ...material,
            section,
            phase,
            citeKeys,
            citations: draft.citations,
            tableLabels: section === 'results' ? resultsTablesLatex(files).labels : [],
            figureLabels: figureNames.map(figureLabel),
            gateNote: section === 'results' ? gateNote(noiseGate(files), identicalVariants(files)) : '',
            hasManifests: manifests.length > 0,
            title: draft.title,
            current: editable ?? '',
            unsupported,
            steering,
          }),
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
            sectionRepairPrompt({
              ...material,
              part,
              withTitle,
              title: out.title,
              body: out.body,
              findings,
              citeKeys,
            }),
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
        const res = await ask({
          role: 'writing',
          transcriptKey,
          schema: CitationQuery,
          ...citationQueryPrompt({ paperText, added: draft.citations.map((c) => c.key), round }),
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
          ...citationPickPrompt({
            description: q.description ?? '',
            results: formatPapersForPrompt(found.papers),
          }),
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
