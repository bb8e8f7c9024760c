/**
 * Turns a compile result into the short text the write-up model gets in its fix prompt: the
 * errors first (they stop the PDF), then the pre-check findings, then the warnings, then style
 * notes from chktex, within a character budget so that the prompt stays small.
 */
import type { CompileIssue, CompileLatexResult } from './types';

/** Default budget of the feedback text, in characters. */
export const FEEDBACK_MAX_CHARS = 2000;

function where(issue: CompileIssue): string {
  if (issue.file && issue.line) return `${issue.file}:${issue.line}: `;
  if (issue.file) return `${issue.file}: `;
  if (issue.line) return `line ${issue.line}: `;
  return '';
}

function describe(issue: CompileIssue): string {
  const head = `- ${where(issue)}${issue.message}`;
  // TeX's `l.N …` line shows the text at the error; one line of it is enough.
  const ctx = issue.context?.split('\n').find((l) => /^l\.\d+ /.test(l)) ?? issue.context?.split('\n')[0];
  return ctx && issue.source !== 'chktex' ? `${head}\n    ${ctx.trim().slice(0, 160)}` : head;
}

/** True when the result gives the writing model something to fix. */
export function compileNeedsFix(result: CompileLatexResult): boolean {
  return (
    !result.ok ||
    result.errors.length > 0 ||
    result.prechecks.some((p) => p.source === 'precheck') ||
    result.warnings.undefinedCitations.length > 0 ||
    result.warnings.undefinedReferences.length > 0
  );
}

/**
 * A compact, plain-text account of what is wrong with the paper (≤ `maxChars`), ordered by
 * importance, each item with file and line. Lists that do not fit end with "(N more)".
 */
export function formatCompileFeedback(result: CompileLatexResult, maxChars = FEEDBACK_MAX_CHARS): string {
  const head = result.ok
    ? `The paper compiled (${result.pageCount} page${result.pageCount === 1 ? '' : 's'}) but has problems to fix.`
    : `The paper did NOT compile (${result.outcome === 'failed' ? 'LaTeX error' : result.outcome}). Fix the errors below; the first one stops the build.`;

  const w = result.warnings;
  const warningLines: string[] = [];
  if (w.undefinedCitations.length) {
    warningLines.push(
      `- undefined citations (not in the .bib): ${w.undefinedCitations.map((c) => (c.line ? `${c.key} (line ${c.line})` : c.key)).join(', ')}`,
    );
  }
  if (w.undefinedReferences.length) {
    warningLines.push(
      `- undefined references (no matching \\label): ${w.undefinedReferences.map((r) => (r.line ? `${r.label} (line ${r.line})` : r.label)).join(', ')}`,
    );
  }
  if (w.multiplyDefinedLabels.length)
    warningLines.push(`- labels defined more than once: ${w.multiplyDefinedLabels.join(', ')}`);
  if (w.overfullBoxes)
    warningLines.push(`- ${w.overfullBoxes} overfull box(es): text or a table/figure runs into the margin`);
  for (const b of w.bibtex.slice(0, 3)) warningLines.push(`- bibtex: ${b}`);

  const sections: { title: string; lines: string[]; more: number }[] = [
    { title: 'Errors:', lines: result.errors.map(describe), more: result.truncated.errors },
    {
      title: 'Pre-check findings:',
      lines: result.prechecks.filter((p) => p.source !== 'chktex').map(describe),
      more: 0,
    },
    { title: 'Warnings:', lines: warningLines, more: 0 },
    {
      title: 'Style (chktex):',
      lines: result.prechecks.filter((p) => p.source === 'chktex').map(describe),
      more: result.truncated.prechecks,
    },
  ];

  let out = head;
  for (const s of sections) {
    if (!s.lines.length) continue;
    const block: string[] = [s.title];
    let shown = 0;
    for (const line of s.lines) {
      const candidate = [out, ...block, line].join('\n');
      // Keep room for a "(N more)" note.
      if (candidate.length > maxChars - 20) break;
      block.push(line);
      shown++;
    }
    const hidden = s.lines.length - shown + s.more;
    if (shown === 0) {
      if (out.length + s.title.length + 20 < maxChars) out += `\n${s.title} ${hidden} not shown`;
      continue;
    }
    if (hidden > 0) block.push(`  (${hidden} more)`);
    out = [out, ...block].join('\n');
  }
  return out.slice(0, maxChars);
}
