/**
 * The template validator on the shipped templates, a user's AI-Scientist-layout template, and
 * malformed ones (a fixture with every problem at once, and single-problem copies in temp dirs).
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../../../lib/errors';
import { loadTemplateFiles, validateTemplate } from '../../../activities/experiments/template';
import { FIXTURES, SHIPPED_TEMPLATES, TEMPLATES_DIR } from '../../templates/helpers';

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of the AI-Scientist fixture with one file replaced (null = deleted). */
function variant(file: string, content: string | null): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tpl-variant-'));
  tmpDirs.push(root);
  const dir = path.join(root, 'variant');
  cpSync(path.join(FIXTURES, 'ai-scientist'), dir, { recursive: true });
  if (content === null) rmSync(path.join(dir, file));
  else writeFileSync(path.join(dir, file), content);
  return dir;
}

async function problemsOf(dir: string): Promise<string> {
  try {
    await validateTemplate(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).retryable).toBe(false);
    return (err as Error).message;
  }
  throw new Error(`${dir} was accepted`);
}

describe('validateTemplate', () => {
  test.each(SHIPPED_TEMPLATES)(
    'accepts the shipped template %s with all runner conventions',
    async (name) => {
      const info = await validateTemplate(path.join(TEMPLATES_DIR, name));
      expect(info.name).toBe(name);
      expect(info.prompt.system.length).toBeGreaterThan(20);
      expect(info.prompt.taskDescription.length).toBeGreaterThan(100);
      expect(info.seedIdeas.length).toBeGreaterThanOrEqual(2);
      expect(info.conventions).toEqual({ fastMode: true, checkpoints: true, progress: true });
      expect(info.bibliography).toEqual(['references']);
      expect(info.requirements).toEqual([]);
    },
  );

  test('accepts an AI-Scientist-layout template without our checkpoint/progress conventions', async () => {
    const info = await validateTemplate(path.join(FIXTURES, 'ai-scientist'));
    expect(info.conventions).toEqual({ fastMode: false, checkpoints: false, progress: false });
    expect(info.seedIdeas[0]).toMatchObject({ Name: 'learning_rate_schedule', novel: true });
  });

  test('lists every problem of a malformed template in one error', async () => {
    const message = await problemsOf(path.join(FIXTURES, 'broken'));
    for (const expected of [
      'missing file plot.py',
      'prompt.json is not valid JSON',
      'seed_ideas.json[0]: "Interestingness" must be a number from 1 to 10',
      'seed_ideas.json[1]: "Title" must be a non-empty string',
      'seed_ideas.json[1]: "Feasibility" must be a number from 1 to 10',
      'seed_ideas.json[1]: "Novelty" must be a number from 1 to 10',
      'seed_ideas.json[1]: duplicate Name "a"',
      'experiment.py must accept --out_dir',
      'experiment.py must write <out_dir>/final_info.json',
      'latex/template.tex has no \\begin{document}',
      'latex/template.tex has no \\end{document}',
      'latex/template.tex has no bibliography',
      'requirements.txt: "--index-url http://example.invalid/simple" is not a plain requirement',
      'requirements.txt: "git+http://example.invalid/pkg.git" is not a plain requirement',
      'run_0/final_info.json does not have the expected shape',
    ]) {
      expect(message).toContain(expected);
    }
    expect(message).not.toContain('numpy>=1.24');
  });

  test.each([
    ['prompt.json', '{"system": "x"}', 'prompt.json: "task_description" must be a non-empty string'],
    ['prompt.json', '["system"]', 'prompt.json must be an object'],
    ['seed_ideas.json', '[]', 'seed_ideas.json must be a non-empty array'],
    ['seed_ideas.json', '{"Name": "x"}', 'seed_ideas.json must be a non-empty array'],
    ['experiment.py', null, 'missing file experiment.py'],
    ['latex/template.tex', null, 'missing file latex/template.tex'],
    [
      'latex/template.tex',
      '\\documentclass{article}\\begin{document}x\\bibliography{refs}\\end{document}',
      'cites from refs.bib, which is neither embedded (filecontents) nor in latex/',
    ],
    [
      'run_0/final_info.json',
      '{"d": {"means": 3}}',
      'run_0/final_info.json does not have the expected shape',
    ],
    ['run_0/final_info.json', '{}', 'run_0/final_info.json is empty'],
  ])('rejects %s = %j', async (file, content, expected) => {
    const message = await problemsOf(variant(file, content));
    expect(message).toContain(expected);
  });

  test('accepts a bibliography kept as a .bib file beside the skeleton, and plain requirements', async () => {
    const dir = variant(
      'latex/template.tex',
      '\\documentclass{article}\\begin{document}x\\bibliography{refs}\\end{document}',
    );
    writeFileSync(path.join(dir, 'latex', 'refs.bib'), '@misc{a, title={A}}\n');
    writeFileSync(
      path.join(dir, 'requirements.txt'),
      '# extra packages\neinops>=0.6\nscikit-learn==1.3.2 ; python_version >= "3.9"\n',
    );
    const info = await validateTemplate(dir);
    expect(info.bibliography).toEqual(['refs']);
    expect(info.requirements).toEqual(['einops>=0.6', 'scikit-learn==1.3.2 ; python_version >= "3.9"']);
  });

  test('rejects a folder that does not exist', async () => {
    expect(await problemsOf(path.join(tmpdir(), 'no-such-template-here'))).toContain('does not exist');
  });
});

describe('loadTemplateFiles', () => {
  test('returns the code an LLM edits and skips data, latex, runs, links, binaries and large files', async () => {
    const dir = variant('notes.txt', '# Title: baseline\n');
    writeFileSync(path.join(dir, 'helpers.py'), 'X = 1\n');
    writeFileSync(path.join(dir, 'blob.py'), Buffer.from([0x70, 0x00, 0x71]));
    writeFileSync(path.join(dir, 'huge.py'), '#'.repeat(300 * 1024));
    symlinkSync('/etc/passwd', path.join(dir, 'linked.py'));
    cpSync(path.join(TEMPLATES_DIR, 'nanogpt', 'data'), path.join(dir, 'data'), { recursive: true });
    const files = await loadTemplateFiles(dir);
    expect(Object.keys(files)).toEqual(['experiment.py', 'helpers.py', 'notes.txt', 'plot.py']);
    expect(files['helpers.py']).toBe('X = 1\n');
  });

  test('the nanogpt template exposes its code but not its corpus', async () => {
    const files = await loadTemplateFiles(path.join(TEMPLATES_DIR, 'nanogpt'));
    expect(Object.keys(files)).toEqual(['experiment.py', 'plot.py']);
  });
});
