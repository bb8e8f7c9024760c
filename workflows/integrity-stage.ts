/**
 * The paper's integrity stage, after the compile: the claim check on the compiled text; what it
 * flags goes back to the writing model once, the fixed draft is compiled and checked again; then
 * the report page is compiled in. A compile that makes no PDF keeps the paper as it was.
 * Workflow code: it only decides; the activities (activities/integrity) do the work.
 */
import { ActivityFailure, isCancellation, patched, upsertSearchAttributes } from '@temporalio/workflow';
import {
  type Degradation,
  type IdeaSummary,
  type IntegritySummary,
  type MainPorts,
  type PaperSettings,
  SA,
  type Spend,
  type WorkspaceKey,
} from '../contracts';

/** FIX_DEGRADES: a fix round whose activity fails leaves the paper as checked (a degradation), not failed. */
const FIX_DEGRADES = 'integrity-fix-degrades';
/**
 * CITATIONS: before the claim check, the cited entries are resolved again against the literature
 * and each citing sentence is checked against the cited abstract; what fails is removed.
 */
const CITATIONS = 'integrity-citations';

type IntegrityPorts = Pick<MainPorts, 'checkIntegrity' | 'fixClaims' | 'compilePaper' | 'checkCitations'>;

/** How the paper starts an activity: a step name for the UI, the activity, its input. */
export type StartIntegrity = <K extends keyof IntegrityPorts>(
  step: string,
  name: K,
  arg: Parameters<IntegrityPorts[K]>[0],
) => Promise<Awaited<ReturnType<IntegrityPorts[K]>>>;

export interface IntegrityStageInput<C> {
  paperId: string;
  idea: IdeaSummary;
  settings: PaperSettings;
  workspace: WorkspaceKey;
  draftKey: string;
  /** The compile stage's result: a PDF and its text. */
  compiled: C;
}

export interface IntegrityStageHooks {
  /** The fix round's spend. */
  spent(spend: Spend): void;
  /** The paper's artifacts list (compile log, PDF, text, report). */
  artifacts: Record<string, string>;
  /** The verdict, as soon as it is known (status, Web UI details). */
  checked(summary: IntegritySummary): void;
  /** A part that degraded: the fix round, when its activity failed. */
  degraded(d: Degradation): void;
}

export async function integrityStage<
  C extends { pdfKey?: string; textKey?: string; degraded: Degradation[] },
>(
  call: StartIntegrity,
  input: IntegrityStageInput<C>,
  hooks: IntegrityStageHooks,
): Promise<{
  compiled: C & { pdfKey: string; textKey: string };
  draftKey: string;
  summary: IntegritySummary;
}> {
  const { paperId, settings: s, workspace: ws } = input;
  const { artifacts } = hooks;
  let draft = input.draftKey;
  let compiled: C = input.compiled;
  const compileOnce = async (step: string, round: number, d: string) => {
    const res = await call(step, 'compilePaper', { paperId, round, draftKey: d, workspace: ws });
    artifacts['compile/log'] = res.logKey;
    return res.pdfKey && res.textKey ? res : undefined;
  };
  /** An optional step: its activity failing degrades the paper (the outcome says so), never fails it. */
  const optional = async <T>(part: string, what: string, run: () => Promise<T>, patch: string) => {
    try {
      return await run();
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure) || !patched(patch)) throw err;
      const cause = err.cause instanceof Error ? err.cause.message : err.message;
      hooks.degraded({ part, reason: `${what}: ${cause.slice(0, 300)}` });
      return undefined;
    }
  };
  let citationsKey: string | undefined;
  if (patched(CITATIONS)) {
    const cited = await optional(
      'citation check',
      'the citation check failed, so the citations stand unchecked',
      () => call('integrity: check citations', 'checkCitations', { paperId, draftKey: draft, workspace: ws }),
      CITATIONS,
    );
    if (cited) {
      // No citing sentence, no model call: nothing for the ledger (no empty `integrity` stage in the costs).
      if (cited.spend.calls) hooks.spent(cited.spend);
      draft = cited.draftKey;
      citationsKey = cited.reportKey;
    }
  }
  const check = (round: number, d: string, textKey: string, fixRound: boolean) =>
    call(`integrity round ${round}: check claims`, 'checkIntegrity', {
      paperId,
      round,
      draftKey: d,
      textKey,
      workspace: ws,
      idea: input.idea,
      settings: { ...s },
      fixRound,
      ...(citationsKey ? { citationsKey } : {}),
    });
  let checked = await check(1, draft, compiled.textKey!, false);
  // Like the other optional steps: a failed fix round leaves the paper as checked, and says why.
  const fix = () =>
    optional(
      'integrity fix round',
      'the fix round failed, so the claims stand as first checked',
      () =>
        call('integrity: fix unsupported claims', 'fixClaims', {
          paperId,
          draftKey: draft,
          workspace: ws,
          reportKey: checked.summary.reportKey,
        }),
      FIX_DEGRADES,
    );
  if (checked.summary.flags > 0) {
    const fixed = await fix();
    if (fixed) hooks.spent(fixed.spend);
    const recompiled = fixed?.changed
      ? await compileOnce('integrity: compile the fix', s.compileRounds + 1, fixed.draftKey)
      : undefined;
    if (recompiled) {
      draft = recompiled.draftKey ?? fixed!.draftKey;
      compiled = { ...compiled, ...recompiled, degraded: recompiled.degraded ?? [] };
      checked = await check(2, draft, recompiled.textKey!, true);
    } else checked = { ...checked, summary: { ...checked.summary, fixRound: Boolean(fixed) } };
  }
  const summary = checked.summary;
  artifacts.integrity = summary.reportKey;
  upsertSearchAttributes([{ key: SA.integrity, value: summary.verdict }]);
  hooks.checked(summary);
  const withReport = await compileOnce(
    'integrity: compile the report page',
    s.compileRounds + 2,
    checked.draftKey,
  );
  if (withReport) {
    draft = withReport.draftKey ?? checked.draftKey;
    compiled = { ...compiled, ...withReport, degraded: withReport.degraded ?? [] };
    artifacts.pdf = withReport.pdfKey!;
    artifacts.text = withReport.textKey!;
  }
  // Every compile kept above made a PDF and its text.
  return { compiled: compiled as C & { pdfKey: string; textKey: string }, draftKey: draft, summary };
}
