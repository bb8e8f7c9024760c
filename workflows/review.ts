/**
 * The standalone reviewer: an ensemble of reviews and a meta-review of any paper's text (the
 * `scientist review <pdf>` entry point), with the same activities a paper's review stage uses.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { Ledger, REVIEW_ACTIVITY_OPTIONS, type MainPorts } from '../contracts';
import { activityCaller } from './control';
import { reviewEnsemble } from './review-ensemble';

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

export async function reviewPdfWorkflow(input: ReviewPdfInput): Promise<ReviewPdfOutcome> {
  const paperId = workflowInfo().workflowId;
  const ledger = new Ledger(Number.POSITIVE_INFINITY);
  // The same activities and loop as a paper's review stage.
  const { reviewKeys, meta } = await reviewEnsemble(
    activityCaller<MainPorts>(REVIEW_ACTIVITY_OPTIONS, (step) => Promise.resolve(`review · ${step}`)),
    { ...input, paperId, round: 'standalone' },
    { spent: (spend) => ledger.record('review', spend) },
  );
  if (!meta)
    throw ApplicationFailure.nonRetryable(`no valid review among ${input.reviewers}`, 'NoValidReview');
  return {
    metaKey: meta.metaKey,
    reviewKeys: reviewKeys.map((r) => r.key),
    overall: meta.overall,
    decision: meta.decision,
    scores: meta.scores,
    costUsd: ledger.total.costUsd,
  };
}
