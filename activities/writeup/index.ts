/**
 * The write-up stage: sections drafted and refined, citation rounds (./activities.ts), the
 * revision after review (./revise.ts); the paper as one document (./document.ts). The words the
 * model reads are in ./prompts.ts.
 */
export { cleanLatex, createWriteupActivities, type WriteupDeps } from './activities';
export { createReviseActivities, type ReviseDeps } from './revise';
export { documentOf, documentText, editDocument, type DraftWithTex } from './document';
export {
  assemble,
  embeddedBibliography,
  emptyDraft,
  SECTION_TITLES,
  unsupportedNumbers,
  type Draft,
} from './assemble';
export { figureCaptions, figuresLatex, CAPTIONS_FILE } from './figures';
export { formatNumber, resultsTable, resultsTablesLatex, runResultFiles, RESULTS_LABEL } from './results';

export { ideaTitleOf, usableTitle } from './title';
export {
  citationPickPrompt,
  citationQueryPrompt,
  citeKeysLine,
  describeFindings,
  gateNote,
  LATEX_RULES,
  revisePaperPrompt,
  SECTION_TIPS,
  sectionPrompt,
  sectionRepairPrompt,
  WRITER_SYSTEM,
  writerContext,
  type CitationPickInputs,
  type CitationQueryInputs,
  type RevisePaperInputs,
  type SectionInputs,
  type SectionRepairInputs,
  type WriterMaterial,
} from './prompts';
