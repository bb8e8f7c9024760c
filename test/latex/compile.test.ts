/**
 * The compile stage on the real parts: papers in the real S3 store, compiled by real TeX Live in
 * the LaTeX sandbox image on the real Docker engine. Covers a good paper, structured TeX errors,
 * pre-checks, the refusal of shell escape and of reads outside the paper folder, a runaway
 * document killed at the time limit, cancellation, and that no container is left behind.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import Docker from 'dockerode';
import { Context } from '@temporalio/activity';
import {
  compileLatex,
  formatCompileFeedback,
  type CompileLatexInput,
  type CompileLatexResult,
} from '../../activities/latex';
import { classified } from '../../lib/errors';
import { keys } from '../../lib/store';
import { LABEL } from '../../sandbox';
import { createMainActivities } from '../../activities';
import { ACTIVITY_WORKER_OPTIONS, realDeps } from '../../workers/create-worker';
import { suiteConfig, uniqueId } from '../harness';
import { doc, GOOD_SENTENCE, goodPaper, REFS_BIB } from './fixtures';

const suite = uniqueId('latex');
const config = suiteConfig('latex');
const deps = realDeps(config, 'latex-test');
const docker = new Docker({ socketPath: config.docker.socketPath });
// The mock environment logs every failed activity; the failures here are expected.
const quiet = { logger: new DefaultLogger('ERROR', () => undefined) };

/** Uploads a paper's files as the write-up stage would; returns the path → key map. */
async function upload(
  paperId: string,
  files: Record<string, string | Buffer>,
): Promise<Record<string, string>> {
  const map: Record<string, string> = {};
  for (const [rel, body] of Object.entries(files)) {
    map[rel] = (await deps.store.put(keys.paper(paperId, 'writeup', 'src', ...rel.split('/')), body)).key;
  }
  return map;
}

async function compile(
  label: string,
  files: Record<string, string | Buffer>,
  d = deps,
): Promise<CompileLatexResult> {
  const paperId = `${suite}-${label}`;
  return compileLatex(d, { paperId, round: 0, files: await upload(paperId, files) });
}

/** Runs the activity as a worker would (Context, heartbeats, cancellation), in a mock environment. */
function runActivity(env: MockActivityEnvironment, input: CompileLatexInput): Promise<CompileLatexResult> {
  // As compilePaper calls it: inside classified(), with the attempt and cancellation signal of
  // the activity's Context.
  const compile = (i: CompileLatexInput) =>
    classified(async () => {
      const ctx = Context.current();
      return compileLatex(deps, i, { attempt: ctx.info.attempt, signal: ctx.cancellationSignal });
    });
  return env.run<[CompileLatexInput], CompileLatexResult, typeof compile>(compile, input);
}

/** The normalised text of the PDF (pdftotext breaks lines and may hyphenate). */
async function pdfText(result: CompileLatexResult): Promise<string> {
  expect(result.textKey).toBeDefined();
  return (await deps.store.getText(result.textKey ?? '')).replace(/-\n/g, '').replace(/\s+/g, ' ');
}

