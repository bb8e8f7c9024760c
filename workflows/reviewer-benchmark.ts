/**
 * The reviewer measured: N papers of the ICLR 2022 benchmark reviewed `concurrency` at a time by
 * the review stage the papers use (./review-ensemble.ts: the ensemble, its reflections, the
 * meta-review and the calibrated decision), each finished paper recorded in the store under the
 * hash of the review configuration, then the metrics, the side-by-side report and its figures.
 *
 * Resumable twice over: a worker that dies loses only the review activity it was running (history
 * keeps what finished), and a new run with the same configuration finds every finished paper in
 * the store and reviews only the rest. Long runs continue as new once the server suggests it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  addSpend,
  artifactsQuery,
  type BenchPaper,
  type BenchPaperResult,
  type BenchReportSummary,
  benchStatusQuery,
  type BenchStatus,
  Ledger,
  MAIN_ACTIVITY_OPTIONS,
  type MainPorts,
  NO_SPEND,
  REVIEW_ACTIVITY_OPTIONS,
  type ReviewerBenchmarkInput,
  type ReviewerBenchmarkPorts,
  SA,
  type Spend,
} from '../contracts';
import { activityCaller, Control, Stopped, usd } from './control';
import { reviewEnsemble } from './review-ensemble';
import { StageBoard } from './stage-board';

export interface ReviewerBenchmarkOutcome {
  state: 'completed' | 'cancelled';
  reason?: string;
  model: string;
  configHash: string;
  papers: number;
  /** Papers with a finished review (reviewed now or reused), of which reused. */
  done: number;
  reused: number;
  /** Papers whose review finished without a usable review form (they count as Reject). */
  unusable: number;
  failed: { paperId: string; error: string }[];
  cost: Spend;
  /** USD per paper reviewed by this run (reused papers cost nothing). */
  costPerPaperUsd: number;
  report?: BenchReportSummary;
}

