import { experimentEditable, globToRegExp, MAX_EDITABLE_BYTES } from '../../../activities/coder/editable';
import { applyEdits, parseEditBlocks } from '../../../activities/coder/edit-engine';

const WORKSPACE = {
  'experiment.py': 9000,
  'models/net.py': 2000,
  'models/data.py': 1500,
  'utils.py': 800,
  'plot.py': 1200,
  'notes.txt': 300,
  'template.json': 200,
  'run_0/final_info.json': 400,
  'run_0/helper.py': 100,
  'latex/template.tex': 5000,
  'big_table.py': MAX_EDITABLE_BYTES + 1,
};

describe('the files the coder sees and may edit', () => {
  it('by default: every Python file of the template under the size bound, experiment.py first; never run outputs, LaTeX, plot.py', () => {
    const scope = experimentEditable(WORKSPACE);
    expect(scope.source).toBe('default');
    expect(scope.shown).toEqual(['experiment.py', 'models/data.py', 'models/net.py', 'utils.py']);
    for (const p of ['notes.txt', 'models/new_block.py']) expect(scope.editable(p)).toBe(true);
    for (const p of ['plot.py', 'run_0/helper.py', 'latex/template.tex', 'template.json', 'big_table.py'])
      expect(scope.editable(p)).toBe(false);
  });

  it('with template.json: only its editable globs (plus experiment.py and notes.txt)', () => {
    const manifest = JSON.stringify({ editable: ['experiment.py', 'plot.py', 'models/*.py'] });
    const scope = experimentEditable(WORKSPACE, manifest);
    expect(scope.source).toBe('template.json');
    expect(scope.shown).toEqual(['experiment.py', 'models/data.py', 'models/net.py']);
    expect(scope.editable('utils.py')).toBe(false);
    expect(scope.editable('plot.py')).toBe(false);
  });

  it('globs: * stays in one folder, ** crosses folders', () => {
    expect(globToRegExp('models/*.py').test('models/net.py')).toBe(true);
    expect(globToRegExp('models/*.py').test('models/sub/net.py')).toBe(false);
    expect(globToRegExp('**/*.py').test('a/b/c.py')).toBe(true);
    expect(globToRegExp('**/*.py').test('c.py')).toBe(true);
    expect(globToRegExp('exp?.py').test('exp1.py')).toBe(true);
    expect(globToRegExp('a.py').test('axpy')).toBe(false);
  });

  it('blocks name their file; one naming a path outside the workspace or outside the scope is refused, and nothing changes', () => {
    const scope = experimentEditable(WORKSPACE);
    const files = {
      'experiment.py': 'from models.net import Net\nlr = 1e-3\n',
      'models/net.py': 'width = 64\n',
    };
    const block = (path: string, search: string, replace: string) =>
      `${path}\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n`;
    const ok = applyEdits(
      files,
      parseEditBlocks(
        block('experiment.py', 'lr = 1e-3', 'lr = 3e-4') +
          block('models/net.py', 'width = 64', 'width = 128'),
      ),
      scope.editable,
    );
    expect(ok).toMatchObject({ ok: true, changed: ['experiment.py', 'models/net.py'] });
    for (const bad of ['../outside.py', '/etc/passwd', 'models/../../x.py', 'plot.py']) {
      const r = applyEdits(
        files,
        parseEditBlocks(block('experiment.py', 'lr = 1e-3', 'lr = 3e-4') + block(bad, '', 'import os\n')),
        scope.editable,
      );
      expect(r).toEqual({
        ok: false,
        failures: [expect.objectContaining({ path: bad, reason: 'forbidden-path' })],
      });
    }
  });
});
