/**
 * What the models read in the integrity stage: the citation check (every citing sentence with the
 * abstract of the paper it cites, for the review model) and the claim fix (the statements no
 * record supports, for the writing model to correct). Pure builders over plain inputs; the
 * activities (./activities.ts) send them.
 */
import type { Paper } from '../literature';
import type { Prompt } from '../research/prompt';
import type { CitingSentence } from './citations';
import type { Flag } from './claims';

/** Characters of each abstract the model reads. */
export const ABSTRACT_CHARS = 700;
/** Flags the claim fix lists at most. */
export const FLAGS_LISTED = 30;

/** The question put to the review-role model: every sentence with the abstract of the paper it cites. */
export function citationPrompt(pairs: CitingSentence[], abstracts: Map<string, Paper>) {
  const items = pairs
    .map((p) => {
      const paper = abstracts.get(p.key)!;
      return `${p.id}. Sentence: "${p.sentence.slice(0, 500)}"\n   Cited paper: "${paper.title}" (${paper.year ?? 'n.d.'}). Abstract: ${paper.abstract.slice(0, ABSTRACT_CHARS)}`;
    })
    .join('\n\n');
  return {
    system:
      'You are a careful reviewer checking that each citation in a paper supports the sentence it is attached to. You judge only from the abstract given.',
    prompt: [
      'For each numbered item, decide whether the cited paper, as its abstract describes it, supports what the sentence attributes to it.',
      '"supported": the abstract backs the statement, or the paper is cited as the source of the thing it names. "unsupported": the abstract says nothing of the kind or contradicts it. "unclear": the abstract is too short to tell.',
      items,
      'Answer as JSON: {"verdicts": [{"id": 1, "verdict": "supported" | "unsupported" | "unclear", "reason": "a few words"}, ...]}, one verdict per item.',
    ].join('\n\n'),
  };
}

export interface FixClaimsInputs {
  /** The flags of the claim check (the first FLAGS_LISTED are listed). */
  flags: Pick<Flag, 'kind' | 'text' | 'context' | 'why'>[];
  /** The results table as text. */
  resultsTable: string;
  /** The measured hardware and software (setupFacts). */
  setupFacts: string;
  /** The document (template.tex). */
  tex: string;
}

/** The claim fix: each flagged statement corrected to the recorded value or removed. */
export function fixClaimsPrompt(i: FixClaimsInputs): Prompt {
  const listed = i.flags
    .slice(0, FLAGS_LISTED)
    .map((f, n) => `${n + 1}. ${f.kind} "${f.text}" in: "${f.context}" (${f.why})`)
    .join('\n');
  return {
    system:
      'You are an expert ML researcher correcting a paper so that it states only what its records support. You never invent results.',
    context: [
      {
        name: 'The results (final_info.json of each run; the only result numbers there are)',
        text: i.resultsTable,
        priority: 3,
      },
      {
        name: 'Where and with what the runs ran (measured)',
        text: i.setupFacts,
        priority: 3,
      },
      { name: 'template.tex', text: i.tex, priority: 2 },
    ],
    prompt: [
      `The claim check found statements that no record supports:\n${listed}`,
      'Correct each to the recorded value, or remove the statement. Change nothing else. Reply with search/replace blocks on template.tex only:\n\ntemplate.tex\n<<<<<<< SEARCH\nexact lines of the current file\n=======\nthe corrected lines\n>>>>>>> REPLACE',
    ].join('\n\n'),
  };
}
