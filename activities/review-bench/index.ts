/**
 * The reviewer benchmark (ICLR 2022, the AI Scientist's data): parsing, metrics, calibration,
 * the report and its figures. Everything but ./files.ts, ./run-input.ts (reading the folder,
 * storing what a run reads) and ./activities.ts (the benchmark run's activities) is pure.
 */
export { parseDelimited, parseTable, type DelimitedOptions, type DelimitedTable } from './csv';
export {
  parseConfigName,
  parseHumanRatings,
  parseReviewCsv,
  type HumanPaper,
  type HumanRatings,
  type ReviewRecord,
  type ReviewerConfig,
} from './data';
export {
  binaryMetrics,
  confusion,
  humanReviewerItems,
  joinReviews,
  reviewerMetrics,
  rocAuc,
  thresholdSweep,
  type BinaryMetrics,
  type ConfusionCounts,
  type JoinedReviews,
  type MissingReviews,
  type ReviewerMetrics,
  type ScoredItem,
} from './metrics';
export {
  calibrate,
  DEFAULT_SPLIT,
  fitThreshold,
  splitOf,
  type Calibration,
  type SplitOptions,
} from './calibration';
export {
  histogramFigure,
  rocFigure,
  rocPoints,
  scoreHistogram,
  trapezoidArea,
  type RocCurve,
} from './figures';
export { Canvas, crc32, encodePng, type Rgb } from './png';
export {
  buildReport,
  comparisonTable,
  configLabel,
  DEFAULT_THRESHOLD,
  f1AtRates,
  fmt,
  impliedAcceptShare,
  PUBLISHED,
  reportData,
  reportFigures,
  reportMarkdown,
  type BenchReport,
  type ReportFigure,
  type ReportOptions,
  type ReviewerResult,
} from './report';
export { listReviewFiles, readHumanRatings, readReviewFile, resolveBenchDir } from './files';
export { MIN_PAPER_BYTES, prepareBenchRun, selectBenchPapers, type PreparedBenchRun } from './run-input';
export {
  benchResultKey,
  benchReviewPaperId,
  createReviewBenchActivities,
  ourConfigName,
  reviewsCsv,
  type ReviewBenchDeps,
} from './activities';
