/** The reviewer benchmark's counts are refused by the argument parser, before any service or model is reached. */
import { Command } from 'commander';
import { registerBenchReviewerCommands } from '../../../cli/bench-reviewer';

function parse(args: string[]): string {
  const program = new Command().exitOverride();
  registerBenchReviewerCommands(program);
  let written = '';
  for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)])
    c.exitOverride().configureOutput({ writeErr: (s) => (written += s) });
  try {
    program.parse(['node', 'scientist', 'bench-reviewer', 'run', '--data', '/nowhere', ...args]);
  } catch {
    return written;
  }
  throw new Error('the arguments were accepted');
}

describe('scientist bench-reviewer run arguments', () => {
  it.each([
    [['--papers', '0'], "option '--papers <n>' argument '0' is invalid. expected a whole number ≥ 1"],
    [['--papers', '4', '--reviewers', '0'], "'--reviewers <n>' argument '0' is invalid"],
    [['--papers', '4', '--concurrency', '0'], "'--concurrency <k>' argument '0' is invalid"],
    [
      ['--papers', '4', '--reflections', '-1'],
      "'--reflections <n>' argument '-1' is invalid. expected a whole number",
    ],
  ])('%j is refused', (args, message) => {
    expect(parse(args)).toContain(message);
  });
});
