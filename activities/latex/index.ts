/**
 * The LaTeX sandbox: `compileLatex` compiles a paper's files in a locked-down container, the
 * pre-checks and the section check read the sources, the log parsers read TeX's answer. The
 * paper's `compilePaper` activity (activities/writeup) calls them; none is an activity itself.
 */

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
