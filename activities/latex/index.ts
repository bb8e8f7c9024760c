/**
 * The compile stage: `compilePaper` and `fixLatex` (./compile-paper.ts; the fix prompt in
 * ./prompts.ts) over the LaTeX sandbox — `compileLatex` compiles a paper's files in a
 * locked-down container, the pre-checks and the section check read the sources, the log parsers
 * read TeX's answer, ./hazards.ts says what an edit of the document must not add.
 */
export { createCompileActivities, missingFiguresAsNotes, type CompilePaperDeps } from './compile-paper';
export { addedHazards } from './hazards';
export { bibliographyKeys, fixLatexPrompt, numbered, TEX_EDIT_FORMAT, type FixLatexInputs } from './prompts';

export {
  capResult,
  compileLatex,
  findMainFile,
  RESULT_CAPS,
  TEX_ENV,
  type CompileDeps,
  type CompileOptions,
} from './compile';
export { compileNeedsFix, FEEDBACK_MAX_CHARS, formatCompileFeedback } from './feedback';
export { parseBibtexLog, parseChktex, parseTexLog, type BibtexLogSummary, type TexLogSummary } from './logs';
export {
  bibKeys,
  checkSection,
  definedLabels,
  precheckPaper,
  stripComments,
  templateCommands,
  type PaperFiles,
  type SectionContext,
} from './precheck';
export { escapeText, isPlainText, normaliseUnicode, plainTextSection, proseOf } from './plain';
export type {
  CompileIssue,
  CompileLatexInput,
  CompileLatexResult,
  CompileStep,
  CompileWarnings,
  SourceLocation,
} from './types';
