/**
 * The runs' results, made by code from every successful run's final_info.json: the text the
 * models read (coding and writing alike), the numbers a results section may cite, and the
 * LaTeX results tables the paper prints. The model writes prose around the tables and refers to
 * them by label; it never types their numbers into a table of its own.
 */
import { parsePythonJson } from '../experiments';
import { escapeText } from '../latex/plain';
import type { WorkspaceFiles } from '../workspace';

const RESULT_FILE = /^run_(\d+)\/final_info\.json$/;
/** Longest final_info.json text one run contributes to a prompt (characters). */
const PROMPT_CHARS_PER_RUN = 4000;
/** Rows (metrics and dataset headings) per LaTeX table; longer results continue in another. */
const ROWS_PER_TABLE = 30;

/** The label of the first results table (the model's prompt names it). */
export const RESULTS_LABEL = 'tab:results';

interface RunResult {
  run: string;
  text: string;
  /** Parsed, or undefined when the file is not JSON (it is still shown as text). */
  info?: unknown;
}

/** Each run's final_info.json, in run order (run_2 before run_10). */
export function runResultFiles(files: WorkspaceFiles): RunResult[] {
  return Object.keys(files)
    .filter((p) => RESULT_FILE.test(p))
    .sort((a, b) => Number(RESULT_FILE.exec(a)![1]) - Number(RESULT_FILE.exec(b)![1]))
    .map((p) => {
      const text = files[p]!.toString();
      let info: unknown;
      try {
        info = parsePythonJson(text);
      } catch {
        info = undefined;
      }
      return { run: p.split('/')[0]!, text, info };
    });
}

/**
 * The results as the models read them: one line per run (`run_N: {…}`, whitespace collapsed),
 * in run order, and every finite number in them (with the means and standard deviations the
 * tables compute from per-seed values), which is what a results section may cite.
 */
