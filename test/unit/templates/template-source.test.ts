/**
 * Naming a template by path, its manifest (template.json), and what its copy into the store
 * keeps and leaves out: on the user-style fixtures (test/templates/fixtures/user) and copies of
 * them in temp dirs. No service runs here; the store is a local fake of the ArtifactStore.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateTemplate } from '../../../activities/experiments/template';
import { fastModeOf } from '../../../activities/experiments/template-manifest';
import {
  formatCopyReport,
  readTemplateTree,
  resolveTemplateDir,
} from '../../../activities/experiments/template-source';
import { InvalidInputError } from '../../../lib/errors';
import { FIXTURES, SHIPPED_TEMPLATES, TEMPLATES_DIR } from '../../templates/helpers';

const USER = path.join(FIXTURES, 'user');
const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copyOf(fixture: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tpl-src-'));
  tmpDirs.push(root);
  const dir = path.join(root, fixture);
  cpSync(path.join(USER, fixture), dir, { recursive: true });
  return dir;
}

async function problemsOf(dir: string): Promise<string> {
  try {
    await validateTemplate(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as Error).message;
  }
  throw new Error(`${dir} was accepted`);
}

describe('resolveTemplateDir', () => {
  test('a bare name is a folder of templates/; anything with a slash or a leading dot is a path', () => {
    expect(resolveTemplateDir('grokking', '/t', '/home/u')).toBe('/t/grokking');
    expect(resolveTemplateDir('./mine', '/t', '/home/u')).toBe('/home/u/mine');
    expect(resolveTemplateDir('../x/y', '/t', '/home/u/w')).toBe('/home/u/x/y');
    expect(resolveTemplateDir('/abs/tpl', '/t', '/home/u')).toBe('/abs/tpl');
    expect(() => resolveTemplateDir(' ', '/t')).toThrow(InvalidInputError);
  });
});

describe('validateTemplate on templates written for the AI Scientist', () => {
  test('finds --out_dir in a helper module that experiment.py imports', async () => {
    const info = await validateTemplate(path.join(USER, 'helper-args'));
    expect(info.name).toBe('helper-args');
    expect(info.manifest?.fast).toEqual({ env: {}, args: ['--steps', '25'] });
    expect(info.conventions.fastMode).toBe(true);
    expect(info.warnings).toEqual([]);
  });

  test('without options.py the same template is refused: no module declares --out_dir', async () => {
    const dir = copyOf('helper-args');
    rmSync(path.join(dir, 'options.py'));
    expect(await problemsOf(dir)).toContain('no module of the template declares it');
  });

  test('a template without a fast mode gets exactly one warning that fast mode does not apply', async () => {
    const info = await validateTemplate(path.join(USER, 'no-fast'));
    expect(info.conventions.fastMode).toBe(false);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toContain('fast mode does not apply');
  });

  test('the shipped templates carry a manifest with their fast mode and metrics', async () => {
    for (const name of SHIPPED_TEMPLATES) {
      const info = await validateTemplate(path.join(TEMPLATES_DIR, name));
      expect(info.manifest?.fast?.env).toEqual({ SCIENTIST_FAST: '1' });
      expect(info.manifest?.metrics?.length).toBeGreaterThan(3);
      expect(info.warnings).toEqual([]);
    }
  });

  test('lists manifest problems with every other problem in one message', async () => {
    const dir = copyOf('no-fast');
    writeFileSync(
      path.join(dir, 'template.json'),
      JSON.stringify({ fast: { env: { 'bad name': 'x' } }, data: [{ path: '../outside' }], colour: 1 }),
    );
    rmSync(path.join(dir, 'plot.py'));
    const message = await problemsOf(dir);
    expect(message).toContain('missing file plot.py');
    expect(message).toContain('template.json: "fast.env.bad name"');
    expect(message).toContain('template.json: "data.0.path"');
    expect(message).toMatch(/template\.json: .*colour/);
    writeFileSync(path.join(dir, 'template.json'), '{ not json');
    expect(await problemsOf(dir)).toContain('template.json is not valid JSON');
  });

  test('data that must be prepared first is reported with the path where it should go', async () => {
    const dir = copyOf('large-data');
    writeFileSync(
      path.join(dir, 'template.json'),
      JSON.stringify({ data: [{ path: 'data/prepared', prepare: 'python prepare.py --out data/prepared' }] }),
    );
    const message = await problemsOf(dir);
    expect(message).toContain(
      `data "data/prepared" must be downloaded or prepared first (python prepare.py --out data/prepared); put the prepared files in ${path.join(dir, 'data', 'prepared')}`,
    );
  });

  test('a link to a template folder is followed once; the name is the link’s', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tpl-link-'));
    tmpDirs.push(root);
    symlinkSync(path.join(USER, 'no-fast'), path.join(root, 'mine'));
    const info = await validateTemplate(path.join(root, 'mine'));
    expect(info.name).toBe('mine');
    expect(info.dir).toBe(path.join(USER, 'no-fast'));
  });
});

describe('readTemplateTree', () => {
  test('stores large data files and reports what it left out, and why', async () => {
    const dir = copyOf('large-data');
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    writeFileSync(path.join(dir, 'data', 'points.f32'), big);
    symlinkSync('/etc/passwd', path.join(dir, 'data', 'linked.txt'));
    mkdirSync(path.join(dir, '__pycache__'));
    writeFileSync(path.join(dir, '__pycache__', 'x.pyc'), 'x');
    mkdirSync(path.join(dir, 'run_0'));
    writeFileSync(path.join(dir, '.secret'), 'x');
    const info = await validateTemplate(dir);
    const { files, report } = await readTemplateTree(info);
    expect(files['data/points.f32']?.length).toBe(big.length);
    expect(report.large).toEqual([{ path: 'data/points.f32', bytes: big.length }]);
    expect(report.left.map((l) => `${l.path}: ${l.reason}`).sort()).toEqual([
      '.secret: hidden entry',
      '__pycache__: Python cache',
      'data/linked.txt: a link (links inside a template are not followed)',
      "run_0: an earlier run's output (the baseline runs again)",
    ]);
    expect(formatCopyReport(report)).toContain('stored large file data/points.f32 (3.0 MiB)');
  });

  test('over the budget a file is left out with the budget it exceeded, never silently', async () => {
    const dir = copyOf('large-data');
    writeFileSync(path.join(dir, 'data', 'points.f32'), Buffer.alloc(3 * 1024 * 1024));
    const info = await validateTemplate(dir);
    const { files, report } = await readTemplateTree(info, {
      fileBytes: 2 * 1024 * 1024,
      totalBytes: 1 << 30,
      files: 100,
    });
    expect(files['data/points.f32']).toBeUndefined();
    expect(report.left).toEqual([
      { path: 'data/points.f32', bytes: 3 * 1024 * 1024, reason: 'larger than the 2 MiB per-file budget' },
    ]);
  });
});

describe('fastModeOf', () => {
  test('the manifest’s fast arguments and settings, nothing without one', () => {
    expect(fastModeOf('{"fast": {"args": ["--steps", "25"], "env": {"N_ITERS": "5"}}}')).toEqual({
      args: ['--steps', '25'],
      env: { N_ITERS: '5' },
    });
    expect(fastModeOf(undefined)).toEqual({ env: {}, args: [] });
    expect(fastModeOf('{"fast": {"env": {"bad name": "x"}}}')).toEqual({ env: {}, args: [] });
  });
});
