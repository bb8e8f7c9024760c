/**
 * Results and figures made by code (activities/writeup/results.ts, figures.ts): the one run-result
 * text every model reads, in run order; the LaTeX results tables from final_info.json with
 * mean ± std over seeds; figure captions from the model's descriptions. Pure functions;
 * test/latex/contain.test.ts compiles what they make.
 */
import { runResults } from '../../../activities/coder';
import { figureCaptions, figureLabel, figuresLatex } from '../../../activities/writeup/figures';
import { formatNumber, resultsTable, resultsTablesLatex } from '../../../activities/writeup/results';

const files = (entries: Record<string, string>) =>
  Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

describe('the run results the models read', () => {
  it('is one text for the coder and the writer, in run order (run_2 before run_10)', () => {
    const f = files({
      'run_10/final_info.json': '{"x": {"means": {"acc": 0.3}}}',
      'run_2/final_info.json': '{"x": {"means": {"acc": 0.2}}}',
      'run_0/final_info.json': '{"x":\n  {"means": {"acc": 0.1}}}',
    });
    expect(
      resultsTable(f)
        .text.split('\n')
        .map((l) => l.slice(0, 6)),
    ).toEqual(['run_0:', 'run_2:', 'run_10']);
    expect(runResults(f)).toBe(resultsTable(f).text);
    expect(resultsTable(f).text.split('\n')[0]).toBe('run_0: {"x": {"means": {"acc": 0.1}}}');
  });
});

describe('resultsTablesLatex', () => {
  it('has a column per run in run order, a row per metric grouped by dataset, and the label tab:results', () => {
    const { latex, labels } = resultsTablesLatex(
      files({
        'run_10/final_info.json': '{"x_plus_y": {"means": {"final_val_acc": 1.0, "step_val_acc_99": 120}}}',
        'run_0/final_info.json':
          '{"x_plus_y": {"means": {"final_val_acc": 0.98765, "step_val_acc_99": 150}}, "x_div_y": {"means": {"final_val_acc": 0.5}}}',
        'run_2/final_info.json': 'not json',
      }),
    );
    expect(labels).toEqual(['tab:results']);
    expect(latex).toContain('Metric & run\\_0 (baseline) & run\\_10 \\\\');
    expect(latex).toContain('\\multicolumn{3}{l}{\\textit{x\\_plus\\_y}} \\\\');
    expect(latex).toContain('final\\_val\\_acc & 0.9877 & 1 \\\\');
    expect(latex).toContain('step\\_val\\_acc\\_99 & 150 & 120 \\\\');
    expect(latex).toContain('final\\_val\\_acc & 0.5 & -- \\\\'); // x_div_y: run_10 has none
    expect(latex).toContain('\\label{tab:results}');
    expect(latex).toMatch(/\\toprule[\s\S]*\\midrule[\s\S]*\\bottomrule/);
  });

  it('shows mean ± std over seeds, a run’s own standard error, and NaN or infinite values as they are', () => {
    const { latex } = resultsTablesLatex(
      files({
        'run_0/final_info.json': JSON.stringify({
          shakespeare: {
            means: { val_loss_mean: 1.5, train_time_mean: 10 },
            stderrs: { val_loss_stderr: 0.01, train_time_stderr: 0.5 },
            final_info_dict: { val_loss: [1.0, 2.0, 1.5], train_time: [10] },
          },
        }),
        'run_1/final_info.json':
          '{"shakespeare": {"means": {"val_loss_mean": NaN, "train_time_mean": Infinity}}}',
      }),
    );
    expect(latex).toContain('val\\_loss & 1.5 $\\pm$ 0.5 & NaN \\\\');
    expect(latex).toContain('train\\_time & 10 $\\pm$ 0.5 & $\\infty$ \\\\');
    expect(latex).toContain('mean $\\pm$ standard deviation over seeds where a run has several');
    expect(latex).toContain('$\\pm$ the standard error the run reports');
  });

  it('splits long results into tables of at most 30 rows, labelled tab:results, tab:results-2 …', () => {
    const metrics = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`m${i}`, i / 7]));
    const { latex, labels } = resultsTablesLatex(
      files({ 'run_0/final_info.json': JSON.stringify({ d: { means: metrics } }) }),
    );
    expect(labels).toEqual(['tab:results', 'tab:results-2']);
    expect(latex.match(/\\begin\{table\}/g)).toHaveLength(2);
  });

  it('uses \\hline without booktabs and is empty without results', () => {
    const { latex } = resultsTablesLatex(files({ 'run_0/final_info.json': '{"d": {"means": {"a": 1}}}' }), {
      booktabs: false,
      graphicx: false,
    });
    expect(latex).not.toContain('\\toprule');
    expect(latex).toContain('\\hline');
    expect(resultsTablesLatex({})).toEqual({ latex: '', labels: [] });
  });

  it('formats numbers compactly', () => {
    expect([0.123456, 150, 1e-5, 123456.7, -0.5, 2.5e10].map(formatNumber)).toEqual([
      '0.1235',
      '150',
      '$1\\times10^{-5}$',
      '$1.23\\times10^{5}$',
      '-0.5',
      '$2.5\\times10^{10}$',
    ]);
  });
});

describe('figures placed by code', () => {
  const names = ['train_loss_x_plus_y.png', 'val_acc_x_plus_y.png', 'val_loss.png'];

  it('takes each caption from the description that names the figure, and one from the name otherwise', () => {
    const description = `**val_acc_x_plus_y.png**: Validation accuracy over training for each run; doubled warmup groks later.
train_loss_x_plus_y.png - The training loss falls below 0.01 within 100 steps in every run.`;
    const captions = figureCaptions(description, names);
    expect(captions['val_acc_x_plus_y.png']).toBe(
      'Validation accuracy over training for each run; doubled warmup groks later.',
    );
    expect(captions['train_loss_x_plus_y.png']).toBe(
      'The training loss falls below 0.01 within 100 steps in every run.',
    );
    expect(captions['val_loss.png']).toBe('Val loss (made by plot.py).');
  });

  it('places two figures per float with escaped captions and labels from the file names', () => {
    const latex = figuresLatex(names, { 'val_acc_x_plus_y.png': '50% of runs & more_than_half {grok}' });
    expect(latex.match(/\\begin\{figure\}/g)).toHaveLength(2);
    expect(latex).toContain('\\includegraphics[width=\\linewidth]{val_acc_x_plus_y.png}');
    expect(latex).toContain('\\caption{50\\% of runs \\& more\\_than\\_half \\{grok\\}}');
    expect(latex).toContain(`\\label{${figureLabel('val_acc_x_plus_y.png')}}`);
    expect(figureLabel('val_acc_x_plus_y.png')).toBe('fig:val-acc-x-plus-y');
    expect(figuresLatex([], {})).toBe('');
  });
});
