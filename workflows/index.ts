// Every workflow the workers serve. Workflow code is deterministic: no I/O, only activity types.
export { healthCheckWorkflow } from './health';
export type { HealthCheckInput, HealthCheckResult } from './health';
export { campaignWorkflow, rankIdeas } from './campaign';
export type { CampaignInput, CampaignOutcome, RankedIdea } from './campaign';
export { paperWorkflow } from './paper';
export type { PaperInput, PaperOutcome } from './paper';
export { llmProbeWorkflow } from './llm-probe';
export type { LlmProbeInput, LlmProbeResult } from './llm-probe';
export { reviewPdfWorkflow } from './review';
export { reviewerBenchmarkWorkflow } from './reviewer-benchmark';
export type { ReviewerBenchmarkOutcome } from './reviewer-benchmark';
export type { ReviewPdfInput, ReviewPdfOutcome } from './review';