export async function reviewerBenchmarkWorkflow(
  input: ReviewerBenchmarkInput,
): Promise<ReviewerBenchmarkOutcome> {
  const runId = workflowInfo().workflowId;
  const ledger = new Ledger(Number.POSITIVE_INFINITY, input.carried?.spend);
  const results: BenchPaperResult[] = [...(input.carried?.results ?? [])];
  const failed = [...(input.carried?.failed ?? [])];
  const artifacts: Record<string, string> = {};
  const running = new Set<string>();
  const status = {
    stage: 'setup' as BenchStatus['stage'],
    step: 'start',
    model: input.model ?? '',
    configHash: '',
    lastError: undefined as string | undefined,
  };
  const control = new Control(ledger, { changed: () => board.publish(), stage: () => status.stage });
  const snapshot = (): BenchStatus => ({
    kind: 'reviewer-benchmark',
    ...status,
    papers: input.papers.length,
    done: results.length,
    reused: results.filter((r) => r.reused).length,
    failed: failed.length,
    running: [...running],
    costUsd: ledger.total.costUsd,
    paused: control.paused,
    cancelling: control.cancelling,
  });
  setHandler(benchStatusQuery, snapshot);
  setHandler(artifactsQuery, () => ({ keys: { ...artifacts } }));

  const board = new StageBoard(status, {
    costUsd: () => ledger.total.costUsd,
    lines: () => [
      `**Reviewer benchmark** · ${status.model || 'model ?'} · config ${status.configHash || '?'}`,
      `Stage: **${status.stage}** — ${status.step}`,
      `Papers: ${results.length}/${input.papers.length} done (${results.filter((r) => r.reused).length} reused), ${running.size} running, ${failed.length} failed · Cost: ${usd(ledger.total.costUsd)}`,
    ],
    extra: () => (status.lastError ? [`Last error: ${status.lastError.slice(0, 200)}`] : []),
  });
  board.attach(control);
  const before = (step: string) => board.before(step);
  const call = activityCaller<ReviewerBenchmarkPorts>(MAIN_ACTIVITY_OPTIONS, before);
  const review = activityCaller<MainPorts>(REVIEW_ACTIVITY_OPTIONS, before);

  const finish = (
    state: ReviewerBenchmarkOutcome['state'],
    extra: Partial<ReviewerBenchmarkOutcome> = {},
  ) => {
    status.stage = 'done';
    status.step = state;
    board.mark(state === 'completed' ? 'done' : state);
    const reviewedNow = results.filter((r) => !r.reused).length;
    return {
      state,
      model: status.model,
      configHash: status.configHash,
      papers: input.papers.length,
      done: results.length,
      reused: results.filter((r) => r.reused).length,
      unusable: results.filter((r) => r.overall === null).length,
      failed,
      cost: ledger.total,
      costPerPaperUsd: reviewedNow ? ledger.total.costUsd / reviewedNow : 0,
      ...extra,
    };
  };

  try {
    board.enter('setup', 'review configuration');
    const cfg = await call('review configuration', 'benchReviewConfig', {
      reviewers: input.reviewers,
      reflections: input.reflections,
      threshold: input.threshold,
      model: input.model,
    });
    status.model = cfg.model;
    status.configHash = cfg.configHash;
    upsertSearchAttributes([{ key: SA.models, value: `review=${cfg.model}` }]);

    board.enter('reviewing', `${input.papers.length} papers, ${input.concurrency} at a time`);
    const finished = new Set([...results.map((r) => r.paperId), ...failed.map((f) => f.paperId)]);
    const queue = input.papers.filter((p) => !finished.has(p.paperId));
    // Once the server suggests continue-as-new, no new paper starts; the running ones finish.
    const draining = () => workflowInfo().continueAsNewSuggested;
    const lane = async () => {
      while (queue.length > 0 && !draining() && !control.cancelling) {
        const paper = queue.shift()!;
        running.add(paper.paperId);
        try {
          results.push(await reviewOne(paper, cfg.configHash, cfg.model));
        } catch (err) {
          if (err instanceof Stopped) return;
          if (!(err instanceof ActivityFailure)) throw err;
          // A paper whose review failed for good (e.g. its text is unusable) does not stop the run.
          const error = (err.cause?.message ?? err.message).slice(0, 500);
          failed.push({ paperId: paper.paperId, error });
          status.lastError = `${paper.paperId}: ${error}`;
        } finally {
          running.delete(paper.paperId);
          upsertSearchAttributes([{ key: SA.costUsd, value: ledger.total.costUsd }]);
          board.publish();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, lane));
    control.throwIfCancelled();
    if (queue.length > 0) {
      return await continueAsNew<typeof reviewerBenchmarkWorkflow>({
        ...input,
        carried: { results, spend: ledger.stages(), failed },
      });
    }
    if (results.length === 0)
      throw ApplicationFailure.nonRetryable(
        `no paper was reviewed: ${failed[0]?.error ?? 'no papers'}`,
        'NoValidReview',
      );

    board.enter('report', 'metrics, calibration, report and figures');
    const report = await call('report', 'benchReviewReport', {
      runId,
      configHash: cfg.configHash,
      model: cfg.model,
      reviewers: input.reviewers,
      reflections: input.reflections,
      threshold: input.threshold,
      ratingsKey: input.ratingsKey,
      storedReviewKeys: input.storedReviewKeys,
      results: input.papers
        .map((p) => results.find((r) => r.paperId === p.paperId))
        .filter((r): r is BenchPaperResult => r !== undefined),
      seed: input.seed,
      trainFraction: input.trainFraction,
      costUsd: ledger.total.costUsd,
    });
    artifacts.report = report.reportKey;
    artifacts['report.json'] = report.reportJsonKey;
    artifacts['reviews.csv'] = report.csvKey;
    for (const [file, key] of Object.entries(report.figureKeys)) artifacts[file] = key;
    upsertSearchAttributes([
      { key: SA.score, value: Math.round(report.balancedAccuracy * 1000) / 1000 },
      { key: SA.costUsd, value: ledger.total.costUsd },
    ]);
    return finish('completed', { report });
  } catch (err) {
    if (err instanceof Stopped) return finish('cancelled', { reason: err.reason });
    throw err;
  }

  /** One paper: its stored review if this configuration finished it before, else the review stage. */
  async function reviewOne(paper: BenchPaper, configHash: string, model: string): Promise<BenchPaperResult> {
    const found = await call(`${paper.paperId}: look up`, 'findBenchReview', {
      configHash,
      paperId: paper.paperId,
    });
    if (found) {
      artifacts[`reviews/${paper.paperId}`] = found.resultKey;
      return found;
    }
    // The review's artifacts and transcripts are keyed by configuration and paper, not by run:
    // a later run with the same configuration writes (and reuses) the same keys.
    // The same id as activities/review-bench benchReviewPaperId (workflow code cannot import it).
    const reviewPaperId = `bench-${configHash}-${paper.paperId}`;
    let spend: Spend = NO_SPEND;
    const { reviewKeys, meta } = await reviewEnsemble(
      (step, name, arg) => review(`${paper.paperId}: ${step}`, name, arg),
      {
        paperId: reviewPaperId,
        round: 'bench',
        textKey: paper.textKey,
        reviewers: input.reviewers,
        reflections: input.reflections,
        threshold: input.threshold,
      },
      {
        spent: (s) => {
          ledger.record('review', s);
          spend = addSpend(spend, s);
        },
      },
    );
    const result = await call(`${paper.paperId}: record`, 'recordBenchReview', {
      configHash,
      paperId: paper.paperId,
      reviewPaperId,
      model,
      overall: meta ? meta.overall : null,
      decision: meta ? meta.decision : null,
      metaKey: meta?.metaKey,
      reviewKeys: reviewKeys.map((r) => r.key),
      spend,
    });
    artifacts[`reviews/${paper.paperId}`] = result.resultKey;
    return result;
  }
}
