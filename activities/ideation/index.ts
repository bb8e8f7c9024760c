/** The ideation stage: templates in, ideas out (see ./activities.ts; the prompts in ./prompts.ts). */
export { createIdeationActivities, type IdeationDeps } from './activities';
export { Idea, ideaName, summarize, templateText, type TemplateText } from './idea';
export { ideaProblem, templateVocabulary, type IdeaFields, type TemplateVocabulary } from './gate';
export { mostSimilar } from './similarity';
export {
  generateIdeaPrompt,
  reflectIdeaPrompt,
  type GenerateIdeaInputs,
  type ReflectIdeaInputs,
} from './prompts';
