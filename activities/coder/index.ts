/**
 * The experiment stage's coding (./activities.ts; its words in ./prompts.ts) and the edit engine
 * every stage that edits files shares: search/replace blocks (./edit-engine.ts), whole-file
 * replies (./whole-file.ts), both applied to a workspace by ./apply-reply.ts.
 */
export { createCoderActivities, runResults, type CoderDeps } from './activities';
export { applyReply, type Applied } from './apply-reply';
export { applyEdits, describeFailures, parseEditBlocks, EditFormatError } from './edit-engine';
export { experimentEditable, globToRegExp, MAX_EDITABLE_BYTES, type EditableFiles } from './editable';
export {
  ALL_COMPLETED,
  editFormat,
  EXPERIMENT_EDIT_FORMAT,
  planEditPrompt,
  recordRunPrompt,
  type PlanEditInputs,
  type RecordRunInputs,
} from './prompts';
export { acceptWholeFile, findWholeFile, lostContract, pythonSyntaxError } from './whole-file';
