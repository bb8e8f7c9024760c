/**
 * What the writing model reads when it edits the assembled document: the document with line
 * numbers, the edit format for template.tex, and the LaTeX fix prompt (the compiler's feedback).
 * Pure builders; the compile stage (./compile-paper.ts) sends them. The revision after review
 * (activities/writeup/prompts.ts) edits the document in the same format.
 */
import type { Prompt } from '../research/prompt';

/** The document with each line's number in front (`  12| …`), for the model to point at lines. */
export function numbered(tex: string): string {
  return tex
    .split('\n')
    .map((l, i) => `${String(i + 1).padStart(4)}| ${l}`)
    .join('\n');
}

/** The edit format of a whole-document edit: search/replace blocks on template.tex. */
export const TEX_EDIT_FORMAT = `Reply with search/replace blocks on template.tex only:

template.tex
<<<<<<< SEARCH
exact lines of the current file (without the line numbers)
=======
the corrected lines
>>>>>>> REPLACE`;

/** The citation keys of a references.bib text, in order (`@type{key,`). */
export function bibliographyKeys(references: string): string[] {
  return (references.match(/@\w+\{([^,]+),/g) ?? []).map((m) => m.replace(/@\w+\{|,/g, ''));
}

export interface FixLatexInputs {
  /** The assembled document (template.tex). */
  tex: string;
  /** The citation keys references.bib has. */
  citeKeys: string[];
  /** The compiler's and the checks' feedback (formatCompileFeedback). */
  feedback: string;
}

/** One LaTeX fix round: the document, the available keys, the feedback; only what the errors require. */
export function fixLatexPrompt(i: FixLatexInputs): Prompt {
  return {
    system:
      'You are an expert in LaTeX fixing a paper so that it compiles cleanly. Change only what the errors require.',
    context: [{ name: 'template.tex with line numbers', text: numbered(i.tex), priority: 2 }],
    prompt: [
      `Citation keys available in references.bib: ${i.citeKeys.join(', ') || 'none'}`,
      `The compiler and checks report:\n${i.feedback}`,
      `Fix these problems. Remove citations of keys that are not available and figures that do not exist. ${TEX_EDIT_FORMAT}`,
    ].join('\n\n'),
  };
}
