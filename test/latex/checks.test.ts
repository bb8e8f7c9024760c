/**
 * The plain functions of the compile stage: pre-checks over source files, the log parsers (fed
 * with log text in the exact shape TeX Live 2022 prints it with our settings), and the feedback
 * text for the fix prompt. No TeX runs here; compile.test.ts runs the real thing.
 */
import {
  capResult,
  compileNeedsFix,
  findMainFile,
  formatCompileFeedback,
  parseBibtexLog,
  parseChktex,
  parseTexLog,
  precheckPaper,
  RESULT_CAPS,
  stripComments,
  type CompileIssue,
  type CompileLatexResult,
} from '../../activities/latex';
import { doc, goodPaper, REFS_BIB } from './fixtures';

const files = (entries: Record<string, string | Buffer>) => new Map(Object.entries(entries));
const kinds = (issues: CompileIssue[]) => issues.map((i) => `${i.kind}@${i.file}:${i.line}`);

describe('precheckPaper', () => {
  it('finds nothing wrong with the good paper', () => {
    expect(precheckPaper(files(goodPaper()), 'main.tex')).toEqual([]);
  });

  it('reports \\cite keys missing from the bibliography, with file and line, and ignores comments and verbatim', () => {
    const issues = precheckPaper(
      files({
        'main.tex': doc(
          [
            'A \\citep[see][p.~3]{power2022grokking, missing1}.', // line 5
            '% \\cite{commented}',
            '\\begin{verbatim}\\cite{verbatim}\\end{verbatim}',
            'B \\citet{Vaswani2017attention} and \\citeauthor{missing1}.', // line 8: case differs; missing1 reported once
            '\\bibliography{references}',
          ].join('\n'),
        ),
        'references.bib': REFS_BIB,
      }),
      'main.tex',
    );
    expect(kinds(issues)).toEqual(['undefined-citation@main.tex:5', 'undefined-citation@main.tex:8']);
    expect(issues[0]?.message).toContain('missing1');
    expect(issues[1]?.message).toContain('did you mean vaswani2017attention?');
  });

  it('reads keys from a filecontents bibliography and \\bibitem, and reports a missing .bib file', () => {
    const withFilecontents = doc(
      '\\begin{filecontents}{references.bib}\n@article{inline2020, title={T}, year={2020}}\n\\end{filecontents}\n\\cite{inline2020}\\cite{item1}\n' +
        '\\begin{thebibliography}{1}\\bibitem{item1} X.\\end{thebibliography}\n\\bibliography{references}',
    );
    expect(precheckPaper(files({ 'template.tex': withFilecontents }), 'template.tex')).toEqual([]);
    const missing = precheckPaper(files({ 'main.tex': doc('\\cite{a}\n\\bibliography{refs}') }), 'main.tex');
    expect(kinds(missing)).toEqual(['missing-bibliography@main.tex:6', 'undefined-citation@main.tex:5']);
  });

  it('reports missing, duplicate and outside figures, honouring \\graphicspath and default extensions', () => {
    const issues = precheckPaper(
      files({
        'main.tex': doc(
          [
            '\\graphicspath{{figures/}}', // 5
            '\\includegraphics[width=2cm]{loss}', // 6: figures/loss.png
            '\\includegraphics{figures/loss.png}', // 7: the same file again
            '\\includegraphics{acc.pdf}', // 8: missing
            '\\includegraphics{/etc/logo.png}', // 9: outside
            '\\input{../secret}', // 10: outside
          ].join('\n'),
        ),
        'figures/loss.png': Buffer.from('png'),
      }),
      'main.tex',
    );
    expect(kinds(issues)).toEqual([
      'duplicate-figure@main.tex:7',
      'missing-figure@main.tex:8',
      'path-outside-paper@main.tex:9',
      'path-outside-paper@main.tex:10',
    ]);
    expect(issues[1]?.message).toContain('figures present: figures/loss.png');
  });

  it('reports duplicate section headings per level and duplicate labels', () => {
    const issues = precheckPaper(
      files({
        'main.tex': doc(
          '\\section{Results}\\label{s}\n\\subsection{Results}\n\\section*{ results }\\label{s}',
        ),
      }),
      'main.tex',
    );
    expect(kinds(issues)).toEqual(['duplicate-section@main.tex:7', 'duplicate-label@main.tex:7']);
  });

  it('reports unbalanced braces and environments with their lines', () => {
    const issues = precheckPaper(
      files({
        'main.tex': doc(
          [
            'Escaped \\{ and \\} and a \\\\% comment with {',
            '\\textbf{open', // 6: never closed
            'closed} extra}', // 7: the second } has no opener
            '\\begin{itemize}\\item x\\end{enumerate}', // 8
            '\\begin{table}', // 9: never closed
          ].join('\n'),
        ),
      }),
      'main.tex',
    );
    expect(kinds(issues)).toEqual([
      'unbalanced-braces@main.tex:7',
      'unbalanced-environment@main.tex:8',
      'unbalanced-environment@main.tex:8',
      'unbalanced-environment@main.tex:9',
    ]);
  });

  it('strips comments but keeps escaped percent signs', () => {
    expect(stripComments('50\\% done % note\n\\\\% after a line break')).toBe('50\\% done \n\\\\');
  });
});

