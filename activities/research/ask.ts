/**
 * The one call shape research activities use to ask a model something. It hides providers,
 * streaming, heartbeats and transcripts (the LLM layer does those) and gives back what the
 * pipeline needs: the text, the parsed object when a schema was given, and what it cost.
 */
import type { z } from 'zod';
import type { LlmRole, Spend } from '../../contracts';
import type { ImageInput } from '../llm/types';

export type { LlmRole as Role } from '../../contracts';

export interface AskRequest<T> {
  role: LlmRole;
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
  /**
   * Images shown with the prompt (the figure critique), in the provider's own wire format. Only
   * for a model that takes them (roleImageSupport in activities/llm/roles.ts): the LLM layer
   * refuses images for any other.
   */
  images?: ImageInput[];
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

/** A plain-text answer. */
export interface AskAnswer {
  text: string;
  spend: Spend;
  transcriptKey: string;
}

/**
 * A structured answer. It always carries what it cost: a model that never matched the schema,
 * even after the repair rounds, was still paid for every reply, and the ledger must see it.
 */
export type StructuredAnswer<T> =
  | { ok: true; parsed: T; text: string; spend: Spend; transcriptKey: string }
  | {
      ok: false;
      /** What was wrong with the last reply, for logs and the workflow's status. */
      problem: string;
      /** The last raw reply in the store. */
      rawKey: string;
      spend: Spend;
      transcriptKey: string;
    };

/**
 * Asks a model. With a schema the answer is a StructuredAnswer (valid or not, with its spend);
 * without one, the text. Throws only the LLM layer's other classified errors (rate limits,
 * outages, bad requests), which the activity boundary maps to retries.
 */
export interface Ask {
  <T>(request: AskRequest<T> & { schema: z.ZodType<T> }): Promise<StructuredAnswer<T>>;
  (request: AskRequest<never> & { schema?: undefined }): Promise<AskAnswer>;
}
