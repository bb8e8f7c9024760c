/**
 * The one check that an experiment's activity result is small, whatever the code wrote. A result
 * rides in workflow history: Temporal refuses a payload over 2 MB (every retry alike, so the paper
 * fails) and warns over 512 KB. Its parts are bounded where they are made — final_info.json
 * (1 MB, 256 means, inline only under 16 KB), outputs (200 keys, paths under 200 characters) — and the whole is measured here,
 * so a bound missed upstream fails one run loudly instead of a paper.
 */
import { ScientistError } from '../../lib/errors';
import type { RunExperimentResult } from '../../contracts';

/** Largest serialised result (bytes): half of Temporal's 512 KB warning. */
export const RESULT_MAX_BYTES = 256 * 1024;

/** The run's result would not fit in workflow history: the code produced too many names or values. */
export class ExperimentResultTooLargeError extends ScientistError {
  readonly type = 'ExperimentResultTooLarge';
  readonly retryable = false;
}

/** Returns `result` when its JSON is at most RESULT_MAX_BYTES; throws otherwise. */
export function boundedResult<T extends RunExperimentResult>(result: T): T {
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes > RESULT_MAX_BYTES) {
    throw new ExperimentResultTooLargeError(
      `the run's result is ${Math.round(bytes / 1024)} KB (metrics ${Object.keys(result.metrics).length}, outputs ${Object.keys(result.outputKeys).length}); ` +
        `at most ${RESULT_MAX_BYTES / 1024} KB travel with a run. Write fewer metrics and output files, with shorter names.`,
    );
  }
  return result;
}
