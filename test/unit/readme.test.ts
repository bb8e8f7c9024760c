import { readFileSync } from 'node:fs';
import { README, readmeWithCurrentTable } from '../../infra/docs/readme-config';

describe('README', () => {
  it('documents the current configuration (regenerate with `npm run docs`)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readmeWithCurrentTable(readme)).toBe(readme);
  });

  it('has exactly two quick-start commands, which package.json defines', () => {
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readFileSync(README, 'utf8'))?.[1] ?? '';
    const commands = quick
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm start', 'npm test']);
    const pkg = JSON.parse(readFileSync(README.replace('README.md', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // The main job's set-up builds no cluster binaries; the tests' does (the README says so).
    expect(pkg.scripts.start).toMatch(/^bash infra\/setup\.sh && /);
    expect(pkg.scripts.test).toMatch(/^bash infra\/setup\.sh --with-cluster && /);
  });
});
