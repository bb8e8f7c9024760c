/**
 * The check each section passes as it is written (activities/latex/precheck.ts `checkSection`),
 * and the plain-text rendering of a section that fails it (activities/latex/plain.ts). Pure
 * functions; test/latex/contain.test.ts compiles what they make.
 */
import {
  checkSection,
  escapeText,
  normaliseUnicode,
  plainTextSection,
  proseOf,
  templateCommands,
  type CompileIssue,
  type SectionContext,
} from '../../../activities/latex';
import { PLANTED } from '../../harness/planted';

// The packages every shipped template loads add their commands (booktabs' rules, hyperref's \url …).
const PREAMBLE = String.raw`\usepackage{amsmath,amssymb}\usepackage{booktabs}\usepackage{graphicx}\usepackage{subcaption}\usepackage{hyperref}`;
const ctx = (over: Partial<SectionContext> = {}): SectionContext => ({
  extraCommands: templateCommands(PREAMBLE).commands,
  extraEnvironments: templateCommands(PREAMBLE).environments,
  citeKeys: new Set(['power2022grokking', 'vaswani2017attention']),
  labels: new Set(['sec:intro', 'tab:results', 'fig:val-acc']),
  figures: new Set(['val_acc.png']),
  inputs: new Set(['results_tables', 'figures']),
  maxChars: 5000,
  ...over,
});
const kinds = (issues: CompileIssue[]) => issues.map((i) => i.kind);

describe('checkSection', () => {
  it('passes a section that uses markup, math, lists, tables, known citations, labels and figures', () => {
    const body = String.raw`Grokking \citep{power2022grokking} is \emph{delayed} generalisation; see Section~\ref{sec:intro}.
Validation accuracy reaches $99\,\%$ after $10^4$ steps ($\eta = 10^{-3}$, $x_i \leq y_i$), i.e.\ 50\% later.
\begin{itemize}\item one \item two\end{itemize}
\begin{equation}\mathcal{L} = \sum_{i=1}^{n} \ell(f(x_i), y_i) \label{eq:loss}\end{equation}
By \eqref{eq:loss} and Table~\ref{tab:results} and Figure~\ref{fig:val-acc}:
\begin{table}[t]\centering\begin{tabular}{lr}\toprule a & b \\ \midrule c & d \\ \bottomrule\end{tabular}\caption{Setup.}\end{table}
\begin{figure}\includegraphics[width=0.5\linewidth]{val_acc}\caption{Curves.}\end{figure}
\begin{align} a &= b \\ c &= d \end{align}
\input{results_tables}
Verbatim \verb|a_b & c%| is fine, and so is a comment: % here_it & is
café — “quoted” – text…`;
    expect(checkSection('results', body, ctx())).toEqual([]);
  });

  it('finds each planted mistake, with its line', () => {
    for (const [section, { body, kinds: expected }] of Object.entries(PLANTED)) {
      const found = checkSection(section, body, ctx());
      expect([section, [...new Set(kinds(found))].sort()]).toEqual([section, [...expected].sort()]);
      for (const f of found) expect(f.line).toBeGreaterThan(0);
    }
  });

  it('names the line of an environment never closed and of a stray character', () => {
    const [env] = checkSection('introduction', PLANTED.introduction!.body, ctx());
    expect(env).toMatchObject({ kind: 'unbalanced-environment', line: 2, file: 'introduction' });
    expect(env!.message).toContain('\\begin{table} is never closed');
    const stray = checkSection('m', 'one\ntwo & three', ctx());
    expect(stray).toMatchObject([{ kind: 'stray-ampersand', line: 2 }]);
  });

  it('allows \\input only of our own generated files, and refuses file writes, definitions and char codes', () => {
    const body = String.raw`\input{results_tables}
\input{/etc/passwd}
\include{chapter}
\input ../secret
\immediate\write18{rm -rf /}
\openout3=x.tex
\catcode64=11
\def\textbf{x}
\let\cite\relax
\renewcommand{\emph}{y}
\csname input\endcsname{x}
^^5cinput{/etc/passwd}
\usepackage{shellesc}
\begin{filecontents}{template.tex}x\end{filecontents}
\end{document}`;
    const found = checkSection('conclusion', body, ctx({ listAll: true }));
    const lines = found.filter((f) => /forbidden/.test(f.kind)).map((f) => f.line);
    expect(new Set(lines)).toEqual(new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]));
    expect(found.find((f) => f.line === 2)!.message).toContain('may read only results_tables, figures');
  });

  it('reports undefined labels, duplicate labels, headings, unknown commands and environments', () => {
    const body = String.raw`See Figure~\ref{fig:nothing}.
\label{sec:intro}
\section{Results}
\argmax and \foo{bar}
\begin{theorem}x\end{theorem}`;
    expect(kinds(checkSection('results', body, ctx()))).toEqual([
      'undefined-reference',
      'duplicate-label',
      'section-heading',
      'unknown-command',
      'unknown-command',
      'unknown-environment',
    ]);
  });

  it('accepts what the template defines or its packages add', () => {
    const template = String.raw`\usepackage{amsthm,multirow}\newcommand{\E}{\mathbb{E}}\DeclareMathOperator{\argmax}{arg\,max}\newtheorem{theorem}{Theorem}`;
    const v = templateCommands(template);
    const body = String.raw`$\E[x] = \argmax_y f$ \multirow{2}{*}{a} \begin{theorem}x\end{theorem}\begin{proof}y\end{proof}`;
    expect(
      checkSection('method', body, ctx({ extraCommands: v.commands, extraEnvironments: v.environments })),
    ).toEqual([]);
  });

  it('refuses a results table typed by the model where the tables are made by code', () => {
    const body = String.raw`\begin{tabular}{lr} acc & 0.99 \\ \end{tabular}`;
    expect(kinds(checkSection('results', body, ctx({ noTables: true })))).toEqual(['retyped-table']);
    expect(checkSection('experimental_setup', body, ctx())).toEqual([]);
  });

  it('reports characters pdflatex cannot typeset, unclosed math, # and a body over the bound', () => {
    expect(kinds(checkSection('a', 'acc ≥ 0.9 and 🙂', ctx()))).toEqual([
      'unsupported-character',
      'unsupported-character',
    ]);
    expect(kinds(checkSection('a', normaliseUnicode('acc ≥ 0.9, $x ≤ y$, ±1 and α'), ctx()))).toEqual([]);
    expect(kinds(checkSection('a', 'we have $x = 1 and #2', ctx()))).toEqual([
      'stray-hash',
      'unbalanced-math',
    ]);
    expect(kinds(checkSection('a', 'x'.repeat(5001), ctx()))).toEqual(['too-long']);
  });

  it('lists at most five findings of a kind and counts the rest', () => {
    const found = checkSection('a', Array.from({ length: 9 }, () => 'a & b').join('\n'), ctx());
    expect(found).toHaveLength(6);
    expect(found[5]!.message).toBe('4 more of the same kind (stray-ampersand)');
  });
});

