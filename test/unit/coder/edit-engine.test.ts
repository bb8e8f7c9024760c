import {
  applyEdits,
  describeFailures,
  EditFormatError,
  parseEditBlocks,
} from '../../../activities/coder/edit-engine';
import { applyReply, editFormat } from '../../../activities/coder';
import type { ArtifactStore } from '../../../lib/store';

const FILE = [
  'import torch',
  '',
  'def train(cfg):',
  '    lr = 1e-3',
  '    for step in range(100):',
  '        loss = step_fn(lr)',
  '    return loss',
  '',
].join('\n');

const block = (path: string, search: string, replace: string) =>
  `${path}\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n`;

describe('edit engine: parsing', () => {
  it('reads several blocks with their paths, ignoring prose and code fences', () => {
    const reply = `I will lower the learning rate.\n\n\`\`\`python\n${block('experiment.py', '    lr = 1e-3', '    lr = 3e-4')}\`\`\`\nAnd notes:\n${block('notes.txt', '', 'Run 1: lower lr')}`;
    expect(parseEditBlocks(reply)).toEqual([
      { path: 'experiment.py', search: '    lr = 1e-3', replace: '    lr = 3e-4' },
      { path: 'notes.txt', search: '', replace: 'Run 1: lower lr' },
    ]);
  });

  it('rejects a block without its closing marker, saying which', () => {
    expect(() => parseEditBlocks('experiment.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n')).toThrow(
      EditFormatError,
    );
    expect(() => parseEditBlocks('experiment.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n')).toThrow(
      /REPLACE/,
    );
  });
});

describe('edit engine: a reply cut off at its token limit', () => {
  const lr = block('experiment.py', '    lr = 1e-3', '    lr = 3e-4');

  it('uses the complete blocks, once each, and drops the block the reply ends inside', () => {
    // As Qwen replied on the main job: one valid block repeated until the limit cut the third.
    const reply = `${lr}\n${lr}\nexperiment.py\n<<<<<<< SEARCH\n    lr = 1e-3\n=======\n    lr =`;
    const blocks = parseEditBlocks(reply);
    expect(blocks).toEqual([{ path: 'experiment.py', search: '    lr = 1e-3', replace: '    lr = 3e-4' }]);
    const r = applyEdits({ 'experiment.py': FILE }, blocks);
    expect(r.ok && r.files['experiment.py']).toContain('    lr = 3e-4\n');
  });

  it('drops a last block cut off inside its SEARCH lines too', () => {
    expect(parseEditBlocks(`${lr}\nexperiment.py\n<<<<<<< SEARCH\n    for step`)).toHaveLength(1);
  });

  it('keeps the first of several versions of one block (a sweep written as alternatives)', () => {
    // As Qwen replied on the second main job: the same SEARCH three times, each with other values.
    const others = [1e-4, 1e-5].map((v) => block('experiment.py', '    lr = 1e-3', `    lr = ${v}`));
    expect(parseEditBlocks([lr, ...others].join('\n'))).toEqual([
      { path: 'experiment.py', search: '    lr = 1e-3', replace: '    lr = 3e-4' },
    ]);
    // Other lines, or the same lines of another file, are other blocks.
    const loop = block('experiment.py', '    for step in range(100):', '    for step in range(50):');
    expect(
      parseEditBlocks(`${lr}\n${loop}\n${block('plot.py', '    lr = 1e-3', '    lr = 0')}`),
    ).toHaveLength(3);
  });

  it('still refuses a broken block followed by others', () => {
    expect(() => parseEditBlocks(`experiment.py\n<<<<<<< SEARCH\n    lr = 1e-3\n${lr}`)).toThrow(
      /missing "=======" line/,
    );
  });
});

