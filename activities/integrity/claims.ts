/**
 * The claim check, on the compiled paper's text (pdftotext): every number with its unit or
 * percent is traced to a source the paper's records hold — a logged metric (exact or correctly
 * rounded), a difference, ratio or percent change of two logged metrics, the runs' manifests,
 * the configuration (the experiment code's literals, the idea, the paper's settings), the
 * template's task description, or the bibliography's metadata — and every statement of a GPU,
 * CPU or software version is held to the manifests. Plain functions; the activity is in ./index.ts.
 */
import type { RunManifest } from '../../contracts';
import type { NoiseGate } from './gate';

export type ClaimKind = 'number' | 'hardware' | 'version' | 'compute-unfair' | 'noise' | 'no-change';

/** A statement the records do not support, with the sentence around it. */
export interface Flag {
  kind: ClaimKind;
  /** The number or the statement as the text has it. */
  text: string;
  /** Up to 200 characters of text around it. */
  context: string;
  why: string;
}

export type Source = 'metric' | 'derived' | 'manifest' | 'configuration' | 'task' | 'citation' | 'gate';

export interface ClaimSources {
  /** Every finite number of every run's final_info.json (per-seed values and their mean ± std included). */
  metrics: number[];
  /** Per run, `<dataset>.<metric>` → mean: the pairs derived values come from. */
  runMetrics: Record<string, number>[];
  manifests: RunManifest[];
  /** Text whose numbers count as configuration: experiment.py, the idea, the settings. */
  configuration: string;
  /** The template's task description. */
  task: string;
  /** references.bib. */
  bibliography: string;
  /** Compute ratio over the baseline above which a variant presented as a win is compute-unfair (default 1.2). */
  computeRatio?: number;
  /**
   * The noise gate over seeds (./gate.ts). Without one, or with one seed per run, a claim of a
   * significant or reliable difference is flagged anywhere; when it was computed and did not
   * pass, so are "outperforms", "improves" and their kin in the abstract, results and conclusion.
   */
  gate?: NoiseGate;
  /** Variants whose results equal the baseline's in every metric; presenting one as a change is flagged. */
  identical?: string[];
}

/** Words that claim a difference is statistically real. */
const SIGNIFICANCE =
  /\b(statistically\s+significant\w*|significant(?:ly)?|reliabl[ey]\s+(?:better|outperform\w*|improv\w*))\b/gi;

/** A variant that used clearly more than the baseline: its ratio, and whether by parameters or device time. */
export interface ComputeExcess {
  run: string;
  basis: 'parameters' | 'device-seconds';
  ratio: number;
}

/**
 * Runs that use more than `ratio` × the baseline's (run_0) parameters, or where either run
 * reports no parameter count, its device-seconds.
 */
export function computeExcess(ms: RunManifest[], ratio: number): ComputeExcess[] {
  const base = ms.find((m) => m.runName === 'run_0');
  if (!base) return [];
  return ms
    .filter((m) => m !== base)
    .flatMap((m): ComputeExcess[] => {
      const byParams = base.params && m.params;
      const r = byParams
        ? m.params! / base.params!
        : base.deviceSeconds > 0
          ? m.deviceSeconds / base.deviceSeconds
          : 0;
      return r > ratio
        ? [{ run: m.runName, basis: byParams ? 'parameters' : 'device-seconds', ratio: r }]
        : [];
    });
}

/** The sentence the paper carries for each compute-unfair comparison (made by code). */
export const excessSentence = (e: ComputeExcess) =>
  `${e.run} uses ${e.ratio.toFixed(2)}x the ${e.basis} of the baseline (run_0), so its comparison with the baseline is not compute-matched.`;

/** Words that present a variant as better than the baseline. */
const IMPROVEMENT = /\b(improv\w*|outperform\w*|better|superior|significant\w*|beats?|gains?)\b/i;

