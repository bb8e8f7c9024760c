import { mostSimilar } from '../../activities/ideation/similarity';
import { resultsTable } from '../../activities/writeup';
import {
  assemble,
  embeddedBibliography,
  emptyDraft,
  partAtLine,
  partOf,
  replacePart,
  unsupportedNumbers,
} from '../../activities/writeup/assemble';

const TEMPLATE = String.raw`\documentclass{article}
\begin{filecontents}{references.bib}
@article{power2022grokking, title={Grokking}, author={Power, A.}, year={2022}}
\end{filecontents}
\title{TITLE HERE}
\begin{document}
\maketitle
\begin{abstract}
ABSTRACT HERE
\end{abstract}
\section{Introduction}
\label{sec:intro}
INTRO HERE
\section{Results}
RESULTS HERE
\bibliographystyle{plainnat}
\bibliography{references}
\end{document}
`;

describe('write-up assembly', () => {
  it('fills title, abstract and the template’s sections in place; adds sections it lacks before the bibliography', () => {
    const draft = {
      ...emptyDraft(),
      title: 'Warmup and Grokking',
      sections: {
        abstract: 'We study warmup.',
        introduction: 'Intro text.',
        results: 'Accuracy 0.91.',
        method: 'Method text.',
      },
    };
    const tex = assemble(TEMPLATE, draft);
    expect(tex).toContain('\\title{Warmup and Grokking}');
    // Each body the model wrote is fenced, so that a TeX error's line names its part.
    expect(tex).toMatch(
      /\\begin\{abstract\}\n% ds:begin abstract\nWe study warmup\.\n% ds:end abstract\n\\end\{abstract\}/,
    );
    expect(tex).toMatch(/\\label\{sec:intro\}\n% ds:begin introduction\nIntro text\.\n% ds:end introduction/);
    // The results section ends with the tables and figures made by code.
    expect(tex).toMatch(
      /Accuracy 0\.91\.\n% ds:end results\n\n\\input\{results_tables\}\n\\input\{figures\}/,
    );
    const line = tex.split('\n').indexOf('Intro text.') + 1;
    expect(partAtLine(tex, line)).toBe('introduction');
    expect(partAtLine(tex, tex.split('\n').indexOf('\\maketitle') + 1)).toBeUndefined();
    expect(partOf(replacePart(tex, 'method', 'New method.')!, 'method')).toBe('New method.');
    expect(tex).not.toContain('INTRO HERE');
    expect(tex.indexOf('\\section{Method}')).toBeLessThan(tex.indexOf('\\bibliographystyle'));
    expect(tex).not.toContain('filecontents');
  });

  it('keeps the template’s embedded bibliography as the start of references.bib', () => {
    expect(embeddedBibliography(TEMPLATE)).toContain('@article{power2022grokking');
  });

  it('flags numbers that are in no run’s results, allowing for rounding and percentages', () => {
    const results = [0.91234, 0.5, 1234];
    expect(unsupportedNumbers('We reach 0.912 and 91.23% after 1234 steps in 2024.', results)).toEqual([]);
    expect(unsupportedNumbers('We reach 0.97 accuracy and 0.5.', results)).toEqual(['0.97']);
  });
});

describe('near-duplicate ideas', () => {
  it('scores a reworded copy as similar and a different idea as not', () => {
    const archive = [
      {
        name: 'wd_sweep',
        title: 'Weight decay and grokking speed',
        experiment: 'Sweep weight decay values and measure steps to grokking.',
      },
    ];
    const copy = mostSimilar(
      {
        name: 'weight_decay_study',
        title: 'Grokking speed and weight decay',
        experiment: 'Measure steps to grokking while sweeping weight decay.',
      },
      archive,
    );
    const other = mostSimilar(
      {
        name: 'depth',
        title: 'Transformer depth in modular arithmetic',
        experiment: 'Vary the number of layers and compare accuracy curves.',
      },
      archive,
    );
    expect(copy!.similarity).toBeGreaterThanOrEqual(0.6);
    expect(other!.similarity).toBeLessThan(0.3);
  });
});

describe('the results table the write-up is given', () => {
  it('includes a diverged run (Python NaN) and only finite numbers count as citable', () => {
    const table = resultsTable({
      'run_0/final_info.json': Buffer.from('{"x": {"means": {"acc": 0.9}}}'),
      'run_1/final_info.json': Buffer.from('{"x": {"means": {"loss": NaN, "acc": 0.25}}}'),
      'run_1/log.txt': Buffer.from('12345'),
    });
    expect(table.numbers).toEqual([0.9, 0.25]);
    expect(table.text.split('\n')).toEqual([
      'run_0: {"x": {"means": {"acc": 0.9}}}',
      'run_1: {"x": {"means": {"loss": NaN, "acc": 0.25}}}',
    ]);
  });
});
