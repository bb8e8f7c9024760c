/**
 * Keeps a request inside the model's window before it is sent: estimate tokens, then shorten
 * or drop the context parts with the lowest priority. A provider's "context length exceeded"
 * is then a rare, non-retryable surprise rather than the normal way to learn the limit.
 */
import { LlmContextLengthError } from '../../lib/errors';
import type { ChatMessage, ContextPart } from './types';

/**
 * Conservative token estimate: about 3 characters per token (English prose is ~4, code and
 * JSON are denser), plus a little per message for the chat template. Overestimating trims a
 * little early; underestimating fails a call.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

const PER_MESSAGE_TOKENS = 8;
const IMAGE_TOKENS = 1_600;

export function renderContext(parts: ContextPart[]): string {
  return parts.map((p) => `## ${p.name}\n\n${p.text}`).join('\n\n');
}

export interface FitResult {
  parts: ContextPart[];
  /** Output tokens to ask for: the request's maxTokens, lowered when the window cannot hold it all. */
  maxTokens: number;
  /** Names of parts shortened or dropped. */
  trimmed: string[];
  /** Estimated prompt tokens after trimming. */
  promptTokens: number;
}

/**
 * Shortens/drops lowest-priority parts until system + context + messages fit in `contextTokens`
 * with room for the reply: all of maxTokens when possible, but at least a quarter of the window
 * (or maxTokens if smaller) — a small local model's window should not be spent on reply room
 * that is rarely used. Parts keep their order. Throws LlmContextLengthError (non-retryable) when
 * even the required parts and the messages do not fit.
 */
export function fitContext(input: {
  system: string;
  parts: ContextPart[];
  messages: ChatMessage[];
  maxTokens: number;
  contextTokens: number;
  count?: (text: string) => number;
}): FitResult {
  const count = input.count ?? estimateTokens;
  const fixed =
    count(input.system) +
    input.messages.reduce(
      (n, m) => n + count(m.content) + PER_MESSAGE_TOKENS + (m.images?.length ?? 0) * IMAGE_TOKENS,
      0,
    ) +
    PER_MESSAGE_TOKENS;
  const minOutput = Math.min(input.maxTokens, Math.max(256, Math.floor(input.contextTokens / 4)));
  const budget = input.contextTokens - minOutput - fixed;
  const parts = input.parts.map((p) => ({ ...p }));
  const sizes = parts.map((p) => count(`## ${p.name}\n\n${p.text}\n\n`));
  let total = sizes.reduce((a, b) => a + b, 0);
  const trimmed: string[] = [];
  const keep = new Array<boolean>(parts.length).fill(true);
  const order = parts
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !p.required && p.priority !== Infinity)
    .sort((a, b) => a.p.priority - b.p.priority || b.i - a.i);
  for (const { p, i } of order) {
    if (total <= budget) break;
    const excess = total - budget;
    const size = sizes[i]!;
    trimmed.push(p.name);
    if (size - excess > 200) {
      // Shortening keeps the head (definitions, the start of a draft) and says what is missing;
      // cut again while the note itself pushes the part over what is left for it.
      const original = p.text;
      let keepChars = Math.floor(original.length * ((size - excess - 40) / size));
      let now: number;
      for (;;) {
        p.text = `${original.slice(0, keepChars)}\n[… ${original.length - keepChars} characters omitted to fit the context window …]`;
        now = count(`## ${p.name}\n\n${p.text}\n\n`);
        if (now <= size - excess || keepChars === 0) break;
        keepChars = Math.floor(keepChars * 0.9);
      }
      total += now - size;
      sizes[i] = now;
    } else {
      keep[i] = false;
      total -= size;
    }
  }
  if (total > budget) {
    throw new LlmContextLengthError(
      `request does not fit the model's window: about ${fixed + total} prompt tokens + ${minOutput} output tokens > ${input.contextTokens}, ` +
        `after trimming every optional context part; shorten the messages or required parts, lower maxTokens, or use a model with a larger window`,
    );
  }
  const promptTokens = fixed + total;
  return {
    parts: parts.filter((_, i) => keep[i]),
    trimmed,
    promptTokens,
    maxTokens: Math.min(input.maxTokens, input.contextTokens - promptTokens),
  };
}