/** Words that claim a difference, held to the noise gate in the abstract, results and conclusion. */
const DIFFERENCE_CLAIM =
  /\b(outperform\w*|improv(?:es|ed|ing|ement|ements)|better\s+than|superior\s+to|beats?)\b/gi;

/** Words that present a variant as having an effect (held against a variant identical to the baseline). */
const EFFECT_CLAIM =
  /\b(improv\w*|outperform\w*|better|superior|beats?|gains?|higher|lower|faster|slower|reduc\w*|increas\w*|accelerat\w*|speeds?\s+up|delays?|changes)\b/i;

const HEADING =
  /^[ \t]*(?:\d+(?:\.\d+)*\.?\s+)?(Abstract|Introduction|Background|Related\s+Work|Methods?|Method(?:ology)?|Experimental\s+Setup|Experiments|Results(?:\s+and\s+Discussion)?|Discussion|Conclusions?(?:\s+and\s+Future\s+Work)?|References)[ \t]*$/gim;

/**
 * The spans of the text's abstract, results and conclusion, by their headings as pdftotext
 * writes them ("Abstract", "5 Results"); the whole text when no heading is found.
 */
export function claimRegions(text: string): [number, number][] {
  const heads = [...text.matchAll(HEADING)].map((m) => ({ at: m.index, name: m[1]!.toLowerCase() }));
  if (!heads.length) return [[0, text.length]];
  return heads.flatMap((h, i) =>
    /^(abstract|results|conclusion)/.test(h.name)
      ? [[h.at, heads[i + 1]?.at ?? text.length] as [number, number]]
      : [],
  );
}

/** The numbers the gate's sentence may print: α, the corrected threshold, counts, the tests' statistics. */
export function gateNumbers(g: NoiseGate | undefined): number[] {
  if (!g) return [];
  const out = [g.alpha, g.seeds.baseline, g.seeds.variant, g.tests.length, 0.0001];
  if (g.tests.length) out.push(g.alpha / g.tests.length, g.tests.filter((t) => t.reliable).length);
  for (const t of g.tests)
    out.push(t.p, t.t, t.df, t.baseline.mean, t.baseline.std, t.variant.mean, t.variant.std);
  return out;
}

export interface ClaimReport {
  /** Numbers checked, and how many traced (by source). */
  numbers: number;
  traced: number;
  bySource: Partial<Record<Source, number>>;
  flags: Flag[];
}

/** Most logged means taken into derived pairs (pairs grow as n²). */
const DERIVED_MAX_VALUES = 300;

/** The text the check reads: the paper up to its bibliography (the references are code-made metadata). */
export function checkedText(pdfText: string): string {
  const text = pdfText.replace(/-\n(?=[a-z])/g, '').replace(/\r/g, '');
  const refs = [...text.matchAll(/^\s*References\s*$/gm)].pop();
  return refs ? text.slice(0, refs.index) : text;
}

interface Found {
  raw: string;
  value: number;
  decimals: number;
  percent: boolean;
  at: number;
  end: number;
}

/**
 * Numbers a claim could rest on: decimals, integers of two digits or more, and anything with a
 * percent sign or ×10^k. Not: years, page numbers, references to tables, figures, sections and
 * equations, digits inside identifiers (run_1, sha256 prefixes).
 */
