/**
 * The edit engine: applies a model's search/replace blocks to a set of files.
 *
 * Block format (one or more per reply; the file path on the line before each block):
 *
 *     experiment.py
 *     <<<<<<< SEARCH
 *     lr = 1e-3
 *     =======
 *     lr = 3e-4
 *     >>>>>>> REPLACE
 *
 * Matching: the exact text first; then a whitespace-tolerant match (trailing spaces ignored,
 * indentation compared after removing the common indent, and the replacement re-indented to
 * the file's indent). A SEARCH that matches more than once is ambiguous. An empty SEARCH
 * creates a new file (or appends to an empty one). Edits are all-or-nothing: if any block fails,
 * no file changes and every failure is reported with the closest lines of the file, so the
 * model can try again — never a silent partial edit.
 */

export interface EditBlock {
  path: string;
  search: string;
  replace: string;
}

export interface EditFailure {
  block: number;
  path: string;
  reason: 'no-such-file' | 'not-found' | 'ambiguous' | 'forbidden-path';
  /** What the model should see: why, and the nearest text in the file when there is one. */
  message: string;
}

export type EditResult =
  | { ok: true; files: Record<string, string>; changed: string[]; fuzzyMatches: number }
  | { ok: false; failures: EditFailure[] };

const SEARCH = /^<{5,9} SEARCH\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const REPLACE = /^>{5,9} REPLACE\s*$/;

/**
 * Extracts the blocks from a reply; text outside blocks is ignored. A block the reply ends inside
 * (a reply cut off at its token limit) is dropped when complete blocks come before it, and a
 * block that searches the same lines of the same file as an earlier one is dropped: small models
 * loop on their first block until the limit, or write a sweep as several versions of one block
 * (both seen on the main job), and only the first can apply — after it the lines are gone. No
 * sound edit loses anything by this: a second block with the same SEARCH could never apply.
 * Throws on a broken block anywhere else, and when not one block is complete.
 */
export function parseEditBlocks(reply: string): EditBlock[] {
  const lines = reply.replace(/\r\n/g, '\n').split('\n');
  const blocks: EditBlock[] = [];
  const seen = new Set<string>();
  const cutOff = (what: string) => {
    if (blocks.length === 0) throw new EditFormatError(what);
    return blocks;
  };
  for (let i = 0; i < lines.length; i++) {
    if (!SEARCH.test(lines[i]!)) continue;
    const path = findPath(lines, i);
    if (!path)
      throw new EditFormatError(
        `block ${blocks.length + 1}: no file path on the line before "<<<<<<< SEARCH"`,
      );
    const searchLines: string[] = [];
    let j = i + 1;
    while (j < lines.length && !DIVIDER.test(lines[j]!)) {
      if (SEARCH.test(lines[j]!))
        throw new EditFormatError(`block ${blocks.length + 1} (${path}): missing "=======" line`);
      searchLines.push(lines[j++]!);
    }
    if (j >= lines.length) return cutOff(`block ${blocks.length + 1} (${path}): missing "=======" line`);
    const replaceLines: string[] = [];
    j++;
    while (j < lines.length && !REPLACE.test(lines[j]!)) replaceLines.push(lines[j++]!);
    if (j >= lines.length)
      return cutOff(`block ${blocks.length + 1} (${path}): missing ">>>>>>> REPLACE" line`);
    const block = { path, search: searchLines.join('\n'), replace: replaceLines.join('\n') };
    const id = JSON.stringify([block.path, block.search]);
    if (!seen.has(id)) blocks.push(block);
    seen.add(id);
    i = j;
  }
  return blocks;
}

export class EditFormatError extends Error {
  override name = 'EditFormatError';
}

