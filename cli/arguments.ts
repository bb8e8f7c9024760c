/**
 * Commander parsers for the operator commands' arguments. Ids and keyword filters are checked
 * here because find-workflows.ts puts them into visibility queries verbatim.
 */
import { InvalidArgumentError } from 'commander';

/** Values that go into a visibility query verbatim: no quotes, no spaces. */
const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/;

/** Commander argument parser for a workflow id. */
export function parseWorkflowId(value: string): string {
  if (!KEYWORD.test(value))
    throw new InvalidArgumentError(`"${value}" is not a workflow id (letters, digits, . _ : @ + -)`);
  return value;
}

/** Commander option parser for keyword filters (template, stage, campaign). */
export function parseKeyword(value: string): string {
  if (!KEYWORD.test(value))
    throw new InvalidArgumentError(`"${value}" is not a valid value (letters, digits, . _ : @ + -)`);
  return value;
}

/** Commander parser for an amount of money or a score: a finite number ≥ 0. */
export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return n;
}

/** Commander parser for a budget: a finite number > 0. */
export function parsePositive(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

/** Commander parser for a count that may be 0 (ideas, papers, runs, reviewers). */
export function parseWholeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

/** Commander parser for a limit or a lifetime: a whole number ≥ 1. */
export function parseCount(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}"`);
  return n;
}

/** Commander parser for a review decision, in any case. */
export function parseDecision(value: string): 'Accept' | 'Reject' {
  const v = value.toLowerCase();
  if (v === 'accept') return 'Accept';
  if (v === 'reject') return 'Reject';
  throw new InvalidArgumentError(`expected Accept or Reject, got "${value}"`);
}
