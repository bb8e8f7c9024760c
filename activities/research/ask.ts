/**
 * The one call shape research activities use to ask a model something. It hides providers,
 * streaming, heartbeats and transcripts (the LLM layer does those) and gives back what the
 * pipeline needs: the text, the parsed object when a schema was given, and what it cost.
 */
import type { z } from 'zod';
import type { Spend } from '../../contracts';

export type Role = 'ideation' | 'coding' | 'writing' | 'review' | 'novelty';

export interface AskRequest<T> {
  role: Role;
  /** Where the transcript goes: derived from workflow id + step, so a retry overwrites it. */
  transcriptKey: string;
  system: string;
  /**
   * Long material (code, notes, the draft, the paper): sent before the prompt as the stable
   * prefix providers cache, and shortened or dropped lowest `priority` first when the model's
   * window is too small (a small local model's 4K tokens, say).
   */
  context?: { name: string; text: string; priority: number }[];
  /** The question itself; always sent whole. */
  prompt: string;
  schema?: z.ZodType<T>;
  /**
   * A tighter form of `schema` (same type, smaller length bounds) for a model that writes to
   * every bound it is given: the local model's grammar enforces maxLength/maxItems, and an answer
   * that fills the loose bounds runs past its output limit and ends as cut-off JSON. The longest
   * answer this schema allows must fit that limit. Hosted models get `schema`.
   */
  compactSchema?: z.ZodType<T>;
  maxTokens?: number;
  /**
   * How many tokens a complete answer needs. The local model writes to whatever limit it gets
   * (its role's default is 640), so this becomes its limit: below that for short answers, above
   * it for a long structured form. Hosted models stop when done and keep their role's limit (a
   * reasoning model spends its limit on thinking too). `maxTokens` wins over both.
   */
  answerTokens?: number;
}

export interface AskResult<T> {
  text: string;
  /** Present when a schema was given and the (possibly repaired) answer matched it. */
  parsed?: T;
  spend: Spend;
  transcriptKey: string;
}

/**
 * Asks a model. Throws the LLM layer's classified errors; a schema the model could not satisfy
 * even after repair throws an error whose `type` is `StructuredOutputInvalid` — research
 * activities catch that one and degrade instead of failing the paper.
 */
export type Ask = <T>(request: AskRequest<T>) => Promise<AskResult<T>>;

export function isStructuredOutputFailure(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { type?: string }).type === 'StructuredOutputInvalid'
  );
}
