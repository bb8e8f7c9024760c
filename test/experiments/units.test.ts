/** Plain-function parts of the experiment activity: final_info.json, progress lines, GPU slots. */
import {
  FinalInfoSchema,
  flattenMetrics,
  parseFinalInfo,
  parsePythonJson,
  ProgressTracker,
  SlotPool,
  checkManifest,
  workspaceHash,
} from '../../activities/experiments';
import { loadConfig } from '../../lib/config';
import { discoverGpuSlots } from '../../activities/experiments';

describe('final_info.json', () => {
  it('accepts the AI Scientist shape and flattens numeric means', () => {
    const info = parseFinalInfo(
      JSON.stringify({
        x_plus_y: { means: { final_val_acc: 0.99, note: 'n/a' }, stderrs: { final_val_acc: 0.01 } },
        b: { means: { loss: 1.5 } },
      }),
      'run_1/final_info.json',
    );
    expect(flattenMetrics(info)).toEqual({ 'x_plus_y.final_val_acc': 0.99, 'b.loss': 1.5 });
    expect(FinalInfoSchema.safeParse({ a: { means: { m: 1 }, extra: [1] } }).success).toBe(true);
  });

  it('reads a diverged run as Python writes it: NaN and ±Infinity become strings, not an error', () => {
    // Exactly what json.dump({"x": {"means": {...}}}) prints for float("nan") / float("inf").
    const text =
      '{"x": {"means": {"final_loss": NaN, "best": -Infinity, "note": "NaN \\"Infinity\\""}, "stderrs": {"final_loss": Infinity}}, "y": {"means": {"acc": 0.5}}}';
    const info = parseFinalInfo(text, 'run_2/final_info.json');
    expect(info.x!.means).toEqual({ final_loss: 'NaN', best: '-Infinity', note: 'NaN "Infinity"' });
    expect(info.x!.stderrs).toEqual({ final_loss: 'Infinity' });
    expect(flattenMetrics(info)).toEqual({ 'y.acc': 0.5 });
    expect(parsePythonJson('[NaN,-Infinity,1e-3]')).toEqual(['NaN', '-Infinity', 0.001]);
    expect(() => parseFinalInfo('{"x": {"means": {"a": NaNa}}}', 'f')).toThrow(/not valid JSON/);
  });

  it('names what is wrong', () => {
    expect(() => parseFinalInfo('{"acc": 0.9}', 'run_1/final_info.json')).toThrow(
      /run_1\/final_info.json does not have the expected shape .*acc/,
    );
    expect(() => parseFinalInfo('{nope', 'f')).toThrow(/not valid JSON/);
    expect(() => parseFinalInfo('{}', 'f')).toThrow(/empty/);
  });
});

describe('progress lines', () => {
  it('keeps the latest progress across chunk boundaries and the resumed step', () => {
    const t = new ProgressTracker();
    t.add('SCIENTIST_RESUMED {"step": 40}\nnoise\nSCIENTIST_PROGRESS {"step": 50, "to');
    expect(t.progress).toEqual({ resumedStep: 40 });
    t.add('tal": 100, "loss": 0.5}\nSCIENTIST_PROGRESS {broken\n');
    expect(t.progress).toEqual({ resumedStep: 40, step: 50, total: 100, loss: 0.5 });
  });
});

describe('workspace manifests', () => {
  it('refuses paths that escape the folder', () => {
    expect(() => checkManifest({ '../x.py': 'k' })).toThrow(/relative file paths/);
    expect(() => checkManifest({ '/etc/passwd': 'k' })).toThrow(/relative file paths/);
    expect(() => checkManifest({ 'a/../../b': 'k' })).toThrow(/relative file paths/);
    expect(() => checkManifest({ 'experiment.py': 'k', 'run_0/final_info.json': 'k2' })).not.toThrow();
  });

  it('hashes contents and flags, not keys or order', () => {
    const a = workspaceHash({ 'a.py': '1', 'b.py': '2' }, { fast: true });
    expect(workspaceHash({ 'b.py': '2', 'a.py': '1' }, { fast: true })).toBe(a);
    expect(workspaceHash({ 'a.py': '1', 'b.py': '2' }, { fast: false })).not.toBe(a);
    expect(workspaceHash({ 'a.py': '1', 'b.py': '3' }, { fast: true })).not.toBe(a);
  });
});

describe('GPU slots', () => {
  it('a configured count gives one slot per GPU; zero gives one CPU slot', async () => {
    expect(await discoverGpuSlots(loadConfig({ SCIENTIST_GPU_COUNT: '2' }))).toEqual([
      { kind: 'gpu', deviceId: '0' },
      { kind: 'gpu', deviceId: '1' },
    ]);
    expect(await discoverGpuSlots(loadConfig({ SCIENTIST_GPU_COUNT: '0' }))).toEqual([{ kind: 'cpu' }]);
  });

  it('hands each slot to one run at a time', async () => {
    const pool = new SlotPool(async () => [
      { kind: 'gpu', deviceId: '0' },
      { kind: 'gpu', deviceId: '1' },
    ]);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(new Set([a.slot, b.slot]).size).toBe(2);
    let third: { slot: unknown } | undefined;
    const waiting = pool.acquire().then((s) => (third = s));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBeUndefined();
    b.release();
    b.release(); // twice is harmless
    await waiting;
    expect(third!.slot).toBe(b.slot);
  });
});
