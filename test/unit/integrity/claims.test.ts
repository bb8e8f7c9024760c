/**
 * The claim check as a plain function: numbers traced to metrics (exact, rounded, percent,
 * derived), to the manifest and the configuration; unsupported numbers, GPU names and versions flagged.
 */
import {
  checkClaims,
  computeExcess,
  numbersIn,
  seedsOf,
  type ClaimSources,
} from '../../../activities/integrity';
import { reportLatex, type IntegrityReport } from '../../../activities/integrity';
import { mergeSeeds, noiseGate } from '../../../activities/integrity';
import { checkSection } from '../../../activities/latex';
import type { RunManifest } from '../../../contracts';

const manifest: RunManifest = {
  runName: 'run_0',
  device: { kind: 'cpu', cpuModel: 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', cpuCores: 2 },
  image: {
    name: 'sandbox:1',
    id: 'sha256:abc',
    python: '3.11.2',
    torch: '1.13.1',
    numpy: '1.24.2',
    torchCuda: null,
  },
  code: { experimentSha256: 'a'.repeat(64), workspaceSha256: 'b'.repeat(64) },
  seeds: [1337],
  command: ['python3', 'experiment.py', '--out_dir', 'run_0'],
  wallSeconds: 41.27,
  deviceSeconds: 82.54,
};
/** A gate that passed: three seeds each, far apart. */
const passedGate = noiseGate({
  'run_0/final_info.json': Buffer.from(
    JSON.stringify(mergeSeeds([1, 2, 3].map((v) => ({ x: { means: { acc: 0.1 + v / 1000 } } })))),
  ),
  'run_1/final_info.json': Buffer.from(
    JSON.stringify(mergeSeeds([1, 2, 3].map((v) => ({ x: { means: { acc: 0.9 + v / 1000 } } })))),
  ),
});
const sources = (over: Partial<ClaimSources> = {}): ClaimSources => ({
  metrics: [0.95312, 0.81, 1500],
  runMetrics: [{ 'x.acc': 0.8 }, { 'x.acc': 0.9 }],
  manifests: [manifest],
  configuration: 'lr = 1e-3\nbatch_size = 512\n',
  task: 'Modular arithmetic modulo 97.',
  bibliography: '@article{a, year={2017}, volume={30}}',
  ...over,
});

describe('claim check', () => {
  it('traces exact, rounded, percent, derived, manifest, configuration and task numbers', () => {
    const text = [
      'The final accuracy is 0.9531 (95.3%) after 1500 steps with batch size 512, modulo 97.',
      'The gain over the baseline is 0.10, a 12.5% relative improvement.',
      'Each run took 41.3 s on an Intel Xeon with PyTorch 1.13 and Python 3.11.2.',
      'Table 1 and Section 4 say so.',
    ].join('\n');
    const r = checkClaims(text, sources());
    expect(r.flags).toEqual([]);
    expect(r.traced).toBe(r.numbers);
    expect(r.numbers).toBe(8);
    expect(r.bySource.derived).toBe(2);
  });

  it('flags a fabricated number, a GPU the manifest lacks and a wrong PyTorch version', () => {
    const text =
      'We reach 97.3% accuracy. Training used an NVIDIA V100 GPU with PyTorch 2.1 and NumPy 1.24.\n\nReferences\nA. 2017. 88.8';
    const r = checkClaims(text, sources());
    expect(r.flags.map((f) => [f.kind, f.text])).toEqual([
      ['version', 'PyTorch 2.1'],
      ['hardware', 'NVIDIA'],
      ['hardware', 'V100'],
      ['number', '97.3%'],
    ]);
    expect(r.flags[0]!.why).toContain('1.13.1');
    expect(r.flags[3]!.context).toContain('We reach 97.3% accuracy.');
  });

  it('skips years, references, identifiers and section numbers', () => {
    expect(
      numbersIn('In 2021, run_12 (see Table 3, Figure 12) with hash 3fa9 at [12].\n4.1 Results').map(
        (n) => n.raw,
      ),
    ).toEqual([]);
  });

  it('reads seeds from final_info.json at any depth', () => {
    expect(seedsOf({ x: { means: {}, config: { seed: 3 } }, y: { seeds: [3, 4] } })).toEqual([3, 4]);
  });

  it('flags a variant with twice the baseline parameters presented as a win, by parameters or device time', () => {
    const variant = { ...manifest, runName: 'run_1', params: 2000, deviceSeconds: 90 };
    const ms = [{ ...manifest, params: 1000 }, variant];
    expect(computeExcess(ms, 1.2)).toEqual([{ run: 'run_1', basis: 'parameters', ratio: 2 }]);
    // Without parameter counts: device-seconds (82.54 → 90 is within 1.2×).
    expect(computeExcess([manifest, { ...variant, params: undefined }], 1.2)).toEqual([]);
    expect(computeExcess([manifest, { ...variant, params: undefined, deviceSeconds: 200 }], 1.2)).toEqual([
      { run: 'run_1', basis: 'device-seconds', ratio: 200 / 82.54 },
    ]);
    const win = checkClaims('The variant outperforms the baseline.', sources({ manifests: ms }));
    expect(win.flags.map((f) => [f.kind, f.text])).toEqual([['compute-unfair', 'run_1: 2.00x parameters']]);
    // A claim of significance needs a noise gate that passed; there is none with one seed per variant.
    const sig = checkClaims('The gain is statistically significant and significantly larger.', sources());
    expect(sig.flags.map((f) => [f.kind, f.text])).toEqual([
      ['noise', 'statistically significant'],
      ['noise', 'significantly'],
    ]);
    expect(checkClaims('The gain is significant.', sources({ gate: passedGate })).flags).toEqual([]);
    // Stated as no improvement: nothing to flag.
    expect(checkClaims('The variant matches the baseline.', sources({ manifests: ms })).flags).toEqual([]);
  });
});

describe('report page', () => {
  it('is LaTeX the section check passes, whatever the names and flags hold', () => {
    const report: IntegrityReport = {
      paperId: 'p_1',
      round: 2,
      verdict: 'unsupported-claims',
      fixRound: true,
      numbers: 3,
      traced: 2,
      bySource: { metric: 2 },
      flags: [
        { kind: 'number', text: '97.3%', context: 'x_plus_y & 50% {odd} $', why: 'run_1 # not logged' },
      ],
      manifests: [manifest],
      compute: [{ run: 'run_0', params: 10, deviceSeconds: 1 }],
      computeUnfair: [
        { run: 'run_1', basis: 'parameters', ratio: 2, sentence: 'run_1 uses 2.00x_the & 100%' },
      ],
      gates: { noise: 'not computed_yet' },
      citations: { entries: 1, status: 'not re-resolved' },
    };
    const none = new Set<string>();
    const tex = reportLatex(report);
    expect(
      checkSection('integrity_report', tex.replace(/\\section\*\{[^}]*\}/, ''), {
        citeKeys: none,
        labels: none,
        figures: none,
        inputs: none,
        maxChars: 20_000,
      }),
    ).toEqual([]);
    expect(tex).toContain('run\\_0 10 parameters');
    // One full stop after each item, whether or not its sentence brought its own.
    expect(tex).not.toMatch(/\.\./);
    expect(reportLatex({ ...report, gates: { noise: 'No variant was compared.' } })).toContain(
      'Noise gate: No variant was compared.\n',
    );
  });
});