describe('compileLatex in the LaTeX sandbox', () => {
  it('compiles a natbib paper with a bibliography and a PNG figure into a PDF whose text has the sentence', async () => {
    const paperId = `${suite}-good`;
    const files = await upload(paperId, goodPaper());
    // Through the activity adapter with the workers' keep-alive, as a worker runs it: it
    // heartbeats while TeX runs (every 500 ms for a 2 s heartbeat timeout).
    const env = new MockActivityEnvironment(
      { attempt: 1, heartbeatTimeoutMs: 2000 },
      { ...quiet, interceptors: ACTIVITY_WORKER_OPTIONS.interceptors.activity },
    );
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    const t0 = Date.now();
    const result = await runActivity(env, { paperId, round: 2, files });
    const ms = Date.now() - t0;
    console.log(
      `good paper: ${ms} ms (sandbox ${result.durationMs} ms), ${result.pageCount} page(s), result ${JSON.stringify(result).length} bytes`,
    );

    expect(result).toMatchObject({ ok: true, outcome: 'ok', mainFile: 'main.tex', errors: [] });
    expect(result.steps).toEqual({
      chktex: expect.any(Number),
      'pdflatex-1': 0,
      bibtex: 0,
      'pdflatex-2': 0,
      'pdflatex-3': 0,
      pdftotext: 0,
    });
    expect(result.pageCount).toBeGreaterThanOrEqual(1);
    expect(result.warnings.undefinedCitations).toEqual([]);
    expect(result.warnings.undefinedReferences).toEqual([]);
    expect(result.prechecks.filter((p) => p.source === 'precheck')).toEqual([]);
    expect(heartbeats).toBeGreaterThan(0);

    // Keys are per paper and round; the PDF is a PDF and its text has the sentence and the references.
    expect(result.pdfKey).toBe(keys.paper(paperId, 'latex', 'round-2', 'paper.pdf'));
    expect((await deps.store.get(result.pdfKey ?? '')).subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(result);
    expect(text).toContain(GOOD_SENTENCE);
    expect(text).toContain('Attention is all you need');
    expect(text).toContain('Power et al.');
    expect(await deps.store.getText(result.logKey)).toContain('::: pdflatex-3');
    const full = await deps.store.getJson<CompileLatexResult>(result.resultKey);
    expect(full.steps).toEqual(result.steps);
    // Small enough to live in workflow history.
    expect(JSON.stringify(result).length).toBeLessThan(8 * 1024);
  });

  it('returns an undefined control sequence as a structured error with its file, line and command', async () => {
    const result = await compile('undefined-cs', {
      'paper.tex': doc('First line.\n\nWe use \\foo here.\n'),
    });
    expect(result.ok).toBe(false);
    expect(result.outcome).toBe('failed');
    expect(result.pdfKey).toBeUndefined();
    // doc() puts the body on line 5; \foo is on its third line.
    expect(result.errors[0]).toMatchObject({
      source: 'pdflatex',
      kind: 'undefined-control-sequence',
      file: 'paper.tex',
      line: 7,
      message: 'Undefined control sequence \\foo',
    });
    expect(result.errors[0]?.context).toContain('l.7 We use \\foo');
    const feedback = formatCompileFeedback(result);
    expect(feedback).toContain('paper.tex:7: Undefined control sequence \\foo');
    expect(feedback.length).toBeLessThanOrEqual(2000);
  });

  it('reports an undefined citation and a missing figure in the pre-checks, and TeX stops at the figure', async () => {
    const result = await compile('precheck', {
      'paper.tex': doc(
        'See \\citep{power2022grokking} and \\citep{nokey2020}.\n\\includegraphics{plots/missing.png}\n\\bibliographystyle{plainnat}\n\\bibliography{refs}',
      ),
      'refs.bib': REFS_BIB,
    });
    expect(result.prechecks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: 'precheck',
          kind: 'undefined-citation',
          file: 'paper.tex',
          line: 5,
          message: expect.stringContaining('nokey2020'),
        }),
        expect.objectContaining({
          source: 'precheck',
          kind: 'missing-figure',
          file: 'paper.tex',
          line: 6,
          message: expect.stringContaining('plots/missing.png'),
        }),
      ]),
    );
    expect(result.prechecks.some((p) => p.message.includes('power2022grokking'))).toBe(false);
    expect(result.ok).toBe(false);
    expect(result.errors[0]).toMatchObject({ kind: 'missing-file', file: 'paper.tex', line: 6 });
    const feedback = formatCompileFeedback(result);
    expect(feedback).toMatch(/Pre-check findings:[\s\S]*nokey2020/);
  });

  it('reports citations that BibTeX cannot resolve as warnings when the PDF is still built', async () => {
    const result = await compile('bibtex-missing', {
      'paper.tex': doc('See \\citep{nokey2020}.\n\\bibliographystyle{plainnat}\n\\bibliography{refs}'),
      'refs.bib': REFS_BIB,
    });
    expect(result.ok).toBe(true);
    expect(result.warnings.undefinedCitations).toEqual([expect.objectContaining({ key: 'nokey2020' })]);
    expect(formatCompileFeedback(result)).toContain('undefined citations (not in the .bib): nokey2020');
  });

  it('refuses shell escape: \\write18 does not run', async () => {
    const result = await compile('shell', {
      'paper.tex': doc(
        '\\immediate\\write18{echo pwned > pwned.tex}\n\\IfFileExists{pwned.tex}{SHELL RAN}{SHELL REFUSED}',
      ),
      // A texmf.cnf in the paper folder cannot turn shell escape back on.
      'texmf.cnf': 'shell_escape = t\nopenin_any = a\n',
    });
    expect(result.ok).toBe(true);
    const text = await pdfText(result);
    expect(text).toContain('SHELL REFUSED');
    expect(text).not.toContain('SHELL RAN');
    const full = await deps.store.getJson<{ shellEscapesRefused: string[] }>(result.resultKey);
    expect(full.shellEscapesRefused).toEqual(['echo pwned > pwned.tex']);
  });

  it('refuses reads outside the paper folder: \\input{/etc/passwd} fails, \\openin finds nothing', async () => {
    const input = await compile('passwd-input', { 'paper.tex': doc('\\input{/etc/passwd}') });
    expect(input.ok).toBe(false);
    expect(input.errors[0]).toMatchObject({ source: 'pdflatex', kind: 'missing-file', line: 5 });
    expect(input.errors[0]?.message).toContain('/etc/passwd');
    expect(input.prechecks).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'path-outside-paper', line: 5 })]),
    );
    const log = await deps.store.getText(input.logKey);
    expect(log).toContain('openin_any = p');
    expect(log).not.toMatch(/root:.*:0:0:/);

    const openin = await compile('passwd-openin', {
      'paper.tex': doc(
        '\\newread\\r\n\\openin\\r=/etc/passwd \\ifeof\\r ABSOLUTE BLOCKED\\else ABSOLUTE READ\\fi\\closein\\r\n' +
          '\\openin\\r=../../../etc/hostname \\ifeof\\r PARENT BLOCKED\\else PARENT READ\\fi\\closein\\r\n' +
          '\\immediate\\openout\\r=.hidden.tex \\immediate\\write\\r{x}\\immediate\\closeout\\r\n',
      ),
    });
    // Writing a hidden file is refused as well; TeX reports it as an error.
    expect(openin.ok).toBe(false);
    expect(openin.errors[0]?.message).toMatch(/can't write on file `?\.hidden\.tex/);

    const reads = await compile('passwd-openin-only', {
      'paper.tex': doc(
        '\\newread\\r\n\\openin\\r=/etc/passwd \\ifeof\\r ABSOLUTE BLOCKED\\else ABSOLUTE READ\\fi\\closein\\r\n' +
          '\\openin\\r=../../../etc/hostname \\ifeof\\r PARENT BLOCKED\\else PARENT READ\\fi\\closein\\r\n',
      ),
      // Nor can a texmf.cnf in the folder relax the file policy.
      'texmf.cnf': 'openin_any = a\n',
    });
    expect(reads.ok).toBe(true);
    const text = await pdfText(reads);
    expect(text).toContain('ABSOLUTE BLOCKED');
    expect(text).toContain('PARENT BLOCKED');
  });

  it('kills a runaway \\loop at the time limit and says so', async () => {
    const fast = { ...deps, config: { ...config, latex: { ...config.latex, timeoutMs: 8000 } } };
    const t0 = Date.now();
    const result = await compile(
      'loop',
      { 'paper.tex': doc('Start.\n\\loop\\iftrue\\repeat\nNever.') },
      fast,
    );
    const ms = Date.now() - t0;
    console.log(`runaway loop: killed after ${result.durationMs} ms (call ${ms} ms)`);
    expect(result).toMatchObject({ ok: false, outcome: 'timeout' });
    expect(result.errors[0]).toMatchObject({ source: 'sandbox', kind: 'timeout' });
    expect(result.durationMs).toBeGreaterThanOrEqual(8000);
    expect(result.durationMs).toBeLessThan(20_000);
    expect(formatCompileFeedback(result)).toContain('did not finish within 8 s');
  });

  it('kills the container when the activity is cancelled', async () => {
    const paperId = `${suite}-cancel`;
    const files = await upload(paperId, { 'paper.tex': doc('\\loop\\iftrue\\repeat') });
    const env = new MockActivityEnvironment({ attempt: 1 }, quiet);
    const running = runActivity(env, { paperId, round: 0, files });
    await new Promise((r) => setTimeout(r, 4000));
    env.cancel();
    const t0 = Date.now();
    await expect(running).rejects.toMatchObject({ type: 'SandboxCancelled' });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('rejects unsafe file paths before anything runs', async () => {
    const env = new MockActivityEnvironment({}, quiet);
    await expect(
      runActivity(env, { paperId: `${suite}-unsafe`, round: 0, files: { '../x.tex': 'k' } }),
    ).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
    });
    await expect(
      runActivity(env, { paperId: `${suite}-unsafe`, round: 0, files: { '.latexmkrc': 'k' } }),
    ).rejects.toMatchObject({
      type: 'InvalidInput',
    });
  });

  it('is called by the paper’s compile step, not registered as an activity of its own', () => {
    const main = Object.keys(createMainActivities(deps));
    expect(main).toContain('compilePaper');
    expect(main).not.toContain('compileLatex');
  });

  // Last: every compile above has finished.
  it('leaves no container and no work area behind', async () => {
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.sandbox}=1`] } });
    expect(containers.filter((c) => (c.Labels[LABEL.runId] ?? '').includes(suite))).toEqual([]);
    const areas = await readdir(path.join(config.dataDir, 'sandbox-work')).catch(() => [] as string[]);
    expect(areas.filter((a) => a.includes(suite))).toEqual([]);
  });
});
