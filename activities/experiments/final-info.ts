/**
 * `final_info.json`, the result file of an AI-Scientist-layout experiment: per dataset or
 * condition, a `means` object of metrics and optional `stderrs`.
 */
import { z } from 'zod';
import { ScientistError } from '../../lib/errors';

const metricValues = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));

export const FinalInfoSchema = z.record(
  z.string(),
  z.looseObject({
    means: metricValues,
    stderrs: metricValues.optional(),
  }),
);
export type FinalInfo = z.infer<typeof FinalInfoSchema>;

/** Largest final_info.json that travels inside an activity result (bytes); larger ones only by key. */
export const FINAL_INFO_INLINE_BYTES = 16 * 1024;

const NON_FINITE = ['NaN', 'Infinity', '-Infinity'];

/**
 * JSON as Python's `json.dump` writes it. A run whose loss diverged writes bare `NaN`,
 * `Infinity` or `-Infinity`, which JSON.parse refuses; they are read as the strings "NaN",
 * "Infinity" and "-Infinity", so a diverged run is a result the paper can report (and the
 * numbers check skips), not a code error the model is sent to fix.
 */
export function parsePythonJson(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === '"') {
      // Copy a string literal whole, escapes included: "NaN" inside it is text.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const token = NON_FINITE.find((t) => text.startsWith(t, i));
    if (token) {
      out += `"${token}"`;
      i += token.length;
      continue;
    }
    out += c;
    i++;
  }
  return JSON.parse(out);
}

/**
 * Parses and validates final_info.json; the error says what is wrong in terms the coding model
 * can fix (the file is written by experiment code).
 */
export function parseFinalInfo(text: string, where: string): FinalInfo {
  let raw: unknown;
  try {
    raw = parsePythonJson(text);
  } catch (err) {
    throw new InvalidFinalInfoError(
      `${where} is not valid JSON (${(err as Error).message}); write it with json.dump(...)`,
    );
  }
  const parsed = FinalInfoSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidFinalInfoError(
      `${where} does not have the expected shape {"<dataset>": {"means": {"<metric>": number, ...}, "stderrs": {...}?}}: ${issues}`,
    );
  }
  if (Object.keys(parsed.data).length === 0)
    throw new InvalidFinalInfoError(`${where} is empty: write at least one dataset with its means`);
  return parsed.data;
}

/** Numeric means flattened to `<dataset>.<metric>` → value (what the pipeline compares across runs). */
export function flattenMetrics(info: FinalInfo): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [dataset, entry] of Object.entries(info)) {
    for (const [metric, value] of Object.entries(entry.means)) {
      if (typeof value === 'number' && Number.isFinite(value)) out[`${dataset}.${metric}`] = value;
    }
  }
  return out;
}

/** The experiment ran but its result file is missing or malformed: the code is at fault. */
export class InvalidFinalInfoError extends ScientistError {
  readonly type = 'InvalidFinalInfo';
  readonly retryable = false;
}