export function resultsTable(files: WorkspaceFiles): { text: string; numbers: number[] } {
  const numbers: number[] = [];
  const collect = (v: unknown) => {
    if (typeof v === 'number') numbers.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  const lines: string[] = [];
  for (const r of runResultFiles(files)) {
    if (r.info === undefined) continue;
    collect(r.info);
    for (const dataset of datasetsOf(r.info))
      for (const cell of Object.values(dataset.metrics))
        if (cell.std !== undefined) numbers.push(cell.mean, cell.std);
    lines.push(`${r.run}: ${r.text.replace(/\s+/g, ' ').trim().slice(0, PROMPT_CHARS_PER_RUN)}`);
  }
  return { text: lines.join('\n') || '(no results yet)', numbers };
}

/** One metric of one dataset in one run: a value, or the mean and spread over several seeds. */
interface Cell {
  mean: number;
  std?: number;
  /** Seeds behind mean ± std; absent when the spread is a standard error given by the run. */
  seeds?: number;
  /** A value that is not a finite number (NaN, Infinity, a string), shown as it is. */
  raw?: string;
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The datasets of one final_info.json with their metrics. AI-Scientist templates that run
 * several seeds write `means` (`<metric>_mean`), `stderrs` and `final_info_dict` (the per-seed
 * values): where per-seed values exist the cell is their mean ± standard deviation.
 */
function datasetsOf(info: unknown): { name: string; metrics: Record<string, Cell> }[] {
  if (!info || typeof info !== 'object') return [];
  const out: { name: string; metrics: Record<string, Cell> }[] = [];
  for (const [name, entry] of Object.entries(info as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object') continue;
    const e = entry as { means?: unknown; stderrs?: unknown; final_info_dict?: unknown };
    if (!e.means || typeof e.means !== 'object') continue;
    const stderrs = (e.stderrs && typeof e.stderrs === 'object' ? e.stderrs : {}) as Record<string, unknown>;
    const perSeed = (
      e.final_info_dict && typeof e.final_info_dict === 'object' ? e.final_info_dict : {}
    ) as Record<string, unknown>;
    const metrics: Record<string, Cell> = {};
    for (const [key, value] of Object.entries(e.means as Record<string, unknown>)) {
      const base = key.replace(/_mean$/, '');
      const seeds = [perSeed[base], perSeed[key]].find(
        (s): s is number[] => Array.isArray(s) && s.length >= 2 && s.every(finite),
      );
      if (seeds) {
        const mean = seeds.reduce((a, b) => a + b, 0) / seeds.length;
        const std = Math.sqrt(seeds.reduce((a, b) => a + (b - mean) ** 2, 0) / (seeds.length - 1));
        metrics[base] = { mean, std, seeds: seeds.length };
        continue;
      }
      if (!finite(value)) {
        metrics[base] = {
          mean: NaN,
          raw: typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : '',
        };
        continue;
      }
      const se = stderrs[`${base}_stderr`] ?? stderrs[`${key}_stderr`] ?? stderrs[key];
      metrics[base] = finite(se) ? { mean: value, std: se } : { mean: value };
    }
    out.push({ name, metrics });
  }
  return out;
}

/** A number as a table shows it: integers whole, others to 4 significant digits, tiny or huge ones in powers of ten. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '$\\infty$' : '$-\\infty$';
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(2).split('e');
    return `$${Number(m)}\\times10^{${Number(e)}}$`;
  }
  return String(Number(v.toPrecision(4)));
}

function formatCell(cell: Cell | undefined): string {
  if (!cell) return '--';
  if (cell.raw !== undefined) {
    if (cell.raw === 'NaN' || cell.raw === 'Infinity' || cell.raw === '-Infinity')
      return formatNumber(Number(cell.raw));
    return cell.raw ? escapeText(cell.raw.slice(0, 24)) : '--';
  }
  return cell.std === undefined
    ? formatNumber(cell.mean)
    : `${formatNumber(cell.mean)} $\\pm$ ${formatNumber(cell.std)}`;
}

/** What the template's preamble provides to the generated LaTeX. */
export interface TableFeatures {
  /** booktabs rules (\toprule …); plain \hline otherwise. */
  booktabs: boolean;
  /** graphicx, for scaling a wide table to the text width. */
  graphicx: boolean;
}

export function tableFeatures(templateTex: string): TableFeatures {
  const packages = [...templateTex.matchAll(/^[^%\n]*\\usepackage\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/gm)]
    .flatMap((m) => (m[1] ?? '').split(','))
    .map((p) => p.trim());
  return { booktabs: packages.includes('booktabs'), graphicx: packages.includes('graphicx') };
}

/**
 * The results tables: one column per successful run (in run order), one row per metric,
 * grouped by dataset; mean ± std where a run has per-seed values (± the run's own standard
 * error where it gives one). The first table is labelled `tab:results`, any further ones
 * `tab:results-2`, … Empty when no run has results.
 */
export function resultsTablesLatex(
  files: WorkspaceFiles,
  features: TableFeatures = { booktabs: true, graphicx: true },
): { latex: string; labels: string[] } {
  const runs = runResultFiles(files)
    .map((r) => ({ run: r.run, datasets: datasetsOf(r.info) }))
    .filter((r) => r.datasets.length > 0);
  if (!runs.length) return { latex: '', labels: [] };
  // Datasets and metrics in the order they first appear (the baseline's order, then new ones).
  const order = new Map<string, string[]>();
  for (const r of runs)
    for (const d of r.datasets) {
      const metrics = order.get(d.name) ?? [];
      for (const m of Object.keys(d.metrics)) if (!metrics.includes(m)) metrics.push(m);
      order.set(d.name, metrics);
    }
  const cell = (run: (typeof runs)[number], dataset: string, metric: string) =>
    formatCell(run.datasets.find((d) => d.name === dataset)?.metrics[metric]);
  const seeded = runs.some((r) => r.datasets.some((d) => Object.values(d.metrics).some((c) => c.seeds)));
  const stderr = runs.some((r) =>
    r.datasets.some((d) => Object.values(d.metrics).some((c) => c.std !== undefined && !c.seeds)),
  );

  const cols = runs.length + 1;
  const rows: string[][] = [];
  for (const [dataset, metrics] of order) {
    const group: string[] = [];
    if (order.size > 1) group.push(`\\multicolumn{${cols}}{l}{\\textit{${escapeText(dataset)}}} \\\\`);
    for (const metric of metrics)
      group.push(`${escapeText(metric)} & ${runs.map((r) => cell(r, dataset, metric)).join(' & ')} \\\\`);
    rows.push(group);
  }
  // Tables of at most ROWS_PER_TABLE rows, a dataset's rows kept together where they fit.
  const chunks: string[][] = [[]];
  for (const group of rows) {
    const last = chunks[chunks.length - 1]!;
    if (last.length && last.length + group.length > ROWS_PER_TABLE) chunks.push([]);
    for (const row of group) {
      const cur = chunks[chunks.length - 1]!;
      if (cur.length >= ROWS_PER_TABLE) chunks.push([]);
      chunks[chunks.length - 1]!.push(row);
    }
  }
  const [top, mid, bottom] = features.booktabs
    ? ['\\toprule', '\\midrule', '\\bottomrule']
    : ['\\hline', '\\hline', '\\hline'];
  const head = `Metric & ${runs.map((r) => `${escapeText(r.run)}${r.run === 'run_0' ? ' (baseline)' : ''}`).join(' & ')} \\\\`;
  const spread = [
    seeded ? 'mean $\\pm$ standard deviation over seeds where a run has several' : '',
    stderr ? '$\\pm$ the standard error the run reports' : '',
  ]
    .filter(Boolean)
    .join('; ');
  const labels: string[] = [];
  const tables = chunks.map((chunk, i) => {
    const label = i === 0 ? RESULTS_LABEL : `${RESULTS_LABEL}-${i + 1}`;
    labels.push(label);
    const tabular = [
      `\\begin{tabular}{l${'r'.repeat(runs.length)}}`,
      top,
      head,
      mid,
      ...chunk,
      bottom,
      '\\end{tabular}',
    ].join('\n');
    const body =
      features.graphicx && runs.length > 4 ? `\\resizebox{\\linewidth}{!}{%\n${tabular}}` : tabular;
    return [
      '\\begin{table}[!htbp]',
      '\\centering',
      '\\small',
      `\\caption{${i === 0 ? 'Results of every successful run' : 'Results of every successful run (continued)'}, from each run's final\\_info.json${spread ? ` (${spread})` : ''}.}`,
      `\\label{${label}}`,
      body,
      '\\end{table}',
    ].join('\n');
  });
  return {
    latex: `% Made by code from every successful run's final_info.json.\n${tables.join('\n\n')}\n`,
    labels,
  };
}