describe('parseTexLog', () => {
  it('reads file:line errors with the undefined command and TeX context', () => {
    const log = [
      '(./main.tex (./sec/a.tex',
      './sec/a.tex:3: Undefined control sequence.',
      '<argument> bold \\badmacro',
      '                          {y}',
      'l.3 \\textbf{bold \\badmacro{y}}',
      '                               and $x^2$ text.',
      'No pages of output.',
    ].join('\n');
    expect(parseTexLog(log, 'main.tex').errors).toEqual([
      {
        source: 'pdflatex',
        kind: 'undefined-control-sequence',
        message: 'Undefined control sequence \\badmacro',
        file: 'sec/a.tex',
        line: 3,
        context:
          '<argument> bold \\badmacro\n                          {y}\nl.3 \\textbf{bold \\badmacro{y}}\nand $x^2$ text.',
      },
    ]);
  });

  it('takes the location of an interactive LaTeX error from the emergency stop after it', () => {
    const log = [
      "! LaTeX Error: File `/etc/passwd.tex' not found.",
      '',
      'Type X to quit or <RETURN> to proceed,',
      'or enter new name. (Default extension: tex)',
      '',
      'Enter file name: ',
      './p.tex:5: Emergency stop.',
      '<read *> ',
      '         ',
      'l.5 \\input{/etc/passwd}',
      '                       ^^M',
      './p.tex:5:  ==> Fatal error occurred, no output PDF file produced!',
    ].join('\n');
    const { errors } = parseTexLog(log, 'p.tex');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      kind: 'missing-file',
      file: 'p.tex',
      line: 5,
      context: 'l.5 \\input{/etc/passwd}\n^^M',
    });
  });

  it('collects undefined citations and references, multiply defined labels, boxes and refused shell escapes', () => {
    const log = [
      "Package natbib Warning: Citation `smith2020' on page 1 undefined on input line 6.",
      "LaTeX Warning: Citation `smith2020' on page 1 undefined on input line 9.",
      "LaTeX Warning: Reference `fig:none' on page 1 undefined on input line 6.",
      "LaTeX Warning: Label `s' multiply defined.",
      'Overfull \\hbox (12.0pt too wide) in paragraph at lines 10--12',
      'Overfull \\hbox (1.0pt too wide) in paragraph at lines 20--22',
      'Underfull \\vbox (badness 10000) has occurred while \\output is active',
      'runsystem(echo pwned > pwned.tex)...disabled.',
    ].join('\n');
    const summary = parseTexLog(log, 'main.tex');
    expect(summary.errors).toEqual([]);
    expect(summary.warnings).toEqual({
      undefinedCitations: [{ key: 'smith2020', line: 6 }],
      undefinedReferences: [{ label: 'fig:none', line: 6 }],
      multiplyDefinedLabels: ['s'],
      overfullBoxes: 2,
      underfullBoxes: 1,
    });
    expect(summary.shellEscapesRefused).toEqual(['echo pwned > pwned.tex']);
  });
});

describe('parseBibtexLog and parseChktex', () => {
  it('reads BibTeX syntax errors with their .bib line, missing entries and warnings', () => {
    const blg = [
      'Database file #1: refs.bib',
      "I was expecting a `,' or a `}'---line 4 of file refs.bib",
      ' :   ',
      ' :   journal = {J},',
      '(Error may have been on previous line)',
      "I'm skipping whatever remains of this entry",
      'Repeated entry---line 9 of file refs.bib',
      ' : @article{x1',
      ' :            ,',
      'Warning--I didn\'t find a database entry for "nokey"',
      'Warning--empty year in x1',
      'Warning--empty year in x1',
      '(There were 2 error messages)',
    ].join('\n');
    const s = parseBibtexLog(blg);
    expect(s.errors).toEqual([
      {
        source: 'bibtex',
        kind: 'bib-syntax',
        message: "I was expecting a `,' or a `}' (the mistake may be on the line before)",
        file: 'refs.bib',
        line: 4,
        context: 'journal = {J},',
      },
      {
        source: 'bibtex',
        kind: 'repeated-bib-entry',
        message: 'Repeated entry',
        file: 'refs.bib',
        line: 9,
        context: '@article{x1\n           ,',
      },
    ]);
    expect(s.missingEntries).toEqual(['nokey']);
    expect(s.warnings).toEqual(['empty year in x1']);
  });

  it('reads chktex warnings in our format', () => {
    const out =
      "main.tex:6:20:11:You should use \\ldots to achieve an ellipsis.\nsec/a.tex:2:1:18:Use either `` or '' as an alternative to `\"'.\n";
    expect(parseChktex(out)).toEqual([
      {
        source: 'chktex',
        kind: 'chktex-11',
        file: 'main.tex',
        line: 6,
        message: 'You should use \\ldots to achieve an ellipsis.',
      },
      {
        source: 'chktex',
        kind: 'chktex-18',
        file: 'sec/a.tex',
        line: 2,
        message: "Use either `` or '' as an alternative to `\"'.",
      },
    ]);
  });
});

