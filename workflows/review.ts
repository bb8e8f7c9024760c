/**
 * The standalone reviewer: an ensemble of reviews and a meta-review of any paper's text (the
 * `scientist review <pdf>` entry point), with the same activities a paper's review stage uses.
 */
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { Ledger, REVIEW_ACTIVITY_OPTIONS, type MainPorts } from '../contracts';

export interface ReviewPdfInput {
  /** The paper's text (pdftotext) in the artifact store. */
  textKey: string;
  reviewers: number;
  reflections: number;
  threshold: number;
}

export interface ReviewPdfOutcome {
  metaKey: string;
  reviewKeys: string[];
  overall: number;
  decision: 'Accept' | 'Reject';
  scores: Record<string, number>;
  costUsd: number;
}

const main = proxyActivities<MainPorts>(REVIEW_ACTIVITY_OPTIONS);

export async function reviewPdfWorkflow(input: ReviewPdfInput): Promise<ReviewPdfOutcome> {
  const paperId = workflowInfo().workflowId;
  const ledger = new Ledger(Number.POSITIVE_INFINITY);
  const reviewKeys: string[] = [];
  for (let reviewer = 1; reviewer <= input.reviewers; reviewer++) {
    const r = await main.reviewPaper({
      paperId,
      round: 'standalone',
      reviewer,
      textKey: input.textKey,
      reflections: input.reflections,
    });
    ledger.record('review', r.spend);
    if (r.reviewKey) reviewKeys.push(r.reviewKey);
  }
  if (reviewKeys.length === 0)
    throw ApplicationFailure.nonRetryable(`no valid review among ${input.reviewers}`, 'NoValidReview');
  const meta = await main.metaReview({
    paperId,
    round: 'standalone',
    reviewKeys,
    threshold: input.threshold,
  });
  ledger.record('review', meta.spend);
  return {
    metaKey: meta.metaKey,
    reviewKeys,
    overall: meta.overall,
    decision: meta.decision,
    scores: meta.scores,
    costUsd: ledger.total.costUsd,
  };
}
