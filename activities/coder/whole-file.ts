/**
 * The "whole file" edit format, which code-editing tools offer weaker models: a reply that holds
 * the complete new file in one code fence instead of search/replace blocks. It counts as an
 * edit only when it is unambiguous (the fence or the line above it names the file, or only one
 * editable file was shown), complete (a closed fence, at least half the old file's lines),
 * parses as Python, and keeps what the template's contract needs (the `--out_dir` argument,
 * writing final_info.json, saving figures — whatever of these the old file had).
 *
 * The file is untrusted: it is parsed, never run, on the host. The parse is Python's own
 * `ast.parse` in an isolated interpreter (`-I`: no site packages, no current folder on the
 * path), fed on stdin with a time limit; parsing executes none of the file's code.
 */
import { spawn } from 'node:child_process';

export interface WholeFileCandidate {
  path: string;
  text: string;
}

export type WholeFileMatch = { ok: true; path: string; text: string } | { ok: false; reason: string };

/** Markers of the template contract: each one the old file has, the new file must keep. */
const CONTRACT_MARKERS: { marker: RegExp; what: string }[] = [
  { marker: /out_dir/, what: 'the --out_dir argument' },
  { marker: /final_info\.json/, what: 'writing final_info.json' },
  { marker: /savefig/, what: 'saving the figures (savefig)' },
];

const FENCE = /^(`{3,}|~{3,})\s*([^\n`]*)$/;
const PATHISH = /([\w./-]+\.\w+)/;

interface Fence {
  info: string;
  before: string;
  body: string;
  closed: boolean;
}

function fences(reply: string): Fence[] {
  const lines = reply.replace(/\r\n/g, '\n').split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!.trim());
    if (!open) continue;
    const ticks = open[1]!;
    let before = '';
    for (let k = i - 1; k >= 0 && k >= i - 2; k--)
      if (lines[k]!.trim()) {
        before = lines[k]!.trim();
        break;
      }
    const body: string[] = [];
    let j = i + 1;
    while (
      j < lines.length &&
      !(lines[j]!.trim().startsWith(ticks) && lines[j]!.trim().replace(/[`~]/g, '') === '')
    )
      body.push(lines[j++]!);
    out.push({ info: open[2]!.trim(), before, body: body.join('\n'), closed: j < lines.length });
    i = j;
  }
  return out;
}

/** The file a fence names: in its info string (```python experiment.py) or on the line above. */
function namedPath(f: Fence, candidates: WholeFileCandidate[]): string | undefined {
  for (const text of [f.info, f.before]) {
    const m = PATHISH.exec(text.replace(/[*`#:]/g, ' '));
    if (!m) continue;
    const name = m[1]!.replace(/^\.\//, '');
    const hit = candidates.find((c) => c.path === name || c.path.endsWith(`/${name}`));
    if (hit) return hit.path;
  }
  return undefined;
}

/**
 * Finds the whole-file reply among a reply's code fences. `candidates` are the files the model
 * was shown and may edit. Returns why not when there is none, or more than one possible.
 */
export function findWholeFile(reply: string, candidates: WholeFileCandidate[]): WholeFileMatch {
  const all = fences(reply).filter((f) => f.body.trim() !== '');
  if (all.length === 0) return { ok: false, reason: 'the reply has no edit blocks and no code fence' };
  const found: { path: string; fence: Fence }[] = [];
  for (const f of all) {
    const named = namedPath(f, candidates);
    const path = named ?? (candidates.length === 1 ? candidates[0]!.path : undefined);
    if (!path) continue;
    const old = candidates.find((c) => c.path === path)!;
    const oldLines = old.text.split('\n').filter((l) => l.trim()).length;
    const newLines = f.body.split('\n').filter((l) => l.trim()).length;
    // A snippet is not the file: the fence must hold at least half of its lines.
    if (newLines * 2 < oldLines) continue;
    if (!f.closed)
      return { ok: false, reason: `the whole ${path} in the reply is cut off (its code fence never closes)` };
    found.push({ path, fence: f });
  }
  if (found.length === 0)
    return {
      ok: false,
      reason:
        candidates.length === 1
          ? `no code fence in the reply holds the whole ${candidates[0]!.path}`
          : `no code fence in the reply names one of ${candidates.map((c) => c.path).join(', ')} and holds the whole file`,
    };
  const paths = new Set(found.map((f) => f.path));
  if (found.length > 1 && paths.size === 1 && found.every((f) => f.fence.body === found[0]!.fence.body))
    found.length = 1;
  if (found.length > 1)
    return {
      ok: false,
      reason: `the reply has ${found.length} whole-file code fences; send one file, or edit blocks`,
    };
  const text = found[0]!.fence.body.endsWith('\n') ? found[0]!.fence.body : `${found[0]!.fence.body}\n`;
  return { ok: true, path: found[0]!.path, text };
}

/** What of the contract the old file had and the new one lost. */
export function lostContract(oldText: string, newText: string): string[] {
  return CONTRACT_MARKERS.filter(({ marker }) => marker.test(oldText) && !marker.test(newText)).map(
    ({ what }) => what,
  );
}

const PARSE_TIMEOUT_MS = 10_000;
const MAX_PARSE_BYTES = 2 * 1024 * 1024;
const PARSE_SCRIPT =
  'import ast,sys\n' +
  'src=sys.stdin.buffer.read()\n' +
  'try:\n' +
  ' ast.parse(src)\n' +
  'except SyntaxError as e:\n' +
  ' print(f"line {e.lineno}: {e.msg}"); sys.exit(1)\n' +
  'except (ValueError, RecursionError, MemoryError) as e:\n' +
  ' print(str(e)[:200]); sys.exit(1)\n';

/** Python's parse of `source` (never run): undefined when it parses, else the syntax error. */
export function pythonSyntaxError(source: string, python = 'python3'): Promise<string | undefined> {
  if (Buffer.byteLength(source) > MAX_PARSE_BYTES)
    return Promise.resolve(`the file is over ${MAX_PARSE_BYTES} bytes`);
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-I', '-S', '-c', PARSE_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: PARSE_TIMEOUT_MS,
      env: {},
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal) resolve(`the parse did not finish (${signal})`);
      else resolve(code === 0 ? undefined : out.trim().slice(0, 300) || `python exited ${code}`);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(source);
  });
}

/**
 * A whole-file reply checked as an edit: the new text, or why it is not accepted. Never throws
 * for a bad reply.
 */
export async function acceptWholeFile(
  reply: string,
  candidates: WholeFileCandidate[],
): Promise<WholeFileMatch> {
  const found = findWholeFile(reply, candidates);
  if (!found.ok) return found;
  const old = candidates.find((c) => c.path === found.path)!.text;
  if (found.text.trim() === old.trim())
    return { ok: false, reason: `the whole ${found.path} in the reply is the current file unchanged` };
  if (found.path.endsWith('.py')) {
    const syntax = await pythonSyntaxError(found.text);
    if (syntax)
      return { ok: false, reason: `the whole ${found.path} in the reply does not parse: ${syntax}` };
  }
  const lost = lostContract(old, found.text);
  if (lost.length)
    return {
      ok: false,
      reason: `the whole ${found.path} in the reply drops what the template needs: ${lost.join(', ')}`,
    };
  return found;
}