export function numbersIn(text: string): Found[] {
  const out: Found[] = [];
  const re =
    /(?<![\w.^{-])(-|−)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(?:×|x|\\times)\s*10\s*\^?\s*\{?\s*(−|-)?(\d+)\}?)?(\s*%)?(?![\w.]\d|\w)/g;
  for (const m of text.matchAll(re)) {
    const raw = m[0];
    const at = m.index;
    const before = text.slice(Math.max(0, at - 12), at);
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const lineEnd = text.indexOf('\n', at);
    const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim();
    const intPart = m[2]!.replace(/,/g, '');
    const decimals = m[3]?.length ?? 0;
    const percent = Boolean(m[6]);
    const exp = m[5] ? Number(`${m[4] ? '-' : ''}${m[5]}`) : 0;
    const value = Number(`${m[1] ? '-' : ''}${intPart}${m[3] ? `.${m[3]}` : ''}`) * 10 ** exp;
    if (!Number.isFinite(value)) continue;
    if (
      /(Table|Tab\.|Figure|Fig\.|Section|Sec\.|Eq\.|Equation|Appendix|Algorithm|page|run_|Run)\s*~?$/i.test(
        before,
      )
    )
      continue;
    // A page number: an integer alone on the last line of its page (pdftotext ends a page with \f).
    if (line === raw.trim() && !decimals && /^\s*(\f|$)/.test(text.slice(at + raw.length))) continue;
    // A section number ("4.1 Results") at the start of its line.
    if (at === lineStart && /^\d+(?:\.\d+){0,2}\s+[A-Z][a-z]/.test(line)) continue;
    if (!decimals && !percent && !exp) {
      if (Math.abs(value) < 10) continue;
      if (Number.isInteger(value) && value >= 1900 && value <= 2100) continue;
    }
    // An equation number "(3)" or a citation bracket "[12]".
    if (/[([]$/.test(before) && /^[)\]]/.test(text.slice(at + raw.length)) && !decimals) continue;
    out.push({ raw: raw.trim(), value, decimals, percent, at, end: at + raw.length });
  }
  return out;
}

/** Whether `value` as written (with `decimals` places) is `target` exactly or correctly rounded. */
function matches(found: Found, target: number): boolean {
  if (!Number.isFinite(target)) return false;
  const tol = found.decimals ? 0.5 * 10 ** -found.decimals + 1e-9 : 0.5 + 1e-9;
  // A percent is a fraction ×100 or a logged percent; a bare number is the value itself.
  const candidates = found.percent ? [target * 100, target] : [target];
  // A number in powers of ten (or a long decimal) is compared by its significant digits.
  return candidates.some((c) => {
    if (Math.abs(c - found.value) <= tol) return true;
    if (found.value !== 0 && Math.abs(found.value) < 1e-3) {
      const digits = found.raw.replace(/[^\d]/g, '').replace(/^0+/, '').length || 1;
      return (
        Math.abs(c - found.value) <= 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(found.value))) - digits + 1)
      );
    }
    return false;
  });
}

/** All numbers in a text (for configuration, task description and bibliography sources). */
function literals(text: string): number[] {
  return [...text.matchAll(/(?<![\w])-?\d+(?:\.\d+)?(?:e-?\d+)?/gi)]
    .map((m) => Number(m[0]))
    .filter(Number.isFinite);
}

function manifestNumbers(ms: RunManifest[]): number[] {
  const out: number[] = [];
  for (const m of ms) {
    out.push(m.device.cpuCores, m.wallSeconds, m.deviceSeconds, ...m.seeds);
    if (m.params) out.push(m.params);
    if (m.flops) out.push(m.flops);
    if (m.device.gpu) out.push(m.device.gpu.memoryMiB, Math.round(m.device.gpu.memoryMiB / 1024));
    // The setup table prints 10-character hash prefixes; one made of digits only reads as a number.
    for (const h of [m.code.experimentSha256, m.code.workspaceSha256])
      if (/^\d{10}/.test(h)) out.push(Number(h.slice(0, 10)));
    for (const v of [
      m.image.python,
      m.image.torch,
      m.image.numpy,
      m.image.torchCuda ?? '',
      m.device.gpu?.cuda ?? '',
    ])
      out.push(...literals(v));
  }
  const wall = ms.reduce((a, m) => a + m.wallSeconds, 0);
  const device = ms.reduce((a, m) => a + m.deviceSeconds, 0);
  out.push(wall, device, wall / 60, device / 60, ms.length);
  return out;
}

