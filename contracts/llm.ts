/** The roles a model can play in the pipeline; each can have its own model (SCIENTIST_LLM_<ROLE>). */
export const LLM_ROLES = ['ideation', 'coding', 'writing', 'review', 'novelty'] as const;
export type LlmRole = (typeof LLM_ROLES)[number];