describe('plainTextSection', () => {
  it('keeps the prose, drops the markup and escapes every special character', () => {
    const tex = String.raw`We \textbf{study} warmup \citep{x} in Table~\ref{t}: 95% & $x_i^2$ #1 ~ \input{/etc/passwd}
\begin{table}
Second paragraph {unbalanced

Third.`;
    const out = plainTextSection(tex, 'unbalanced-environment & more');
    expect(out).toContain('Shown as plain text');
    expect(out).toContain('unbalanced-environment \\& more');
    const prose = out.split('\n\n').slice(1).join('\n\n');
    expect(prose).toBe(
      'We study warmup in Table: 95\\% \\& x\\_i\\textasciicircum{}2 \\#1\n\nSecond paragraph unbalanced\n\nThird.',
    );
    // Nothing of the model's text is left to be read as a command or a group.
    expect(
      prose.replace(/\\(textasciitilde|textasciicircum|textbackslash)\{\}|\\[%&_#${}]/g, ''),
    ).not.toMatch(/[\\{}$&#%^_~]/);
  });

  it('is safe for any characters: controls dropped, unknown Unicode as ?, symbols as LaTeX', () => {
    expect(escapeText('a\u0000b\u001bc ≥ 🙂 é')).toBe('abc \\ensuremath{\\geq} ? é');
    expect(proseOf('\\section{X} \\\\ y')).toBe('X y');
  });

  it('bounds the text', () => {
    const out = plainTextSection('word '.repeat(5000), 'too long', 100);
    expect(out.split('\n\n')[1]!.length).toBeLessThanOrEqual(102);
  });
});
