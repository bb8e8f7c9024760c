/** The novelty stage: one literature-backed round per activity (./activities.ts; words in ./prompts.ts). */
export { createNoveltyActivities, type NoveltyDeps } from './activities';
export { NOVELTY_SYSTEM, noveltyRoundPrompt, searchResultsText, type NoveltyRoundInputs } from './prompts';