/** The nearest non-blank line above a block, stripped of markdown fences and backticks. */
function findPath(lines: string[], searchLine: number): string | undefined {
  for (let k = searchLine - 1; k >= 0 && k >= searchLine - 3; k--) {
    const t = lines[k]!.trim()
      .replace(/^```\w*$/, '')
      .replace(/^[`*#\s]+|[`*:\s]+$/g, '');
    if (t) return t;
  }
  return undefined;
}

/**
 * Applies blocks to `files` (path → content). `editable` limits which paths may be written
 * (e.g. experiment.py, plot.py, notes.txt); anything else is refused, as is any path that tries
 * to leave the workspace.
 */
export function applyEdits(
  files: Record<string, string>,
  blocks: EditBlock[],
  editable?: (path: string) => boolean,
): EditResult {
  const next = { ...files };
  const failures: EditFailure[] = [];
  const changed = new Set<string>();
  let fuzzyMatches = 0;
  blocks.forEach((b, index) => {
    const block = index + 1;
    if (b.path.startsWith('/') || b.path.split('/').includes('..') || (editable && !editable(b.path))) {
      failures.push({
        block,
        path: b.path,
        reason: 'forbidden-path',
        message: `block ${block}: ${b.path} may not be edited`,
      });
      return;
    }
    const current = next[b.path];
    if (current === undefined) {
      if (b.search.trim() === '') {
        next[b.path] = ensureTrailingNewline(b.replace);
        changed.add(b.path);
        return;
      }
      failures.push({
        block,
        path: b.path,
        reason: 'no-such-file',
        message: `block ${block}: there is no file ${b.path}; files: ${Object.keys(files).sort().join(', ')}`,
      });
      return;
    }
    if (b.search.trim() === '') {
      if (current.trim() !== '') {
        failures.push({
          block,
          path: b.path,
          reason: 'ambiguous',
          message: `block ${block}: empty SEARCH on non-empty ${b.path}; quote the lines to replace`,
        });
        return;
      }
      next[b.path] = ensureTrailingNewline(b.replace);
      changed.add(b.path);
      return;
    }
    const exact = occurrences(current, b.search);
    if (exact.length === 1) {
      next[b.path] = current.slice(0, exact[0]) + b.replace + current.slice(exact[0]! + b.search.length);
      changed.add(b.path);
      return;
    }
    if (exact.length > 1) {
      failures.push({
        block,
        path: b.path,
        reason: 'ambiguous',
        message: `block ${block}: the SEARCH text occurs ${exact.length} times in ${b.path}; include more surrounding lines`,
      });
      return;
    }
    const fuzzy = fuzzyReplace(current, b.search, b.replace);
    if (fuzzy.kind === 'ok') {
      next[b.path] = fuzzy.text;
      changed.add(b.path);
      fuzzyMatches++;
      return;
    }
    failures.push({
      block,
      path: b.path,
      reason: fuzzy.kind === 'ambiguous' ? 'ambiguous' : 'not-found',
      message:
        fuzzy.kind === 'ambiguous'
          ? `block ${block}: the SEARCH lines match ${fuzzy.count} places in ${b.path} (ignoring whitespace); include more lines`
          : `block ${block}: the SEARCH lines are not in ${b.path}. The closest lines are:\n${closestLines(current, b.search)}`,
    });
  });
  if (failures.length > 0) return { ok: false, failures };
  return { ok: true, files: next, changed: [...changed].sort(), fuzzyMatches };
}

/** The failures as one message for the model's next attempt. */
export function describeFailures(failures: EditFailure[]): string {
  return [
    `None of your edits were applied: ${failures.length} block(s) failed. Fix them and send all blocks again.`,
    ...failures.map((f) => f.message),
  ].join('\n\n');
}

function occurrences(text: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) out.push(i);
  return out;
}

function ensureTrailingNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];

function commonIndent(lines: string[]): string {
  const indents = lines.filter((l) => l.trim() !== '').map(indentOf);
  if (indents.length === 0) return '';
  return indents.reduce((a, b) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return a.slice(0, i);
  });
}

/** Lines with trailing space removed and the block's common indent stripped. */
function normalize(lines: string[]): string[] {
  const ci = commonIndent(lines);
  return lines.map((l) => (l.trim() === '' ? '' : l.slice(ci.length).trimEnd()));
}

function trimBlankEdges(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a]!.trim() === '') a++;
  while (b > a && lines[b - 1]!.trim() === '') b--;
  return lines.slice(a, b);
}

type Fuzzy = { kind: 'ok'; text: string } | { kind: 'none' } | { kind: 'ambiguous'; count: number };

function fuzzyReplace(text: string, search: string, replace: string): Fuzzy {
  const fileLines = text.split('\n');
  const searchLines = trimBlankEdges(search.split('\n'));
  if (searchLines.length === 0) return { kind: 'none' };
  const want = normalize(searchLines);
  const hits: number[] = [];
  for (let i = 0; i + searchLines.length <= fileLines.length; i++) {
    const window = fileLines.slice(i, i + searchLines.length);
    const got = normalize(window);
    if (got.every((l, k) => l === want[k])) hits.push(i);
  }
  if (hits.length === 0) return { kind: 'none' };
  if (hits.length > 1) return { kind: 'ambiguous', count: hits.length };
  const at = hits[0]!;
  // Re-indent the replacement: the file's indent where the block matched replaces the model's.
  const fileIndent = commonIndent(fileLines.slice(at, at + searchLines.length));
  const replaceLines = trimBlankEdges(replace.split('\n'));
  const modelIndent = commonIndent(searchLines);
  const reindented = replaceLines.map((l) =>
    l.trim() === ''
      ? ''
      : fileIndent + (l.startsWith(modelIndent) ? l.slice(modelIndent.length) : l.trimStart()),
  );
  const out = [...fileLines.slice(0, at), ...reindented, ...fileLines.slice(at + searchLines.length)];
  return { kind: 'ok', text: out.join('\n') };
}

/** The file's lines around the best line-overlap with the search text, numbered. */
function closestLines(text: string, search: string): string {
  const fileLines = text.split('\n');
  const wanted = new Set(
    search
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  let best = 0;
  let bestScore = -1;
  const span = Math.max(1, search.split('\n').length);
  for (let i = 0; i < fileLines.length; i++) {
    let score = 0;
    for (let k = i; k < Math.min(fileLines.length, i + span); k++)
      if (wanted.has(fileLines[k]!.trim())) score++;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  const from = Math.max(0, best - 2);
  const to = Math.min(fileLines.length, best + span + 2);
  return fileLines
    .slice(from, to)
    .map((l, k) => `${String(from + k + 1).padStart(4)}| ${l}`)
    .join('\n');
}
