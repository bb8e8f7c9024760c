/**
 * The integrity stage: the claim check, the citation check, the seeds, the claim fix
 * (./activities.ts; the models' words in ./prompts.ts) and integrity.json with its report page
 * (./report.ts).
 */
export { createIntegrityActivities, type IntegrityDeps } from './activities';
export { describeFlag, reportLatex, type IntegrityReport } from './report';
export {
  checkClaims,
  checkedText,
  claimRegions,
  gateNumbers,
  computeExcess,
  excessSentence,
  numbersIn,
  type ClaimReport,
  type ClaimSources,
  type ComputeExcess,
  type Flag,
} from './claims';
export {
  GATE_ALPHA,
  identicalSentence,
  identicalVariants,
  incompleteBeta,
  mergeSeeds,
  noiseGate,
  resultsStatementLatex,
  welch,
  type GateTest,
  type NoiseGate,
  type WelchResult,
} from './gate';
export { cpuFacts, gpuFacts, imageFacts, MANIFEST_FILE, runManifest, seedsOf } from './manifest';
export { manifestsOf, setupFacts, setupLatex, setupSummary, SETUP_LABEL } from './setup';
export {
  ABSTRACT_CHARS,
  citationPrompt,
  FLAGS_LISTED,
  fixClaimsPrompt,
  type FixClaimsInputs,
} from './prompts';
