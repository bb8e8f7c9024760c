/**
 * The integrity stage's result as it travels through history: counts and a short list; the
 * whole report (integrity.json) is in the store at `reportKey`.
 */

/** `clean`: every number traced, no hardware or version statement the manifests lack. */
export type IntegrityVerdict = 'clean' | 'unsupported-claims';

export interface IntegritySummary {
  verdict: IntegrityVerdict;
  /** Numbers in the paper's text (up to its bibliography), and how many were traced to its records. */
  numbers: number;
  traced: number;
  /** Unsupported numbers, hardware and version statements left. */
  flags: number;
  /** The first of them, each `kind: text — why` (at most 20, 200 characters each). */
  unsupported: string[];
  /** Runs with a measured manifest, of the paper's successful runs. */
  manifests: number;
  /** The citation check in one line (resolved, removed, sentences supported / unsupported / unclear); absent when it did not run. */
  citations?: string;
  /** Whether the writing model was given one round to fix what the first check found. */
  fixRound: boolean;
  reportKey: string;
}