/** Differences, ratios and percent changes of two logged means of the same metric (every pair of runs). */
function derived(runMetrics: Record<string, number>[]): number[] {
  const byMetric = new Map<string, number[]>();
  for (const run of runMetrics)
    for (const [k, v] of Object.entries(run)) byMetric.set(k, [...(byMetric.get(k) ?? []), v]);
  const out: number[] = [];
  let taken = 0;
  for (const values of byMetric.values()) {
    if ((taken += values.length) > DERIVED_MAX_VALUES) break;
    for (const a of values)
      for (const b of values) {
        if (a === b) continue;
        out.push(a - b, Math.abs(a - b));
        if (b !== 0) out.push(a / b, ((a - b) / Math.abs(b)) * 100, Math.abs((a - b) / b) * 100);
      }
  }
  return out;
}

const GPU =
  /\b(?:NVIDIA|Tesla|GeForce|Quadro|Radeon|Instinct|TPU\s*v?\d*|RTX\s*\d{4}|GTX\s*\d{3,4}|[AHV]100|H200|A10G?|A40|A6000|L4|T4|K80|P100|MI\d{3})\b/g;
const CPU = /\b(?:Intel|Xeon|Core\s+i\d|AMD|EPYC|Ryzen|Threadripper|Apple\s+M\d|Graviton|Ampere\s+Altra)\b/g;
const VERSION =
  /\b(PyTorch|torch|Python|NumPy|CUDA|cuDNN|TensorFlow|JAX|scikit-learn|Transformers)\s*(?:version\s*|v)?(\d+(?:\.\d+){0,2})\b/gi;

function around(text: string, at: number, end: number): string {
  const from = Math.max(0, text.lastIndexOf('.', at - 1) + 1, at - 120);
  const stop = text.indexOf('.', end);
  const to = Math.min(text.length, stop < 0 ? end + 80 : stop + 1, end + 120);
  return text.slice(from, to).replace(/\s+/g, ' ').trim();
}

/** The version the manifests hold for a package name, or undefined when they hold none. */
function manifestVersions(ms: RunManifest[], name: string): string[] {
  const n = name.toLowerCase();
  return ms.flatMap((m) => {
    if (n === 'pytorch' || n === 'torch') return [m.image.torch];
    if (n === 'python') return [m.image.python];
    if (n === 'numpy') return [m.image.numpy];
    if (n === 'cuda') return [m.device.gpu?.cuda, m.image.torchCuda].filter((x): x is string => Boolean(x));
    return [];
  });
}

/** `stated` names `actual` when it is the same version or a prefix of it at a dot (1.13 of 1.13.1). */
const sameVersion = (stated: string, actual: string) =>
  actual === stated || actual.startsWith(`${stated}.`) || actual.startsWith(`${stated}+`);

