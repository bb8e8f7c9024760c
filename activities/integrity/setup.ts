/**
 * The setup facts of a paper, from its runs' manifests: a paragraph and a table that code
 * writes into the experimental setup section, and the same facts as text for the writing
 * model, which is told to state no others.
 */
import type { RunManifest } from '../../contracts';
import { escapeText } from '../latex/plain';
import { parsePythonJson } from '../experiments/final-info';
import { computeExcess, excessSentence } from './claims';
import { MANIFEST_FILE } from './manifest';

const MANIFEST_PATH = new RegExp(`^run_(\\d+)/${MANIFEST_FILE.replace('.', '\\.')}$`);

/** The label of the setup table. */
export const SETUP_LABEL = 'tab:setup';

/** Whether a workspace path is a run's manifest. */
export const isManifestPath = (p: string): boolean => MANIFEST_PATH.test(p);

/** Every run's manifest in a workspace's files, in run order; unreadable ones are left out. */
export function manifestsOf(files: Record<string, Buffer>): RunManifest[] {
  return Object.keys(files)
    .filter(isManifestPath)
    .sort((a, b) => Number(MANIFEST_PATH.exec(a)![1]) - Number(MANIFEST_PATH.exec(b)![1]))
    .flatMap((p) => {
      try {
        return [parsePythonJson(files[p]!.toString()) as RunManifest];
      } catch {
        return [];
      }
    });
}

const distinct = <T>(xs: T[]): T[] => [...new Set(xs)];

/** What every run shares and what differs, as short phrases (the one reading of manifests for prose and prompt). */
export function setupSummary(ms: RunManifest[]) {
  const devices = distinct(
    ms.map((m) =>
      m.device.gpu
        ? `${m.device.gpu.name} (${Math.round(m.device.gpu.memoryMiB / 1024)} GiB, driver ${m.device.gpu.driver}, CUDA ${m.device.gpu.cuda})`
        : `CPU only: ${m.device.cpuModel}, ${m.device.cpuCores} cores`,
    ),
  );
  const software = distinct(
    ms.map((m) => `Python ${m.image.python}, PyTorch ${m.image.torch}, NumPy ${m.image.numpy}`),
  );
  const images = distinct(ms.map((m) => `${m.image.name} (${(m.image.digest ?? m.image.id).slice(0, 19)})`));
  const seeds = distinct(ms.flatMap((m) => m.seeds));
  const wall = ms.reduce((a, m) => a + m.wallSeconds, 0);
  const device = ms.reduce((a, m) => a + m.deviceSeconds, 0);
  return { devices, software, images, seeds, wall, device, runs: ms.length };
}

/** The facts as the writing model reads them: the only hardware and software it may name. */
export function setupFacts(ms: RunManifest[]): string {
  if (!ms.length) return '(no manifest: state no hardware or software versions)';
  const s = setupSummary(ms);
  return [
    `Hardware: ${s.devices.join('; ')}`,
    `Software (read inside the image): ${s.software.join('; ')}`,
    `Image: ${s.images.join('; ')}`,
    `Seeds: ${s.seeds.join(', ') || 'not reported'}`,
    `Runs: ${s.runs}; total wall time ${s.wall.toFixed(1)} s; device time ${s.device.toFixed(1)} s`,
    ...ms.map(
      (m) =>
        `${m.runName}: ${m.wallSeconds.toFixed(1)} s wall, ${m.deviceSeconds.toFixed(1)} device-s${m.params ? `, ${m.params} parameters` : ''}, code sha256 ${m.code.experimentSha256.slice(0, 12)}`,
    ),
  ].join('\n');
}

/** The paragraph and table the setup section ends with (empty when no run has a manifest). */
export function setupLatex(ms: RunManifest[], booktabs = true, computeRatio = 1.2): string {
  if (!ms.length) return '';
  const s = setupSummary(ms);
  const [top, mid, bottom] = booktabs
    ? ['\\toprule', '\\midrule', '\\bottomrule']
    : ['\\hline', '\\hline', '\\hline'];
  const t = (x: string) => escapeText(x);
  const paragraph =
    `\\paragraph{Reproducibility.} Every run was executed in a network-less sandbox container; ` +
    `the facts below were measured by the pipeline, not written by hand. ` +
    `Hardware: ${t(s.devices.join('; '))}. Software inside the image: ${t(s.software.join('; '))}. ` +
    `${s.seeds.length ? `Seeds: ${t(s.seeds.join(', '))}. ` : ''}` +
    `Table~\\ref{${SETUP_LABEL}} lists each run's time and code hash.` +
    computeExcess(ms, computeRatio)
      .map((e) => ` \\textbf{Compute:} ${t(excessSentence(e))}`)
      .join('');
  const rows = ms.map(
    (m) =>
      `${t(m.runName)} & ${m.wallSeconds.toFixed(1)} & ${m.deviceSeconds.toFixed(1)} & ${m.params ? String(m.params) : '--'} & \\texttt{${t(m.code.experimentSha256.slice(0, 10))}} \\\\`,
  );
  const table = [
    '\\begin{table}[!htbp]',
    '\\centering',
    '\\small',
    `\\caption{Where and how each run ran, from the runs' measured manifests (image ${t(s.images.join('; '))}).}`,
    `\\label{${SETUP_LABEL}}`,
    '\\begin{tabular}{lrrrl}',
    top,
    'Run & Wall (s) & Device (s) & Parameters & experiment.py sha256 \\\\',
    mid,
    ...rows,
    bottom,
    '\\end{tabular}',
    '\\end{table}',
  ].join('\n');
  return `% Made by code from the runs' reproducibility manifests.\n${paragraph}\n\n${table}\n`;
}
