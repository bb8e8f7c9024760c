/**
 * What the writing model reads in the write-up: the system text every write-up call shares, what
 * each section should hold, the prompt that drafts or refines a section, the repair round for a
 * section the check refused, the two calls of a citation round (the query, then the pick), and
 * the revision of the whole document after review.
 * Pure builders over plain inputs; the activities (./activities.ts) gather the inputs and send them.
 */
import type { CompileIssue } from '../latex';
import { identicalSentence, type NoiseGate } from '../integrity/gate';
import { SETUP_LABEL } from '../integrity/setup';
import { numbered, TEX_EDIT_FORMAT } from '../latex/prompts';
import type { ContextPart, Prompt } from '../research/prompt';
import { SECTION_TITLES } from './assemble';

/** What each section should hold (after the AI Scientist's section tips, in our words). */
export const SECTION_TIPS: Record<string, string> = {
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
 * One system prompt for every write-up call: with the same system text and context layout,
 * consecutive calls share their prompt's long prefix, which a local model then need not read again.
 */
export const WRITER_SYSTEM =
  'You are an expert ML researcher writing a paper in LaTeX. You never invent results.';

/** The rules the section check enforces, said once in every write-up prompt. */
export const LATEX_RULES =
  'Plain LaTeX only: no \\section, \\input, macros or packages; write %, &, _ and # in text as \\%, \\&, \\_ and \\#; math goes in $...$.';

/** Findings shown to the model in a repair round at most; the rest are counted. */
export const MAX_FINDINGS_SHOWN = 12;

/** What every write-up call of a paper reads before its prompt. */
export interface WriterMaterial {
  /** notes.txt: what each run tested and found, the figure descriptions. */
  notes: string;
  /** The results table as text (resultsTable(...).text). */
  resultsTable: string;
  /** The measured hardware and software (setupFacts of the runs' manifests). */
  setupFacts: string;
  /** The sections written so far, each under a `% name` line ('' before the first). */
  written: string;
}

/**
 * The write-up's context. The paper so far comes last and is the first to be shortened (keeping
 * its head) when the window is small: the notes and results stay whole, and the prompt's prefix
 * stays the same from one section to the next (a local model reuses it instead of reading it again).
 */
export function writerContext(m: WriterMaterial): ContextPart[] {
  return [
    {
      name: 'Notes on the experiments (what each run tested and found, figure descriptions)',
      text: m.notes,
      priority: 2,
    },
    {
      name: 'The results table (final_info.json of each run; the ONLY numbers you may report as results)',
      text: m.resultsTable,
      priority: 3,
    },
    {
      name: 'Where and with what the runs ran (measured by code; the ONLY hardware and software you may name)',
      text: m.setupFacts,
      priority: 3,
    },
    { name: 'The paper so far', text: m.written || '(nothing yet)', priority: 1 },
  ];
}

/** The line that lists the citation keys a section may use. */
export function citeKeysLine(citeKeys: string[]): string {
  return `Citation keys you may use: ${citeKeys.join(', ') || 'none'}.`;
}

/**
 * What the results prompt says of the noise gate and of variants identical to the baseline: the
 * code-made paragraph that follows the tables, and that a claim of a difference needs the gate.
 */
export function gateNote(gate: Pick<NoiseGate, 'status' | 'sentence'>, identical: string[]): string {
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

export interface SectionInputs extends WriterMaterial {
  /** The section to write, or `all` for the final pass on title and abstract. */
  section: string;
  phase: 'draft' | 'refine';
  /** The citation keys of the bibliography. */
  citeKeys: string[];
  /** Papers the citation rounds found, with where they belong (cited in related work). */
  citations: { key: string; description: string }[];
  /** Labels of the results tables code places after the results section. */
  tableLabels: string[];
  /** Labels of the figures code places after the results section. */
  figureLabels: string[];
  /** What the results prompt says of the noise gate (gateNote). */
  gateNote: string;
  /** Whether the runs have manifests (code then places the setup table). */
  hasManifests: boolean;
  /** The paper's title so far (refining the abstract shows it). */
  title: string;
  /** The section's current body, as the model is to refine it ('' when there is none). */
  current: string;
  /** Numbers of the current results section that are not in the results table. */
  unsupported: string[];
  steering: string[];
}

/** Drafts or refines one section (or, for `all`, rewrites the title and abstract). */
export function sectionPrompt(i: SectionInputs): Prompt {
  const { section } = i;
  const guidance = i.steering.length
    ? `\nGuidance from the operator:\n${i.steering.map((s) => `- ${s}`).join('\n')}`
    : '';
  const cites =
    section === 'related_work' && i.citations.length
      ? `Cite these papers with \\citet/\\citep and exactly these keys:\n${i.citations.map((c) => `${c.key}: ${c.description}`).join('\n')}`
      : '';
  const placed =
    section === 'results'
      ? `Code places ${
          i.tableLabels.map((l) => `Table~\\ref{${l}}`).join(', ') || 'no table'
        } (every run's final_info.json)${i.figureLabels.length ? ` and the figures ${i.figureLabels.map((l) => `Figure~\\ref{${l}}`).join(', ')}` : ''} after your text: refer to them by these labels; write no table of your own and do not copy the table's numbers into one.${i.gateNote}`
      : '';
  const setupNote =
    section === 'experimental_setup' && i.hasManifests
      ? `Code places a Reproducibility paragraph and Table~\\ref{${SETUP_LABEL}} (hardware, software versions, seeds, run times, code hashes, measured) after your text: refer to them; state no hardware, software version or run time other than those measured facts.`
      : 'Name no GPU, CPU or software version other than the measured facts given.';
  const task =
    section === 'all'
      ? `Polish the paper for a top venue: rewrite the title (first line, plain text) and then the abstract (LaTeX) so that they match the finished paper exactly. No other text.`
      : i.phase === 'draft'
        ? `Write the ${SECTION_TITLES[section] ?? section} section. ${SECTION_TIPS[section] ?? ''} Output only the LaTeX body of the section (no \\section command${section === 'abstract' ? '; put the title alone on the first line' : ''}).`
        : `Refine the ${SECTION_TITLES[section] ?? section} section below: fix errors, remove repetition, tighten the text, keep every correct result. Output only the new LaTeX body${section === 'abstract' ? ' with the title alone on the first line' : ''}.\n\n<current>\n${section === 'abstract' ? `${i.title}\n` : ''}${i.current}\n</current>${i.unsupported.length ? `\n\nThese numbers are not in the results table; remove or correct them: ${i.unsupported.join(', ')}` : ''}`;
  return {
    system: WRITER_SYSTEM,
    context: writerContext(i),
    prompt: [cites, placed, setupNote, task + guidance, `${citeKeysLine(i.citeKeys)} ${LATEX_RULES}`]
      .filter(Boolean)
      .join('\n\n'),
  };
}

/** The section check's findings as the model reads them: one line each, at most MAX_FINDINGS_SHOWN. */
export function describeFindings(findings: CompileIssue[]): string {
  const lines = findings
    .slice(0, MAX_FINDINGS_SHOWN)
    .map((f) => `- ${f.line ? `line ${f.line}: ` : ''}${f.message}`);
  if (findings.length > MAX_FINDINGS_SHOWN) lines.push(`- (${findings.length - MAX_FINDINGS_SHOWN} more)`);
  return lines.join('\n');
}

export interface SectionRepairInputs extends WriterMaterial {
  /** The section's name (`abstract` for the final pass). */
  part: string;
  /** Whether the reply starts with the title (the abstract and the final pass). */
  withTitle: boolean;
  /** The section as the model wrote it, and its title when withTitle. */
  title: string;
  body: string;
  findings: CompileIssue[];
  citeKeys: string[];
}

/** The one repair round for a section the check refused: its findings, the section, write it again. */
export function sectionRepairPrompt(i: SectionRepairInputs): Prompt {
  return {
    system: WRITER_SYSTEM,
    context: writerContext(i),
    prompt: [
      `Your ${SECTION_TITLES[i.part] ?? i.part} section has problems that would stop the paper from compiling or point at things that do not exist:\n${describeFindings(i.findings)}`,
      `Your section:\n<current>\n${i.withTitle ? `${i.title}\n` : ''}${i.body}\n</current>`,
      `Write the whole section again with every problem fixed${i.withTitle ? ', the title alone on the first line' : ''}. Output only the LaTeX body. ${citeKeysLine(i.citeKeys)} ${LATEX_RULES}`,
    ].join('\n\n'),
  };
}

export interface CitationQueryInputs {
  /** The sections so far, each under a `% name` line. */
  paperText: string;
  /** The keys the citation rounds added so far. */
  added: string[];
  round: number;
}

/** A citation round's first call: one important missing citation, as a search query. */
export function citationQueryPrompt(i: CitationQueryInputs): Prompt {
  return {
    system: 'You are an expert ML researcher adding the most important missing citations to a paper.',
    context: [{ name: 'The paper so far', text: i.paperText, priority: 1 }],
    prompt: `Citations added so far: ${i.added.join(', ') || 'none'}.\nRound ${i.round}. Name ONE important missing citation as a literature search query, and where it belongs. Answer JSON: done (true if no important citation is missing), query, description.`,
  };
}

export interface CitationPickInputs {
  /** Where the citation goes, as the query's answer said. */
  description: string;
  /** The search results as the model reads them (formatPapersForPrompt). */
  results: string;
}

/** A citation round's second call: which of the papers found to cite. */
export function citationPickPrompt(i: CitationPickInputs): Prompt {
  return {
    system: 'You are an expert ML researcher choosing which papers to cite.',
    prompt: `Where the citation goes: ${i.description}\n\nSearch results:\n${i.results}\n\nAnswer JSON: selected (the numbers of the papers to cite, may be empty), description (one sentence on how the paper relates to ours).`,
  };
}

export interface RevisePaperInputs {
  /** The assembled document (template.tex). */
  tex: string;
  /** notes.txt. */
  notes: string;
  /** The area chair's meta-review (as stored). */
  metaReview: string;
}

/** The revision after review: what writing alone can address, as edits of the document. */
export function revisePaperPrompt(i: RevisePaperInputs): Prompt {
  return {
    system: 'You are an expert ML researcher revising a paper after peer review. You never invent results.',
    context: [
      { name: 'template.tex with line numbers', text: numbered(i.tex), priority: 3 },
      { name: 'Notes on the experiments', text: i.notes, priority: 1 },
      { name: "The area chair's meta-review", text: i.metaReview, priority: 2 },
    ],
    prompt: [
      `Address the weaknesses that can be addressed by writing (clarity, missing detail, overclaiming, limitations) without new experiments. ${TEX_EDIT_FORMAT}`,
    ].join('\n\n'),
  };
}
