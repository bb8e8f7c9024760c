import { existsSync } from 'node:fs';
import {
  acceptWholeFile,
  findWholeFile,
  lostContract,
  pythonSyntaxError,
} from '../../../activities/coder/whole-file';

const EXPERIMENT = [
  'import argparse, json, os',
  '',
  'parser = argparse.ArgumentParser()',
  'parser.add_argument("--out_dir", default="run_0")',
  'args = parser.parse_args()',
  'lr = 1e-3',
  'os.makedirs(args.out_dir, exist_ok=True)',
  'with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:',
  '    json.dump({"acc": {"means": 0.9}}, f)',
  '',
].join('\n');
const EDITED = EXPERIMENT.replace('lr = 1e-3', 'lr = 3e-4');
const shown = [{ path: 'experiment.py', text: EXPERIMENT }];
const fence = (body: string, info = 'python') => `\`\`\`${info}\n${body}\`\`\`\n`;

describe('whole-file edits: finding the file in a reply', () => {
  it('takes the one fence when only one file was shown, and the file named in the fence or above it', () => {
    expect(findWholeFile(`Here is the new file:\n${fence(EDITED)}`, shown)).toEqual({
      ok: true,
      path: 'experiment.py',
      text: EDITED,
    });
    const two = [...shown, { path: 'plot.py', text: 'import matplotlib\nplt.savefig("a.png")\n' }];
    expect(findWholeFile(fence(EDITED, 'python experiment.py'), two)).toMatchObject({
      ok: true,
      path: 'experiment.py',
    });
    expect(findWholeFile(`**experiment.py**\n${fence(EDITED)}`, two)).toMatchObject({
      ok: true,
      path: 'experiment.py',
    });
    // Two files shown and the fence names neither: ambiguous, not guessed.
    expect(findWholeFile(fence(EDITED), two)).toMatchObject({
      ok: false,
      reason: /names one of experiment.py, plot.py/,
    });
  });

  it('refuses a snippet, a cut-off fence and two different whole files', () => {
    expect(findWholeFile(fence('lr = 3e-4\n'), shown)).toMatchObject({
      ok: false,
      reason: /holds the whole experiment.py/,
    });
    expect(findWholeFile(`\`\`\`python\n${EDITED}`, shown)).toMatchObject({ ok: false, reason: /cut off/ });
    expect(findWholeFile(fence(EDITED) + fence(EDITED.replace('3e-4', '1e-4')), shown)).toMatchObject({
      ok: false,
      reason: /2 whole-file code fences/,
    });
    expect(findWholeFile('I changed the learning rate.', shown)).toMatchObject({
      ok: false,
      reason: /no code fence/,
    });
  });
});

describe('whole-file edits: accepting one', () => {
  it('names what of the template contract a new file dropped', () => {
    expect(lostContract(EXPERIMENT, EDITED)).toEqual([]);
    expect(lostContract(EXPERIMENT, 'print(1)\n')).toEqual([
      'the --out_dir argument',
      'writing final_info.json',
    ]);
  });

  it('parses with Python without running the file (a file that would write a marker leaves none)', async () => {
    expect(await pythonSyntaxError(EDITED)).toBeUndefined();
    expect(await pythonSyntaxError('def f(:\n  pass\n')).toMatch(/line 1/);
    const marker = `/tmp/whole-file-test-${process.pid}`;
    expect(await pythonSyntaxError(`open(${JSON.stringify(marker)}, "w").write("ran")\n`)).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
  });

  it('accepts a complete, parsing file that keeps the contract, and says why not otherwise', async () => {
    await expect(acceptWholeFile(fence(EDITED), shown)).resolves.toEqual({
      ok: true,
      path: 'experiment.py',
      text: EDITED,
    });
    await expect(acceptWholeFile(fence(EXPERIMENT), shown)).resolves.toMatchObject({
      ok: false,
      reason: /unchanged/,
    });
    const broken = EDITED.replace('lr = 3e-4', 'lr = (3e-4');
    await expect(acceptWholeFile(fence(broken), shown)).resolves.toMatchObject({
      ok: false,
      reason: /does not parse: line/,
    });
    const noOutDir = EDITED.replace(/out_dir/g, 'output').replace('lr = 3e-4', 'lr = 3e-4\nx = 1\ny = 2');
    await expect(acceptWholeFile(fence(noOutDir), shown)).resolves.toMatchObject({
      ok: false,
      reason: /drops what the template needs: the --out_dir argument/,
    });
  });
});
