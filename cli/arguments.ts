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
