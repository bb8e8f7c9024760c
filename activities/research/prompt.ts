/**
 * The shape every stage's prompt builder returns (its `prompts.ts`), and the pieces more than
 * one stage's prompts share. Builders are pure: plain inputs in, text out — no store, no model,
 * no clock — so the words a model reads can be read, tuned and tested in one place per stage.
 */
import type { AskRequest } from './ask';

/** One part of the long material sent before the prompt (see AskRequest.context). */
export type ContextPart = NonNullable<AskRequest<never>['context']>[number];

/** What a stage's prompt builder gives the ask: spread into the request beside role, key, schema. */
export interface Prompt {
  system: string;
  context?: ContextPart[];
  prompt: string;
}

/** The operator's steering lines, said as guidance to follow; '' when there are none. */
export function operatorGuidance(steering: string[]): string {
  return steering.length
    ? `\n\nGuidance from the operator (follow it):\n${steering.map((s) => `- ${s}`).join('\n')}`
    : '';
}