describe('edit engine: applying', () => {
  it('applies an exact match', () => {
    const r = applyEdits(
      { 'experiment.py': FILE },
      parseEditBlocks(block('experiment.py', '    lr = 1e-3', '    lr = 3e-4')),
    );
    expect(r.ok && r.files['experiment.py']).toContain('    lr = 3e-4\n');
    expect(r.ok && r.fuzzyMatches).toBe(0);
  });

  it('tolerates lost indentation and trailing spaces, re-indenting the replacement to the file', () => {
    const r = applyEdits(
      { 'experiment.py': FILE },
      parseEditBlocks(
        block(
          'experiment.py',
          'for step in range(100):  \n    loss = step_fn(lr)',
          'for step in range(200):\n    loss = step_fn(lr * 0.5)',
        ),
      ),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.files['experiment.py']).toContain(
      '    for step in range(200):\n        loss = step_fn(lr * 0.5)\n',
    );
    expect(r.fuzzyMatches).toBe(1);
  });

  it('is all-or-nothing: one failing block leaves every file unchanged and reports the closest lines', () => {
    const files = { 'experiment.py': FILE };
    const reply =
      block('experiment.py', '    lr = 1e-3', '    lr = 3e-4') +
      block('experiment.py', '    momentum = 0.9', '    momentum = 0.95');
    const r = applyEdits(files, parseEditBlocks(reply));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ block: 2, reason: 'not-found' });
    expect(files['experiment.py']).toBe(FILE);
    expect(describeFailures(r.failures)).toMatch(/None of your edits were applied/);
  });

  it('refuses an ambiguous search', () => {
    const r = applyEdits({ 'a.py': 'x = 1\ny = 2\nx = 1\n' }, [
      { path: 'a.py', search: 'x = 1', replace: 'x = 3' },
    ]);
    expect(!r.ok && r.failures[0]!.reason).toBe('ambiguous');
  });

  it('creates a new file from an empty search, and refuses paths outside the workspace or not editable', () => {
    const r = applyEdits({ 'experiment.py': FILE }, [{ path: 'notes.txt', search: '', replace: '# Notes' }]);
    expect(r.ok && r.files['notes.txt']).toBe('# Notes\n');
    const bad = applyEdits(
      {},
      [
        { path: '../etc/passwd', search: '', replace: 'x' },
        { path: 'run.sh', search: '', replace: 'x' },
      ],
      (p) => p.endsWith('.py') || p === 'notes.txt',
    );
    expect(!bad.ok && bad.failures.map((f) => f.reason)).toEqual(['forbidden-path', 'forbidden-path']);
  });

  it('reports a missing file with the list of files', () => {
    const r = applyEdits({ 'experiment.py': FILE }, [{ path: 'model.py', search: 'x', replace: 'y' }]);
    expect(!r.ok && r.failures[0]!.message).toMatch(/no file model.py; files: experiment.py/);
  });
});

describe('applyReply: a block that copies the format example', () => {
  const format = editFormat('experiment.py', {
    what: 'to lower the learning rate',
    search: '    learning_rate = 1e-3\n    weight_decay = 0.0',
    replace: '    learning_rate = 3e-4\n    weight_decay = 0.01',
  });
  const files = { 'experiment.py': Buffer.from(FILE) };
  // A failed edit is answered before anything is stored: the store is never reached.
  const noStore = {} as ArtifactStore;

  it('says that the SEARCH lines are the example, not lines of the file', async () => {
    const reply = block(
      'experiment.py',
      '    learning_rate = 1e-3\n    weight_decay = 0.0',
      '    learning_rate = 3e-4',
    );
    const r = await applyReply(noStore, 'cas/workspace/x', files, reply, () => true, format);
    expect(r.status).toBe('edit-failed');
    expect(r.status === 'edit-failed' && r.feedback).toMatch(/are the example from the instructions/);
  });

  it('says nothing of the kind for a SEARCH that is simply not in the file', async () => {
    const reply = block('experiment.py', '    momentum = 0.9', '    momentum = 0.8');
    const r = await applyReply(noStore, 'cas/workspace/x', files, reply, () => true, format);
    expect(r.status === 'edit-failed' && r.feedback).not.toMatch(/example/);
  });
});