function result(overrides: Partial<CompileLatexResult> = {}): CompileLatexResult {
  return {
    ok: true,
    outcome: 'ok',
    mainFile: 'main.tex',
    logKey: 'l',
    resultKey: 'r',
    pageCount: 3,
    steps: {},
    errors: [],
    prechecks: [],
    warnings: {
      undefinedCitations: [],
      undefinedReferences: [],
      multiplyDefinedLabels: [],
      overfullBoxes: 0,
      underfullBoxes: 0,
      bibtex: [],
    },
    truncated: { errors: 0, prechecks: 0 },
    durationMs: 1,
    ...overrides,
  };
}

describe('formatCompileFeedback', () => {
  it('puts errors first, then pre-checks, warnings and style, each with file and line', () => {
    const text = formatCompileFeedback(
      result({
        ok: false,
        outcome: 'failed',
        errors: [
          {
            source: 'pdflatex',
            kind: 'undefined-control-sequence',
            message: 'Undefined control sequence \\foo',
            file: 'main.tex',
            line: 7,
            context: 'l.7 We use \\foo',
          },
        ],
        prechecks: [
          {
            source: 'precheck',
            kind: 'missing-figure',
            message: 'figure file a.png not found',
            file: 'main.tex',
            line: 9,
          },
          {
            source: 'chktex',
            kind: 'chktex-11',
            message: 'You should use \\ldots',
            file: 'main.tex',
            line: 3,
          },
        ],
        warnings: { ...result().warnings, undefinedCitations: [{ key: 'x', line: 4 }], overfullBoxes: 2 },
      }),
    );
    expect(text).toBe(
      [
        'The paper did NOT compile (LaTeX error). Fix the errors below; the first one stops the build.',
        'Errors:',
        '- main.tex:7: Undefined control sequence \\foo',
        '    l.7 We use \\foo',
        'Pre-check findings:',
        '- main.tex:9: figure file a.png not found',
        'Warnings:',
        '- undefined citations (not in the .bib): x (line 4)',
        '- 2 overfull box(es): text or a table/figure runs into the margin',
        'Style (chktex):',
        '- main.tex:3: You should use \\ldots',
      ].join('\n'),
    );
  });

  it('stays within its budget and says how much it left out', () => {
    const many: CompileIssue[] = Array.from({ length: 200 }, (_, i) => ({
      source: 'precheck',
      kind: 'undefined-citation',
      message: `\\cite key key${i} is not in the bibliography; cite only keys that exist or add the entry`,
      file: 'main.tex',
      line: i + 1,
    }));
    const text = formatCompileFeedback(result({ prechecks: many }));
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text).toMatch(/\((\d+) more\)$/);
    const shown = (text.match(/^- /gm) ?? []).length;
    expect(Number(/\((\d+) more\)$/.exec(text)?.[1])).toBe(200 - shown);
  });

  it('says when there is something to fix', () => {
    expect(compileNeedsFix(result())).toBe(false);
    expect(compileNeedsFix(result({ ok: false }))).toBe(true);
    expect(
      compileNeedsFix(result({ warnings: { ...result().warnings, undefinedReferences: [{ label: 'x' }] } })),
    ).toBe(true);
    // Style notes alone do not cost a fix round.
    expect(
      compileNeedsFix(result({ prechecks: [{ source: 'chktex', kind: 'chktex-11', message: 'm' }] })),
    ).toBe(false);
  });
});

describe('findMainFile and capResult', () => {
  it('picks the one top-level document, prefers template.tex, and refuses ambiguity', () => {
    expect(findMainFile(files({ 'paper.tex': doc('x'), 'sec/a.tex': 'y' }))).toBe('paper.tex');
    expect(findMainFile(files({ 'a.tex': doc('x'), 'template.tex': doc('y') }))).toBe('template.tex');
    expect(() => findMainFile(files({ 'a.tex': doc('x'), 'b.tex': doc('y') }))).toThrow(/several top-level/);
    expect(() => findMainFile(files({ 'a.tex': '% \\documentclass{article}' }))).toThrow(/no top-level/);
    expect(() => findMainFile(files({ 'sec/a.tex': doc('x') }), 'sec/a.tex')).toThrow(
      /top of the paper folder/,
    );
  });

  it('caps the lists that go into workflow history and counts what it cut', () => {
    const issue: CompileIssue = { source: 'precheck', kind: 'k', message: 'm'.repeat(1000) };
    const capped = capResult(
      result({
        errors: Array(30).fill(issue) as CompileIssue[],
        prechecks: Array(60).fill(issue) as CompileIssue[],
      }),
    );
    expect(capped.errors).toHaveLength(RESULT_CAPS.errors);
    expect(capped.prechecks).toHaveLength(RESULT_CAPS.prechecks);
    expect(capped.truncated).toEqual({
      errors: 30 - RESULT_CAPS.errors,
      prechecks: 60 - RESULT_CAPS.prechecks,
    });
    expect(capped.errors[0]?.message).toHaveLength(300);
  });
});
