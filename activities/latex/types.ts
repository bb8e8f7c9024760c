/**
 * The shapes of the compile stage: what goes in (keys of the paper's files), what comes out
 * (keys of the PDF, its text and logs, plus a small structured list of problems that the
 * write-up model gets back to fix).
 */
import type { SandboxOutcome } from '../../sandbox';

export interface CompileLatexInput {
  paperId: string;
  /** The fix round (0 = first compile); keys are per round, so a retry overwrites its own round. */
  round: number;
  /**
   * A second compile within the same round (e.g. `contained-1`, after a part was typeset as plain
   * text): its keys and container sit beside the round's own, `round-<round>-<variant>`.
   */
  variant?: string;
  /** Relative path inside the paper folder → artifact key (tex, bib, figures, style files). */
  files: Record<string, string>;
  /** The root document; default: the one .tex file with \documentclass (template.tex if several). */
  mainFile?: string;
}

/** Where a problem was found. `file` is relative to the paper folder; `line` is 1-based. */
export interface SourceLocation {
  file?: string;
  line?: number;
}

/** A problem that stops or spoils the PDF, from pdflatex, bibtex or a pre-check. */
export interface CompileIssue extends SourceLocation {
  /** Which tool found it. */
  source: 'pdflatex' | 'bibtex' | 'precheck' | 'chktex' | 'sandbox';
  /** A short kind, stable for code (e.g. `undefined-control-sequence`, `undefined-citation`). */
  kind: string;
  message: string;
  /** The source text around it when the tool gives it (TeX's `l.N …` context). */
  context?: string;
}

export interface CompileWarnings {
  /** Citation keys LaTeX or BibTeX could not resolve, first line of use when known. */
  undefinedCitations: { key: string; line?: number }[];
  /** \ref / \eqref labels that were never defined. */
  undefinedReferences: { label: string; line?: number }[];
  multiplyDefinedLabels: string[];
  overfullBoxes: number;
  underfullBoxes: number;
  /** BibTeX warnings other than missing entries (empty fields and the like). */
  bibtex: string[];
}

export type CompileStep = 'chktex' | 'pdflatex-1' | 'bibtex' | 'pdflatex-2' | 'pdflatex-3' | 'pdftotext';

/**
 * The result that goes into workflow history: keys and a bounded summary (lists are capped;
 * the full versions are in `resultKey`).
 */
export interface CompileLatexResult {
  ok: boolean;
  /** How the sandbox run ended: `timeout` is a runaway document, `failed` a TeX error. */
  outcome: SandboxOutcome;
  mainFile: string;
  pdfKey?: string;
  textKey?: string;
  /** The whole compile transcript (every step's output). */
  logKey: string;
  /** The full result, lists uncapped. */
  resultKey: string;
  pageCount: number;
  /** Exit code of each step that ran. */
  steps: Partial<Record<CompileStep, number>>;
  errors: CompileIssue[];
  /** Pre-check findings (citations, figures, duplicates, balance) and chktex warnings. */
  prechecks: CompileIssue[];
  warnings: CompileWarnings;
  /** How many issues the capped lists left out. */
  truncated: { errors: number; prechecks: number };
  durationMs: number;
}
