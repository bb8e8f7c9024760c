// What workflows and activities share, and nothing else: workflow-safe (it imports only the
// SDK's workflow-safe packages), so workflow code, activities, workers and clients all import
// their shared types from here. Lint keeps it that way (eslint.config.mjs).
export {
  gpuActivityOptions,
  HEARTBEAT_TIMEOUT,
  llmCallActivityOptions,
  MAIN_ACTIVITY_OPTIONS,
  probeActivityOptions,
  REVIEW_ACTIVITY_OPTIONS,
} from './activity-options';
export type {
  BaselineInput,
  BaselineResult,
  ExperimentFailureDetails,
  FinalInfo,
  GpuSlot,
  MetricValue,
  RunExperimentInput,
  RunExperimentResult,
  RunManifest,
  SandboxOutcome,
  WithWorkspaceKey,
  WorkspaceManifest,
} from './experiments';
export {
  compareCapability,
  CUDA_CAPABILITY_LEVELS,
  gpuQueueFor,
  gpuQueuesServed,
  noGpuWorkerMessage,
  type GpuNeed,
} from './gpu-routing';
export type { IntegritySummary, IntegrityVerdict } from './integrity';
export { LLM_ROLES, type LlmRole } from './llm';
export * from './messages';
export type {
  Degradation,
  EditFormat,
  ExperimentRunResult,
  FigureCritiqueSummary,
  GpuPorts,
  IdeaSummary,
  LlmStep,
  MainPorts,
  WorkspaceKey,
} from './ports';
export {
  benchStatusQuery,
  type BenchPaper,
  type BenchPaperResult,
  type BenchReportSummary,
  type BenchReviewConfig,
  type BenchStatus,
  type ReviewerBenchmarkInput,
  type ReviewerBenchmarkPorts,
} from './reviewer-benchmark';
export { SA, SEARCH_ATTRIBUTE_TYPES } from './search-attributes';
export {
  DEFAULT_CAMPAIGN_SETTINGS,
  DEFAULT_PAPER_SETTINGS,
  QUICK_CAMPAIGN_SETTINGS,
  QUICK_PAPER_SETTINGS,
  SECTIONS,
  type CampaignSettings,
  type PaperSettings,
} from './settings';
export { addSpend, formatUsd, Ledger, NO_SPEND, type Spend } from './spend';
