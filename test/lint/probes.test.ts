/**
 * Each determinism and layering rule of eslint.config.mjs, proved by a probe that must fail
 * lint. A probe is linted as the text of a real file of the folder it pretends to live in, so
 * the rules for that folder (and type-aware rules such as no-floating-promises) apply to it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

interface Probe {
  name: string;
  /** A real file whose folder's rules apply; its text is replaced by `code`. */
  as: string;
  code: string;
  rule: string;
}

const PROBES: Probe[] = [
  {
    name: 'workflow code importing fs',
    as: 'workflows/health.ts',
    code: "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'workflow code importing an activity implementation',
    as: 'workflows/health.ts',
    code: "import { createMainActivities } from '../activities';\nexport const make = createMainActivities;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'workflow code importing a workers/ module',
    as: 'workflows/health.ts',
    code: "import { createWorker } from '../workers/create-worker';\nexport const make = createWorker;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'workflow code importing lib/ (config, store)',
    as: 'workflows/paper.ts',
    code: "import { loadProcessConfig } from '../lib/config';\nexport const load = loadProcessConfig;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'workflow code reading process.env',
    as: 'workflows/health.ts',
    code: 'export const home = process.env.HOME;\n',
    rule: 'no-restricted-globals',
  },
  {
    name: 'a floating promise',
    as: 'workflows/health.ts',
    code: 'export function f(): void {\n  Promise.resolve(1);\n}\n',
    rule: '@typescript-eslint/no-floating-promises',
  },
  {
    name: 'contracts/ importing outside itself',
    as: 'contracts/spend.ts',
    code: "import type { Config } from '../lib/config';\nexport type C = Config;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'an activity importing from workflows/',
    as: 'activities/deps.ts',
    code: "import { paperWorkflow } from '../workflows/paper';\nexport const w = paperWorkflow;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'an activity importing from workers/',
    as: 'activities/deps.ts',
    code: "import { createWorker } from '../workers/create-worker';\nexport const w = createWorker;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'an activity calling heartbeat directly',
    as: 'activities/deps.ts',
    code: "import { Context } from '@temporalio/activity';\nexport const beat = () => Context.current().heartbeat();\n",
    rule: 'no-restricted-syntax',
  },
];

const ALLOWED = [
  "import { proxyActivities } from '@temporalio/workflow';",
  "import type { MainActivities } from '../activities';",
  "import { MAIN_ACTIVITY_OPTIONS } from '../contracts';",
  'export const main = proxyActivities<MainActivities>(MAIN_ACTIVITY_OPTIONS);',
  '',
].join('\n');

/** The rule ids each text breaks, linted in one ESLint process (the type-aware program is built once). */
function lint(texts: { as: string; code: string }[]): string[][] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'lint-texts.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(texts.map((t) => ({ filePath: path.join(ROOT, t.as), code: t.code }))),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out) as string[][];
}

describe('lint rules, each proved by a probe that must fail', () => {
  let results: string[][];
  beforeAll(() => {
    results = lint([...PROBES, { as: 'workflows/health.ts', code: ALLOWED }]);
  });

  it.each(PROBES.map((p, i) => [p.name, p, i] as const))('%s', (_name, probe, i) => {
    expect(results[i]).toContain(probe.rule);
  });

  it('passes the allowed forms: activity types, contracts/, SDK workflow packages', () => {
    expect(results[PROBES.length]).toEqual([]);
  });
});
