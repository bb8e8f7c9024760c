/**
 * The compile stage as an activity: a thin adapter from Temporal to `compileLatex`, which does
 * the work and is tested without Temporal. Registered on the main queue (CPU sandbox).
 */
import { Context } from '@temporalio/activity';
import { classified } from '../../lib/errors';
import type { ActivityDeps } from '../deps';
import { compileLatex } from './compile';
import type { CompileLatexInput, CompileLatexResult } from './types';

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

export function createLatexActivities(deps: ActivityDeps) {
  return {
    /**
     * Compiles one round of a paper in the LaTeX sandbox; returns keys and a capped list of
     * structured errors (TeX errors are a result, not a failure). The worker's keep-alive
     * heartbeats while TeX runs, so a cancellation kills the container; give it a
     * start-to-close timeout above SCIENTIST_LATEX_TIMEOUT_S.
     */
    async compileLatex(input: CompileLatexInput): Promise<CompileLatexResult> {
      return classified(async () => {
        const ctx = Context.current();
        return compileLatex(deps, input, {
          attempt: ctx.info.attempt,
          signal: ctx.cancellationSignal,
        });
      });
    },
  };
}
