/**
 * The plot stage trusts nothing plot.py wrote (issue 16, findings 4-6 at the plot stage): a
 * hostile plot.py against runPlot (the activity's plain function) with the real sandbox and the
 * real S3 store. It asserts which bytes reached the store, what was reported back, that the
 * stage returned instead of throwing, and the host folder: private while the run lasted, gone after.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PLOT_CAPS, runPlot, type RunPlotResult } from '../../activities/plots';
import { saveWorkspace } from '../../activities/workspace';
import type { SandboxResult, SandboxRunner, SandboxRunSpec } from '../../sandbox';
import { realDeps } from '../../workers/create-worker';
import { suiteConfig, uniqueId } from '../harness';

const config = suiteConfig('plots-host-trust', { SCIENTIST_SANDBOX_MEMORY_MB: '1024' });
const deps = realDeps(config);
const { store } = deps;

/** The real runner, watching the host folder it is given (mode, owner, place) at the start of each run. */
class WatchedRunner implements SandboxRunner {
  readonly seen: { workDir: string; mode: number; rootMode: number; uid: number }[] = [];
  constructor(private readonly inner: SandboxRunner) {}
  async run(spec: SandboxRunSpec): Promise<SandboxResult> {
    const s = statSync(spec.workDir);
    this.seen.push({
      workDir: spec.workDir,
      mode: s.mode & 0o777,
      rootMode: statSync(path.dirname(spec.workDir)).mode & 0o777,
      uid: s.uid,
    });
    return this.inner.run(spec);
  }
  reapOrphans(): Promise<number> {
    return this.inner.reapOrphans();
  }
}

const PNG = Buffer.from('89504e470d0a1a0a', 'hex'); // a PNG signature: enough for a stored figure

/** Runs `plotPy` as a paper's plot attempt 1; returns the result (or what it threw) and the time. */
async function hostilePlot(plotPy: string) {
  const paperId = uniqueId('paper');
  const workspace = await saveWorkspace(store, {
    'plot.py': Buffer.from(plotPy),
    'run_0/final_info.json': Buffer.from('{"d": {"means": {"acc": 0.5}}}'),
  });
  const sandbox = new WatchedRunner(deps.sandbox);
  const t0 = Date.now();
  const got = await runPlot({ ...deps, sandbox }, { paperId, attempt: 1, workspace }).then(
    (r): { ok: RunPlotResult; err?: undefined } => ({ ok: r }),
    (e: unknown) => ({ ok: undefined, err: e }),
  );
  return { ...got, paperId, ms: Date.now() - t0, seen: sandbox.seen };
}

/** The host folder was 0700 under the data dir (itself 0700), the worker's own, and is gone now. */
function expectPrivateAndGone(seen: { workDir: string; mode: number; rootMode: number; uid: number }[]) {
  expect(seen).toHaveLength(1);
  const [{ workDir, mode, rootMode, uid }] = seen as [(typeof seen)[0]];
  expect(path.dirname(workDir)).toBe(path.join(config.dataDir, 'plots'));
  expect(path.basename(workDir)).toMatch(/^ds-plot-/);
  expect([mode, rootMode, uid]).toEqual([0o700, 0o700, process.getuid!()]);
  expect(existsSync(workDir)).toBe(false);
}

