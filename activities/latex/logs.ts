/**
 * Parsers for what the TeX tools print: the pdflatex log (run with -file-line-error and
 * max_print_line raised, so errors read `file:line: message` and lines are not wrapped at 79
 * columns), BibTeX's .blg, and chktex's warnings in our own `-f` format. Each turns a log into
 * structured issues the write-up model can act on: file, line, message, context.
 */
import type { CompileIssue, CompileWarnings } from './types';

/**
 * chktex's output format: file:line:column:warning number:message, one per line. chktex does not
 * expand `\\n` in -f, so the format ends with a real newline (kept inside the shell quotes).
 */
export const CHKTEX_FORMAT = '%f:%l:%c:%n:%m\n';

// `./main.tex:12: Undefined control sequence.`; the path may be absolute (an error raised
// while a package loads) but never contains a colon or starts with a parenthesis.
const FILE_LINE_ERROR = /^((?:\.{0,2}\/)?[^\s:()][^:()]*?\.[A-Za-z0-9]+):(\d+): (.+)$/;
const BANG_ERROR = /^! (.+)$/;
// TeX's context line: `l.12 This is \foo`.
const CONTEXT_LINE = /^l\.(\d+) (.*)$/;
// Lines that follow every error and add nothing for a reader.
const BOILERPLATE =
  /^(See the LaTeX manual|Type {2}H <return>|Type X to quit|or enter new name|Enter file name|<read \*>|You're in trouble here|\s*\.{3}\s*$|\s*$)/;

/** Maps a TeX error message to a short stable kind. */
function texErrorKind(message: string): string {
  const rules: [RegExp, string][] = [
    [/^Undefined control sequence/, 'undefined-control-sequence'],
    [/File `.*' not found|I can't find file|Could not open|can't open/i, 'missing-file'],
    [/Environment .* undefined/, 'undefined-environment'],
    [/\\begin\{.*\} on input line \d+ ended by \\end/, 'mismatched-environment'],
    [/Missing \$ inserted|Display math should end with/, 'math-mode'],
    [/File ended while scanning|Runaway argument|Paragraph ended before/, 'runaway-argument'],
    [/Missing \{ inserted|Missing \} inserted|Extra \}, or forgotten|Too many \}'s/, 'unbalanced-braces'],
    [/Extra alignment tab|Misplaced alignment tab/, 'table-alignment'],
    [/TeX capacity exceeded/, 'capacity-exceeded'],
    [/Unknown graphics extension|Cannot determine size of graphic/, 'graphics'],
    [/Missing \\begin\{document\}|Can be used only in preamble/, 'preamble'],
    [/Option clash/, 'option-clash'],
    [/Emergency stop|job aborted/, 'emergency-stop'],
    [/LaTeX Error/, 'latex-error'],
  ];
  return rules.find(([re]) => re.test(message))?.[1] ?? 'tex-error';
}

function cleanFile(file: string): string {
  return file.replace(/^\.\//, '');
}

/** The last control sequence in a context fragment: the one TeX did not know. */
function lastControlSequence(fragment: string): string | undefined {
  return /(\\(?:[A-Za-z@]+|.))\s*$/.exec(fragment)?.[1];
}

/**
 * The context after the error on line `i`: TeX's `l.N` line (with the rest of the source line
 * that TeX prints indented below it) and the fragments before it, up to the next error.
 */
function contextAfter(lines: string[], i: number): { at?: number; context: string[] } {
  const context: string[] = [];
  for (let j = i + 1; j < Math.min(lines.length, i + 14); j++) {
    const next = lines[j] ?? '';
    if (FILE_LINE_ERROR.test(next) || BANG_ERROR.test(next)) break;
    const at = CONTEXT_LINE.exec(next);
    if (at) {
      context.push(next.trimEnd());
      const rest = lines[j + 1] ?? '';
      if (/^\s+\S/.test(rest)) context.push(rest.trim());
      return { at: Number(at[1]), context };
    }
    if (!BOILERPLATE.test(next)) context.push(next.trimEnd());
  }
  return { context };
}

export interface TexLogSummary {
  errors: CompileIssue[];
  warnings: Omit<CompileWarnings, 'bibtex'>;
  /** The `runsystem(...)...disabled` lines: shell escapes the document tried. */
  shellEscapesRefused: string[];
}

/**
 * Reads a pdflatex log. Errors come with the file and line TeX reports and the `l.N` context;
 * warnings are undefined citations and references (deduplicated, first line of use), multiply
 * defined labels, and the count of overfull and underfull boxes.
 */
export function parseTexLog(log: string, mainFile: string): TexLogSummary {
  const lines = log.split(/\r?\n/);
  const errors: CompileIssue[] = [];
  const citations = new Map<string, number | undefined>();
  const references = new Map<string, number | undefined>();
  const multiply = new Set<string>();
  const shell: string[] = [];
  let overfull = 0;
  let underfull = 0;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fle = FILE_LINE_ERROR.exec(line);
    const bang = fle ? null : BANG_ERROR.exec(line);
    if (fle || bang) {
      const message = (fle ? fle[3] : bang?.[1]) ?? '';
      // A fatal-error trailer repeats what went before; keep it only when it is all there is. It
      // does carry the location that an interactive error (`! LaTeX Error: File … not found`,
      // which asked for a new name) lacked.
      const previous = errors[errors.length - 1];
      if (/==> Fatal error occurred|^Emergency stop/.test(message) && previous) {
        if (fle && previous.line === undefined) {
          previous.file = cleanFile(fle[1] ?? '');
          previous.line = Number(fle[2]);
          const { context } = contextAfter(lines, i);
          const k = context.findIndex((c) => CONTEXT_LINE.test(c));
          const where = k >= 0 ? context.slice(k) : [];
          if (where.length)
            previous.context = [previous.context, ...where].filter(Boolean).join('\n').slice(0, 400);
        }
        continue;
      }
      const issue: CompileIssue = {
        source: 'pdflatex',
        kind: texErrorKind(message),
        message: message.trim(),
        ...(fle ? { file: cleanFile(fle[1] ?? ''), line: Number(fle[2]) } : {}),
      };
      const after = contextAfter(lines, i);
      issue.line ??= after.at;
      // LaTeX's own errors are raised deep inside its macros: only the source line helps.
      const k = after.context.findIndex((c) => CONTEXT_LINE.test(c));
      const context =
        /(LaTeX|Package .*|Class .*) Error/.test(message) && k >= 0 ? after.context.slice(k) : after.context;
      if (issue.kind === 'undefined-control-sequence') {
        // The first context fragment ends with the unknown command.
        const cs = lastControlSequence((context[0] ?? '').replace(CONTEXT_LINE, '$2'));
        if (cs) issue.message = `Undefined control sequence ${cs}`;
      }
      if (!issue.file && issue.line !== undefined) issue.file = mainFile;
      if (context.length) issue.context = context.slice(0, 6).join('\n').slice(0, 400);
      errors.push(issue);
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /Warning: Citation [`'"]([^'"]+)' on page \S+ undefined(?: on input line (\d+))?/.exec(line))) {
      if (m[1] && !citations.has(m[1])) citations.set(m[1], m[2] ? Number(m[2]) : undefined);
    } else if (
      (m = /Warning: Reference [`'"]([^'"]+)' on page \S+ undefined(?: on input line (\d+))?/.exec(line))
    ) {
      if (m[1] && !references.has(m[1])) references.set(m[1], m[2] ? Number(m[2]) : undefined);
    } else if ((m = /Warning: Label [`'"]([^'"]+)' multiply defined/.exec(line))) {
      if (m[1]) multiply.add(m[1]);
    } else if (/^Overfull \\[hv]box/.test(line)) overfull++;
    else if (/^Underfull \\[hv]box/.test(line)) underfull++;
    else if ((m = /^runsystem\((.*)\)\.\.\.disabled/.exec(line))) shell.push(m[1] ?? '');
  }
  return {
    errors,
    warnings: {
      undefinedCitations: [...citations].map(([key, line]) => (line === undefined ? { key } : { key, line })),
      undefinedReferences: [...references].map(([label, line]) =>
        line === undefined ? { label } : { label, line },
      ),
      multiplyDefinedLabels: [...multiply],
      overfullBoxes: overfull,
      underfullBoxes: underfull,
    },
    shellEscapesRefused: shell,
  };
}

export interface BibtexLogSummary {
  errors: CompileIssue[];
  /** Keys cited in the document that no database had. */
  missingEntries: string[];
  /** Other warnings (`empty journal in smith2020`, …). */
  warnings: string[];
}

/** Reads BibTeX's .blg: syntax errors with their .bib file and line, missing entries, warnings. */
export function parseBibtexLog(blg: string): BibtexLogSummary {
  const lines = blg.split(/\r?\n/);
  const errors: CompileIssue[] = [];
  const missing = new Set<string>();
  const warnings: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let m: RegExpExecArray | null;
    if ((m = /^Warning--I didn't find a database entry for "(.+)"/.exec(line))) {
      if (m[1]) missing.add(m[1]);
    } else if ((m = /^Warning--(.+)$/.exec(line))) {
      if (!warnings.includes(m[1] ?? '')) warnings.push(m[1] ?? '');
    } else if ((m = /^(.+?)---line (\d+) of file (.+)$/.exec(line))) {
      // BibTeX shows the offending text on following ` : ` lines.
      const context: string[] = [];
      for (let j = i + 1; j < Math.min(lines.length, i + 4) && /^ : /.test(lines[j] ?? ''); j++) {
        context.push((lines[j] ?? '').slice(3));
      }
      // BibTeX notices a missing comma only on the line after it, and says so.
      const earlier = lines
        .slice(i + 1, i + 5)
        .some((l) => l.startsWith('(Error may have been on previous line)'));
      const message = `${m[1] ?? ''}${earlier ? ' (the mistake may be on the line before)' : ''}`;
      errors.push({
        source: 'bibtex',
        kind: /Repeated entry/.test(message) ? 'repeated-bib-entry' : 'bib-syntax',
        message,
        file: cleanFile(m[3] ?? ''),
        line: Number(m[2]),
        ...(context.some((c) => c.trim()) ? { context: context.join('\n').trim() } : {}),
      });
    } else if ((m = /^(I couldn't open .+|I found no .+|Illegal, another .+)$/.exec(line))) {
      errors.push({
        source: 'bibtex',
        kind: /couldn't open/.test(line) ? 'missing-file' : 'bibtex-aux',
        message: (m[1] ?? '').trim(),
      });
    }
  }
  return { errors, missingEntries: [...missing], warnings };
}

/** Reads chktex output written with CHKTEX_FORMAT; each warning becomes a `chktex` issue. */
export function parseChktex(output: string): CompileIssue[] {
  const issues: CompileIssue[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = /^(.+?):(\d+):(\d+):(\d+):(.*)$/.exec(line);
    if (!m) continue;
    issues.push({
      source: 'chktex',
      kind: `chktex-${m[4]}`,
      file: cleanFile(m[1] ?? ''),
      line: Number(m[2]),
      message: (m[5] ?? '').trim(),
    });
  }
  return issues;
}
