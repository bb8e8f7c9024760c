/**
 * Structured output: schemas are zod, defined once. Activities that cross Temporal name a
 * schema (a string travels; a zod object does not), so schemas register here by name.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../lib/errors';

const registry = new Map<string, z.ZodType>();

/** Registers a schema under a name that activity inputs can carry; returns the schema. */
export function defineLlmSchema<T extends z.ZodType>(name: string, schema: T): T {
  const existing = registry.get(name);
  if (existing && existing !== schema) throw new InvalidInputError(`LLM schema "${name}" is defined twice`);
  registry.set(name, schema);
  return schema;
}

export function llmSchema(name: string): z.ZodType {
  const s = registry.get(name);
  if (!s)
    throw new InvalidInputError(
      `unknown LLM schema "${name}"; known: ${[...registry.keys()].join(', ') || '(none)'}`,
    );
  return s;
}

/** The JSON Schema providers receive (no `$schema` key: some endpoints reject it). */
export function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Parses a model's reply as JSON and validates it. Tolerates a Markdown fence or prose around
 * one JSON value (models without a native JSON mode add them); the schema decides the rest.
 */
export function parseStructured<T>(text: string, schema: z.ZodType<T>): ParseOutcome<T> {
  let raw: unknown;
  const candidates = [text.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  if (fenced) candidates.push(fenced[1]!.trim());
  const first = text.search(/[[{]/);
  const last = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  let parseError = 'empty reply';
  for (const c of candidates) {
    try {
      raw = JSON.parse(c);
      parseError = '';
      break;
    } catch (err) {
      parseError = (err as Error).message;
    }
  }
  if (parseError) return { ok: false, error: `the reply is not valid JSON (${parseError})` };
  const result = schema.safeParse(raw);
  if (!result.success) return { ok: false, error: z.prettifyError(result.error) };
  return { ok: true, value: result.data };
}
