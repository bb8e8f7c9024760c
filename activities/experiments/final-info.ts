/**
 * `final_info.json`, the result file of an AI-Scientist-layout experiment: per dataset or
 * condition, a `means` object of metrics and optional `stderrs`.
 */
import { z } from 'zod';
import type { FinalInfo } from '../../contracts';
import { ScientistError } from '../../lib/errors';

const metricValues = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));

export const FinalInfoSchema = z.record(
  z.string(),
  z.looseObject({
    means: metricValues,
    stderrs: metricValues.optional(),
  }),
);
export type { FinalInfo };

/** Largest final_info.json that travels inside an activity result (bytes); larger ones only by key. */
export const FINAL_INFO_INLINE_BYTES = 16 * 1024;

/**
 * Largest final_info.json read at all (bytes). Metrics are a few numbers per dataset; a bigger
 * file is bulky data in the wrong place, and parsing it on the worker's event loop stalls every
 * other activity there (100 MB of padding blocked the loop for a minute).
 */
export const FINAL_INFO_MAX_BYTES = 1024 * 1024;
/** Most means (all datasets together) a final_info.json may hold; they all travel in history. */
export const FINAL_INFO_MAX_METRICS = 256;
/** Longest `<dataset>.<metric>` name kept as a metric. */
export const METRIC_NAME_MAX_CHARS = 128;

// A whole string literal (escapes included, so "NaN" inside one is text) or a bare non-finite.
const LITERAL_OR_NON_FINITE = /"[^"\\]*(?:\\.[^"\\]*)*"|-Infinity|Infinity|NaN/g;

/**
 * JSON as Python's `json.dump` writes it. A run whose loss diverged writes bare `NaN`,
 * `Infinity` or `-Infinity`, which JSON.parse refuses; they are read as the strings "NaN",
 * "Infinity" and "-Infinity", so a diverged run is a result the paper can report (and the
 * numbers check skips), not a code error the model is sent to fix. One native regex pass:
 * about 5 ms per MB.
 */
export function parsePythonJson(text: string): unknown {
  return JSON.parse(text.replace(LITERAL_OR_NON_FINITE, (m) => (m.startsWith('"') ? m : `"${m}"`)));
}

/**
 * Parses and validates final_info.json; the error says what is wrong in terms the coding model
 * can fix (the file is written by experiment code).
 */
export function parseFinalInfo(text: string, where: string): FinalInfo {
  const bytes = Buffer.byteLength(text);
  if (bytes > FINAL_INFO_MAX_BYTES) throw tooLarge(where, bytes);
  let raw: unknown;
  try {
    raw = parsePythonJson(text);
  } catch (err) {
    throw new InvalidFinalInfoError(
      `${where} is not valid JSON (${(err as Error).message}); write it with json.dump(...)`,
    );
  }
  // Counted before the schema check, which would take a while over a file of 100 k means.
  const counted = countMeans(raw);
  if (counted > FINAL_INFO_MAX_METRICS) throw tooManyMeans(where, counted);
  const parsed = FinalInfoSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidFinalInfoError(
      `${where} does not have the expected shape {"<dataset>": {"means": {"<metric>": number, ...}, "stderrs": {...}?}}: ${issues}`,
    );
  }
  if (Object.keys(parsed.data).length === 0)
    throw new InvalidFinalInfoError(`${where} is empty: write at least one dataset with its means`);
  const long = Object.entries(parsed.data)
    .flatMap(([d, e]) => Object.keys(e.means).map((m) => `${d}.${m}`))
    .find((n) => n.length > METRIC_NAME_MAX_CHARS);
  if (long) {
    throw new InvalidFinalInfoError(
      `${where} has a metric named "${long.slice(0, 60)}…" (${long.length} characters with its dataset); names must be at most ${METRIC_NAME_MAX_CHARS}`,
    );
  }
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

/** The number of means in a parsed final_info.json of any shape (0 where there are none). */
function countMeans(raw: unknown): number {
  if (!raw || typeof raw !== 'object') return 0;
  let n = 0;
  for (const entry of Object.values(raw as Record<string, unknown>)) {
    const means = (entry as { means?: unknown } | null)?.means;
    if (means && typeof means === 'object') n += Object.keys(means).length;
  }
  return n;
}

function tooManyMeans(where: string, count: number): InvalidFinalInfoError {
  return new InvalidFinalInfoError(
    `${where} holds ${count} means; at most ${FINAL_INFO_MAX_METRICS} are allowed (they travel with the run's result). ` +
      'Report summary metrics per dataset (final and best values), and write per-step or per-sample values to another file in the out dir.',
  );
}

/** A final_info.json over FINAL_INFO_MAX_BYTES, refused before it is read. */
export function tooLarge(where: string, bytes: number): InvalidFinalInfoError {
  return new InvalidFinalInfoError(
    `${where} is ${(bytes / 1024 / 1024).toFixed(1)} MB; it may be at most ${FINAL_INFO_MAX_BYTES / 1024 / 1024} MB. ` +
      'It holds summary metrics only: write curves, per-step logs and samples to other files in the out dir.',
  );
}

/** The experiment ran but its result file is missing or malformed: the code is at fault. */
export class InvalidFinalInfoError extends ScientistError {
  readonly type = 'InvalidFinalInfo';
  readonly retryable = false;
}