describe('the plot stage keeps only figures it can trust', () => {
  it('keeps ok.png and at most the cap, skips odd names, folders and links, reports them, and leaves no host folder', async () => {
    const run = await hostilePlot(
      [
        'import os',
        `PNG = bytes.fromhex("${PNG.toString('hex')}")`,
        'open("ok.png", "wb").write(PNG + b"OK")',
        'open("my figure.png", "wb").write(PNG + b"SPACE")',
        'os.makedirs("fig.png"); open("fig.png/inner.txt", "w").write("x")',
        'os.symlink("/etc/passwd", "link.png")',
        'for i in range(200): open(f"p{i:03d}.png", "wb").write(PNG + str(i).encode())',
      ].join('\n'),
    );
    expect(run.err).toBeUndefined();
    const r = run.ok!;
    expect(r.ok).toBe(true);

    // The first PLOT_CAPS.figures by name: ok.png, then p000 … p048.
    const prefix = `papers/${run.paperId}/plots/`;
    const names = r.figureKeys.map((k) => path.basename(k));
    expect(names).toHaveLength(PLOT_CAPS.figures);
    expect(names[0]).toBe('ok.png');
    expect(names.slice(1)).toEqual(
      Array.from({ length: 49 }, (_, i) => `p${String(i).padStart(3, '0')}.png`),
    );
    expect(r.figureKeys.every((k) => k.startsWith(prefix))).toBe(true);
    expect(await store.get(r.figureKeys[0]!)).toEqual(Buffer.concat([PNG, Buffer.from('OK')]));

    // Nothing else reached the store: the figures and the log, no bytes from outside the work area.
    const stored = (await store.list(prefix)).map((o) => o.key.slice(o.key.indexOf(prefix) + prefix.length));
    expect(stored.sort()).toEqual([...names, 'attempt-1/plot.log'].sort());
    const passwd = readFileSync('/etc/passwd');
    for (const k of r.figureKeys) {
      const body = await store.get(k);
      expect(body.subarray(0, PNG.length)).toEqual(PNG);
      expect(body.includes(passwd.subarray(0, 16))).toBe(false);
    }

    // What was skipped goes back with the result and into the stored log.
    const skippedTotal = 1 + 2 + (201 - PLOT_CAPS.figures); // link; odd name and folder; over the cap
    expect(r.stderrTail).toMatch(
      new RegExp(`^\\[plots: ${skippedTotal} \\.png item\\(s\\) were not kept as figures\\]`),
    );
    expect(r.stderrTail).toContain('"link.png": it was not copied back');
    expect(r.stderrTail).toContain('"my figure.png": its name is not a figure name');
    expect(r.stderrTail).toContain('"fig.png": it is a folder');
    expect(r.stderrTail).toContain(`"p049.png": over the ${PLOT_CAPS.figures}-figure limit`);
    // As many lines as fit the tail, then a count of the rest: every skipped item is accounted for.
    const listed = r.stderrTail.split('\n').filter((l) => l.startsWith('  "')).length;
    expect(listed).toBeGreaterThanOrEqual(10);
    expect(listed).toBeLessThanOrEqual(PLOT_CAPS.listed);
    expect(r.stderrTail).toMatch(new RegExp(`\n  … and ${skippedTotal - listed} more$`));
    expect(r.stderrTail.length).toBeLessThanOrEqual(PLOT_CAPS.tailChars);
    const log = await store.getText(`${prefix}attempt-1/plot.log`);
    expect(log).toMatch(/link\.png: it is a link or special file/); // the runner's own account
    expect(log).toContain(`[plots: ${skippedTotal} .png item(s) were not kept as figures]`);

    expectPrivateAndGone(run.seen);
    expect(run.ms).toBeLessThan(60_000);
  });

  it('a plot.py whose every figure is odd is a failed plot for the model, not a thrown error', async () => {
    const run = await hostilePlot(
      [
        'import os',
        'open("my figure.png", "wb").write(b"x")',
        'os.makedirs("fig.png/sub")',
        'open("fig.png/sub/a.txt", "w").write("x")',
        'os.symlink("/etc/shadow", "link.png")',
        'open("..png", "wb").write(b"x")',
      ].join('\n'),
    );
    expect(run.err).toBeUndefined();
    const r = run.ok!;
    expect(r.ok).toBe(false);
    expect(r.figureKeys).toEqual([]);
    expect(r.stderrTail).toMatch(
      /^plot\.py wrote no \.png file that can be kept\n\[plots: 4 \.png item\(s\)/,
    );
    for (const name of ['my figure.png', 'fig.png', 'link.png', '..png'])
      expect(r.stderrTail).toContain(`"${name}"`);
    const stored = await store.list(`papers/${run.paperId}/plots/`);
    expect(stored.map((o) => path.basename(o.key))).toEqual(['plot.log']);
    expectPrivateAndGone(run.seen);
  });
});