/** The check itself: every number traced or flagged, every hardware and version statement held to the manifests. */
export function checkClaims(pdfText: string, src: ClaimSources): ClaimReport {
  const text = checkedText(pdfText);
  const flags: Flag[] = [];
  const consumed: [number, number][] = [];
  const hw = src.manifests;
  const gpuNames = hw.map((m) => m.device.gpu?.name ?? '').filter(Boolean);
  const cpuModels = hw.map((m) => m.device.cpuModel);

  for (const m of text.matchAll(VERSION)) {
    const [whole, name, version] = [m[0], m[1]!, m[2]!];
    consumed.push([m.index, m.index + whole.length]);
    const have = manifestVersions(hw, name);
    if (!have.some((v) => sameVersion(version, v)))
      flags.push({
        kind: 'version',
        text: whole,
        context: around(text, m.index, m.index + whole.length),
        why: have.length
          ? `the image has ${name} ${[...new Set(have)].join(', ')}`
          : `the manifests record no ${name} version`,
      });
  }
  for (const m of text.matchAll(GPU)) {
    const token = m[0];
    const ok =
      gpuNames.some((g) => g.toLowerCase().includes(token.toLowerCase().replace(/\s+/g, ' '))) ||
      (/^NVIDIA$/i.test(token) && gpuNames.length > 0);
    if (!ok)
      flags.push({
        kind: 'hardware',
        text: token,
        context: around(text, m.index, m.index + token.length),
        why: gpuNames.length
          ? `the runs ran on ${[...new Set(gpuNames)].join(', ')}`
          : 'the runs ran on no GPU',
      });
  }
  for (const m of text.matchAll(CPU)) {
    const token = m[0];
    if (!cpuModels.some((c) => c.toLowerCase().includes(token.toLowerCase())))
      flags.push({
        kind: 'hardware',
        text: token,
        context: around(text, m.index, m.index + token.length),
        why: `the runs' CPU is ${[...new Set(cpuModels)].join(', ') || 'not recorded'}`,
      });
  }

  const sources: [Source, number[]][] = [
    ['metric', src.metrics],
    ['manifest', manifestNumbers(hw)],
    ['configuration', literals(src.configuration)],
    ['task', literals(src.task)],
    ['citation', literals(src.bibliography)],
    ['derived', derived(src.runMetrics)],
    ['gate', gateNumbers(src.gate)],
  ];
  const bySource: Partial<Record<Source, number>> = {};
  let numbers = 0;
  let traced = 0;
  for (const n of numbersIn(text)) {
    if (consumed.some(([a, b]) => n.at >= a && n.end <= b)) continue;
    numbers++;
    const hit = sources.find(([, values]) => values.some((v) => matches(n, v)));
    if (hit) {
      traced++;
      bySource[hit[0]] = (bySource[hit[0]] ?? 0) + 1;
    } else
      flags.push({
        kind: 'number',
        text: n.raw,
        context: around(text, n.at, n.end),
        why: 'no logged metric, derived value, manifest, configuration, task description or cited paper holds it',
      });
  }
  for (const e of computeExcess(hw, src.computeRatio ?? 1.2)) {
    const m = IMPROVEMENT.exec(text);
    if (m)
      flags.push({
        kind: 'compute-unfair',
        text: `${e.run}: ${e.ratio.toFixed(2)}x ${e.basis}`,
        context: around(text, m.index, m.index + m[0].length),
        why: `the paper presents a variant as an improvement, and ${excessSentence(e)}`,
      });
  }
  const gate = src.gate;
  const computed = gate && gate.status !== 'one-seed' && gate.status !== 'no-variant';
  if (gate?.status !== 'passed') {
    const why = computed
      ? `the noise gate did not pass (${gate.status}: ${gate.sentence}) — say that no reliable difference was found`
      : 'no noise gate over seeds passed (one seed per variant): say that no reliable difference can be established';
    const seen = new Set<number>();
    const flag = (m: RegExpMatchArray) => {
      if (seen.has(m.index!)) return;
      seen.add(m.index!);
      flags.push({
        kind: 'noise',
        text: m[0],
        context: around(text, m.index!, m.index! + m[0].length),
        why,
      });
    };
    for (const m of text.matchAll(SIGNIFICANCE)) flag(m);
    // With seeds run, a claim of a difference in the abstract, results or conclusion needs the gate too.
    if (computed)
      for (const [from, to] of claimRegions(text))
        for (const m of text.slice(from, to).matchAll(DIFFERENCE_CLAIM))
          flag(Object.assign([m[0]], { index: from + m.index }) as RegExpMatchArray);
  }
  for (const run of src.identical ?? []) {
    const m = claimRegions(text)
      .map(([from, to]) => {
        const hit = EFFECT_CLAIM.exec(text.slice(from, to));
        return hit ? { index: from + hit.index, 0: hit[0] } : undefined;
      })
      .find(Boolean);
    if (m)
      flags.push({
        kind: 'no-change',
        text: `${run}: identical to run_0`,
        context: around(text, m.index, m.index + m[0].length),
        why: `${run}'s results equal the baseline's in every metric (the edit changed nothing measurable), and the paper presents a change or an improvement`,
      });
  }
  return { numbers, traced, bySource, flags };
}
