/**
 * The CLI's side of templates, as a user meets it (bin/scientist as a subprocess): an invalid
 * template named by path is refused before anything starts, with every problem in the message;
 * `scientist template prepare` builds nothing for a template without requirements and shows
 * pip's own error when a requirement cannot be had.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { derivedImageFor } from '../../activities/experiments/run-image';
import { createLogger } from '../../lib/log';
import { PROJECT_ROOT } from '../../lib/paths';
import { suiteConfig, uniqueId } from '../harness';
import { FakeLlmServer } from '../llm/fake-llm-server';
import { FIXTURES } from './helpers';

const SCIENTIST = path.join(PROJECT_ROOT, 'bin', 'scientist');
const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copyOf(fixture: string, change: (dir: string) => void = () => undefined): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tpl-cli-'));
  tmpDirs.push(root);
  const dir = path.join(root, fixture);
  cpSync(path.join(FIXTURES, 'user', fixture), dir, { recursive: true });
  change(dir);
  return dir;
}

async function scientist(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(SCIENTIST, args, {
      timeout: 280_000,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('scientist run --template <path> refuses an invalid template with every problem, before anything starts', async () => {
  const dir = copyOf('no-fast', (d) => {
    rmSync(path.join(d, 'plot.py'));
    writeFileSync(path.join(d, 'template.json'), '{"fast": {"args": "--steps 5"}}');
    writeFileSync(path.join(d, 'experiment.py'), 'print("no arguments here")\n');
  });
  const res = await scientist(['run', '--template', dir, '--name', 'never-started']);
  expect(res.code).toBe(2);
  expect(res.stdout).not.toContain('started campaign');
  for (const problem of [
    `template "no-fast" (${dir}) is not valid`,
    'missing file plot.py',
    'no module of the template declares it',
    'template.json: "fast.args"',
  ])
    expect(res.stderr).toContain(problem);
}, 300_000);

test('scientist template prepare: nothing to build without requirements.txt, one warning without a fast mode', async () => {
  const res = await scientist(['template', 'prepare', copyOf('no-fast')]);
  expect(res.code).toBe(0);
  expect(res.stdout).toContain('template no-fast: no requirements.txt; it runs in durable-scientist/sandbox');
  expect(res.stdout.match(/warning: /g)).toHaveLength(1);
  expect(res.stdout).toContain('fast mode does not apply');
}, 300_000);

test('scientist template prepare: a requirement pip cannot satisfy fails with pip’s own error', async () => {
  const dir = copyOf('einops-needed', (d) =>
    writeFileSync(path.join(d, 'requirements.txt'), 'einops==0.0.999\n'),
  );
  const res = await scientist(['template', 'prepare', dir]);
  expect(res.code).toBe(1);
  expect(res.stderr).toContain('pip could not download einops==0.0.999');
  expect(res.stderr).toMatch(
    /ERROR: (Could not find a version that satisfies the requirement|No matching distribution found for) einops==0\.0\.999/,
  );
}, 300_000);

test('a dependency the base image lacks is downloaded and the offline build tried again; what the base has is not', async () => {
  const config = suiteConfig('derived-deps');
  // markdown-it-py needs mdurl, which the base lacks; our own tag, removed afterwards.
  const derived = await derivedImageFor({ config, log: createLogger('derived', 'warn') }, ['markdown-it-py']);
  try {
    expect(derived.built).toBe(true);
    expect(derived.log).toMatch(/round 1: the base lacks mdurl/);
    expect(derived.log).toMatch(/Successfully installed markdown-it-py-\S+ mdurl-\S+/);
    const saved = [...derived.log.matchAll(/Saved \S*\/([^/\s]+\.whl)/g)].map((m) => m[1]!.split('-')[0]);
    expect(saved.sort()).toEqual(['markdown_it_py', 'mdurl', 'pip']);
  } finally {
    await new Docker({ socketPath: config.docker.socketPath })
      .getImage(derived.image)
      .remove({ force: true })
      .catch(() => undefined);
  }
}, 300_000);

test('scientist run prints a failed preflight’s whole error, and the model is never asked', async () => {
  const llm = await FakeLlmServer.start();
  const id = uniqueId('cli-preflight');
  try {
    const res = await scientist(
      [
        'run',
        '--template',
        copyOf('cuda-only'),
        '--name',
        id,
        '--local-workers',
        '--ideas',
        '1',
        '--papers',
        '1',
      ],
      {
        SCIENTIST_TASK_QUEUE: `test-${id}-main`,
        SCIENTIST_GPU_TASK_QUEUE: `test-${id}-gpu`,
        SCIENTIST_S3_PREFIX: `test/${id}/`,
        SCIENTIST_GPU_COUNT: '0',
        SCIENTIST_LLM_DEFAULT: 'openai:cli-preflight-model',
        SCIENTIST_OPENAI_BASE_URL: llm.openaiBaseUrl,
        SCIENTIST_OPENAI_API_KEY: 'sk-cli-preflight',
        SCIENTIST_LOG_LEVEL: 'warn',
      },
    );
    expect(res.stdout).toContain(`campaign campaign-cuda-only-${id}: preflight-failed`);
    expect(res.stdout).toContain(`template cuda-only needs a GPU; no worker serving test-${id}-gpu has one`);
    expect(res.stdout).toContain('AssertionError: Torch not compiled with CUDA enabled');
    expect(res.stdout).toContain('total cost $0.0000');
    expect(res.code).not.toBe(0);
    expect(llm.requests).toHaveLength(0);
  } finally {
    await llm.close();
  }
}, 300_000);
