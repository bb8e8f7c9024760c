/**
 * Pre-checks: plain functions over the paper's source files that catch, before any TeX runs,
 * the mistakes a writing model makes most: citing keys the bibliography lacks, including figures
 * that do not exist (or the same figure twice), repeating a section heading, and leaving braces
 * or environments unbalanced. Each finding names file and line so the model can fix it.
 */
import path from 'node:path';
import type { CompileIssue } from './types';

/** The paper's files as text (.tex, .bib) or bytes (figures: only their names matter here). */
export type PaperFiles = ReadonlyMap<string, string | Buffer>;

const GRAPHICS_EXTENSIONS = ['', '.pdf', '.png', '.jpg', '.jpeg', '.eps', '.PDF', '.PNG', '.JPG', '.JPEG'];
// Environments whose body is not LaTeX: their braces and commands are text.
const VERBATIM = [
  'verbatim',
  'verbatim*',
  'lstlisting',
  'minted',
  'comment',
  'Verbatim',
  'filecontents',
  'filecontents*',
];
const CITE = /\\(?:no|paren|text|auto|foot|super)?[Cc]ite[a-zA-Z]*\*?\s*(?:\[[^\]]*\]\s*){0,2}\{([^}]*)\}/g;
const MAX_LISTED = 8;

interface TexSource {
  file: string;
  /** The text with comments and verbatim bodies blanked, line structure kept. */
  code: string;
  /** Line number (1-based) of each character offset, via `lineAt`. */
  lineStarts: number[];
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function lineAt(src: TexSource, offset: number): number {
  let lo = 0;
  let hi = src.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((src.lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Blanks every `%` comment (an unescaped percent sign to the end of its line). */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      for (let i = 0; i < line.length; i++) {
        if (line[i] === '\\')
          i++; // `\%` and `\\` are both two-character tokens
        else if (line[i] === '%') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

/** Replaces the bodies of verbatim-like environments and \verb arguments with spaces (newlines kept). */
function blankVerbatim(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = text;
  for (const env of VERBATIM) {
    const e = env.replace('*', '\\*');
    out = out.replace(
      new RegExp(`(\\\\begin\\{${e}\\})([\\s\\S]*?)(\\\\end\\{${e}\\})`, 'g'),
      (_m, a: string, body: string, b: string) => a + blank(body) + b,
    );
  }
  return out.replace(/\\verb\*?([^A-Za-z\s])(.*?)\1/g, (m: string) => blank(m));
}

function texSource(file: string, text: string): TexSource {
  // Verbatim first: a `%` inside a listing is not a comment.
  const code = stripComments(blankVerbatim(text));
  return { file, code, lineStarts: lineStartsOf(code) };
}

function asText(content: string | Buffer): string {
  return typeof content === 'string' ? content : content.toString('utf8');
}

/** `@article{key,` entries of a .bib text, with their lines; @string/@comment/@preamble skipped. */
export function bibKeys(text: string): { key: string; line: number }[] {
  const starts = lineStartsOf(text);
  const src: TexSource = { file: '', code: text, lineStarts: starts };
  const out: { key: string; line: number }[] = [];
  for (const m of text.matchAll(/@\s*([A-Za-z]+)\s*[{(]\s*([^,\s{}()]+)\s*,/g)) {
    if (/^(string|comment|preamble)$/i.test(m[1] ?? '')) continue;
    out.push({ key: m[2] ?? '', line: lineAt(src, m.index ?? 0) });
  }
  return out;
}

/** `{a}{b}` → ['a', 'b'] */
function braceGroups(s: string): string[] {
  return [...s.matchAll(/\{([^{}]*)\}/g)].map((m) => (m[1] ?? '').trim());
}

/** Normalises a path the way TeX sees it from the paper folder: posix, no `./`. */
function normalise(p: string): string {
  return path.posix.normalize(p.trim()).replace(/^\.\//, '');
}

function outside(p: string): boolean {
  const n = path.posix.normalize(p.trim());
  return n.startsWith('/') || n === '..' || n.startsWith('../') || /^[A-Za-z]:/.test(n) || n.startsWith('~');
}

/**
 * Runs every pre-check over the paper's files. `mainFile` is the root document; all .tex files
 * in `files` are checked (the model may split sections into \input files).
 */
export function precheckPaper(files: PaperFiles, mainFile: string): CompileIssue[] {
  const issues: CompileIssue[] = [];
  const issue = (kind: string, message: string, file?: string, line?: number) =>
    issues.push({ source: 'precheck', kind, message, ...(file ? { file } : {}), ...(line ? { line } : {}) });

  const texFiles = [...files.keys()]
    .filter((f) => f.endsWith('.tex'))
    .sort((a, b) => (a === mainFile ? -1 : b === mainFile ? 1 : a.localeCompare(b)));
  const sources = texFiles.map((f) => ({
    raw: asText(files.get(f) ?? ''),
    src: texSource(f, asText(files.get(f) ?? '')),
  }));

  // Bibliography: .bib files in the folder, and those a filecontents block writes at compile time.
  const bibs = new Map<string, { key: string; line: number }[]>();
  for (const [f, content] of files) if (f.endsWith('.bib')) bibs.set(f, bibKeys(asText(content)));
  for (const { raw } of sources) {
    for (const m of raw.matchAll(
      /\\begin\{filecontents\*?\}(?:\[[^\]]*\])?\{([^}]+)\}([\s\S]*?)\\end\{filecontents\*?\}/g,
    )) {
      const name = normalise(m[1] ?? '');
      if (name.endsWith('.bib') || !name.includes('.'))
        bibs.set(name.endsWith('.bib') ? name : `${name}.bib`, bibKeys(m[2] ?? ''));
    }
  }
  const bibItems = new Set<string>();
  const requested: { name: string; file: string; line: number }[] = [];
  for (const { src } of sources) {
    for (const m of src.code.matchAll(/\\bibitem\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g))
      bibItems.add((m[1] ?? '').trim());
    for (const m of src.code.matchAll(/\\(?:bibliography|addbibresource)\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g)) {
      for (const name of (m[1] ?? '').split(',')) {
        const n = normalise(name);
        if (n)
          requested.push({
            name: n.endsWith('.bib') ? n : `${n}.bib`,
            file: src.file,
            line: lineAt(src, m.index ?? 0),
          });
      }
    }
  }
  for (const r of requested) {
    if (outside(r.name))
      issue(
        'path-outside-paper',
        `bibliography ${r.name} is outside the paper folder; only files in the folder can be read`,
        r.file,
        r.line,
      );
    else if (!bibs.has(r.name))
      issue(
        'missing-bibliography',
        `bibliography file ${r.name} does not exist (present: ${[...bibs.keys()].join(', ') || 'none'})`,
        r.file,
        r.line,
      );
  }
  const usedBibs = requested.length
    ? requested.map((r) => r.name).filter((n) => bibs.has(n))
    : [...bibs.keys()];
  const known = new Set<string>(bibItems);
  for (const name of usedBibs) {
    const seen = new Map<string, number>();
    for (const { key, line } of bibs.get(name) ?? []) {
      if (seen.has(key))
        issue(
          'duplicate-bib-entry',
          `bibliography entry ${key} is defined twice (also at line ${seen.get(key)})`,
          name,
          line,
        );
      else seen.set(key, line);
      known.add(key);
    }
  }
  const reported = new Set<string>();
  for (const { src } of sources) {
    for (const m of src.code.matchAll(CITE)) {
      for (const raw of (m[1] ?? '').split(',')) {
        const key = raw.trim();
        if (!key || key === '*' || known.has(key) || reported.has(key)) continue;
        reported.add(key);
        const near = [...known].find((k) => k.toLowerCase() === key.toLowerCase());
        issue(
          'undefined-citation',
          `\\cite key ${key} is not in the bibliography${near ? ` (did you mean ${near}? keys are case-sensitive)` : ''}; cite only keys that exist or add the entry`,
          src.file,
          lineAt(src, m.index ?? 0),
        );
      }
    }
  }

  // Figures: every \includegraphics target must be a file in the folder (or a \graphicspath folder).
  const graphicsDirs = [''];
  for (const { src } of sources) {
    for (const m of src.code.matchAll(/\\graphicspath\s*\{((?:\s*\{[^{}]*\})+)\s*\}/g))
      graphicsDirs.push(...braceGroups(m[1] ?? '').map(normalise));
  }
  const images = [...files.keys()].filter((f) => /\.(pdf|png|jpe?g|eps)$/i.test(f));
  const included = new Map<string, { file: string; line: number }>();
  for (const { src } of sources) {
    for (const m of src.code.matchAll(/\\includegraphics\s*\*?\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g)) {
      const target = (m[1] ?? '').trim();
      const line = lineAt(src, m.index ?? 0);
      if (outside(target)) {
        issue(
          'path-outside-paper',
          `figure ${target} is outside the paper folder; only files in the folder can be read`,
          src.file,
          line,
        );
        continue;
      }
      const found = graphicsDirs
        .flatMap((dir) => GRAPHICS_EXTENSIONS.map((ext) => normalise(path.posix.join(dir, target + ext))))
        .find((candidate) => files.has(candidate));
      if (!found) {
        const listed = images.slice(0, MAX_LISTED).join(', ') + (images.length > MAX_LISTED ? ', …' : '');
        issue(
          'missing-figure',
          `figure file ${target} not found in the paper folder (figures present: ${listed || 'none'})`,
          src.file,
          line,
        );
        continue;
      }
      const first = included.get(found);
      if (first)
        issue(
          'duplicate-figure',
          `figure ${found} is included twice (first at ${first.file}:${first.line}); show each figure once`,
          src.file,
          line,
        );
      else included.set(found, { file: src.file, line });
    }
    // \input / \include of files outside the folder (TeX refuses them; say why before it does).
    for (const m of src.code.matchAll(/\\(?:input|include|InputIfFileExists)\s*\{([^}]+)\}/g)) {
      if (outside(m[1] ?? '')) {
        issue(
          'path-outside-paper',
          `\\input of ${(m[1] ?? '').trim()} reads outside the paper folder, which is not allowed`,
          src.file,
          lineAt(src, m.index ?? 0),
        );
      }
    }
  }

  // Duplicate headings (per level) and duplicate labels.
  const headings = new Map<string, { file: string; line: number }>();
  const labels = new Map<string, { file: string; line: number }>();
  for (const { src } of sources) {
    for (const m of src.code.matchAll(
      /\\(section|subsection|subsubsection)\*?\s*(?:\[[^\]]*\])?\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g,
    )) {
      const title = (m[2] ?? '').replace(/\s+/g, ' ').trim();
      const id = `${m[1]}:${title.toLowerCase()}`;
      const line = lineAt(src, m.index ?? 0);
      const first = headings.get(id);
      if (first)
        issue(
          'duplicate-section',
          `\\${m[1]}{${title}} appears twice (first at ${first.file}:${first.line}); merge the two`,
          src.file,
          line,
        );
      else headings.set(id, { file: src.file, line });
    }
    for (const m of src.code.matchAll(/\\label\s*\{([^}]+)\}/g)) {
      const label = (m[1] ?? '').trim();
      const line = lineAt(src, m.index ?? 0);
      const first = labels.get(label);
      if (first)
        issue(
          'duplicate-label',
          `\\label{${label}} is defined twice (first at ${first.file}:${first.line})`,
          src.file,
          line,
        );
      else labels.set(label, { file: src.file, line });
    }
  }

  for (const { src } of sources) issues.push(...checkBalance(src));
  return issues;
}

/** Unmatched braces and \begin/\end pairs in one file. */
function checkBalance(src: TexSource): CompileIssue[] {
  const issues: CompileIssue[] = [];
  const at = (kind: string, message: string, offset: number) =>
    issues.push({ source: 'precheck', kind, message, file: src.file, line: lineAt(src, offset) });

  const open: number[] = [];
  const code = src.code;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '\\')
      i++; // \{ \} \\ are tokens, not groups
    else if (c === '{') open.push(i);
    else if (c === '}') {
      if (open.length) open.pop();
      else at('unbalanced-braces', 'a } closes a group that was never opened', i);
    }
  }
  for (const i of open.slice(0, 3)) at('unbalanced-braces', 'a { opened here is never closed', i);

  const stack: { name: string; offset: number }[] = [];
  for (const m of code.matchAll(/\\(begin|end)\s*\{([^}]+)\}/g)) {
    const name = (m[2] ?? '').trim();
    const offset = m.index ?? 0;
    if (m[1] === 'begin') {
      stack.push({ name, offset });
      continue;
    }
    const top = stack[stack.length - 1];
    if (top?.name === name) {
      stack.pop();
    } else if (stack.some((s) => s.name === name)) {
      // Environments opened after the one closing here were never closed.
      while (stack.length && stack[stack.length - 1]?.name !== name) {
        const lost = stack.pop();
        if (lost)
          at(
            'unbalanced-environment',
            `\\begin{${lost.name}} is never closed (\\end{${name}} at line ${lineAt(src, offset)} comes first)`,
            lost.offset,
          );
      }
      stack.pop();
    } else {
      at(
        'unbalanced-environment',
        `\\end{${name}} has no matching \\begin{${name}}${top ? ` (the open environment is ${top.name})` : ''}`,
        offset,
      );
    }
  }
  for (const s of stack) at('unbalanced-environment', `\\begin{${s.name}} is never closed`, s.offset);
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
