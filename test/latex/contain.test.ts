/**
 * Model LaTeX contained, on the real parts: the grokking template compiled by real TeX Live in
 * the LaTeX sandbox, from a workspace in the real S3 store. Sections typeset as plain text
 * (planted mistakes and hostile text alike), the code-made results tables and figures all
 * compile; and when a section that passed its check still stops TeX, compilePaper types that
 * section as plain text, compiles again and reports the degradation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { MainPorts } from '../../contracts';
import { plainTextSection } from '../../activities/latex';
import { saveWorkspace } from '../../activities/workspace';
import { embeddedBibliography, emptyDraft, type Draft } from '../../activities/writeup';
import { createCompileActivities } from '../../activities/latex';
import { PROJECT_ROOT } from '../../lib/paths';
import { keys } from '../../lib/store';
import { ACTIVITY_WORKER_OPTIONS, realDeps } from '../../workers/create-worker';
import { suiteConfig, uniqueId } from '../harness';
import { PLANTED } from '../harness/planted';
import { gradientPng } from './fixtures';

const config = suiteConfig('contain');
const deps = realDeps(config, 'contain-test');
const suite = uniqueId('contain');
const TEMPLATE = readFileSync(
  path.join(PROJECT_ROOT, 'templates', 'grokking', 'latex', 'template.tex'),
  'utf8',
);
const quiet = { logger: new DefaultLogger('ERROR', () => undefined) };
const noModel = () => Promise.reject(new Error('no model call is expected here'));
const compileStage = createCompileActivities({ ...deps, ask: noModel });

type CompileResult = Awaited<ReturnType<MainPorts['compilePaper']>> & {
  draftKey: string;
  degraded: { part: string; reason: string }[];
};

const HOSTILE = [
  String.raw`\input{/etc/passwd} \immediate\write18{touch /tmp/pwned} \catcode64=11 ^^5cinput{/etc/shadow}`,
  String.raw`}}}}{{{{ \end{document} \begin{verbatim} $$$ & # _ ^ ~ % \\\\ \def\x{\x}\x`,
  '\u0000\u0007 emoji 🙂 and CJK 中文 and ≥ ± × α, a very long token ' + 'x'.repeat(3000),
  String.raw`\begin{filecontents}{template.tex}\documentclass{book}\end{filecontents}\csname end\endcsname`,
];

async function workspace(extra: Record<string, Buffer | string> = {}): Promise<string> {
  return saveWorkspace(deps.store, {
    'latex/template.tex': Buffer.from(TEMPLATE),
    'run_0/final_info.json': Buffer.from(
      '{"x_plus_y": {"means": {"final_val_acc": 0.4321, "step_val_acc_99": 150}}}',
    ),
    'run_1/final_info.json': Buffer.from(
      '{"x_plus_y": {"means": {"final_val_acc": 0.8765, "step_val_acc_99": 125}}}',
    ),
    'figures/val_acc_x_plus_y.png': gradientPng(),
    'figures/train_loss_x_plus_y.png': gradientPng(),
    'figures.json': Buffer.from(
      JSON.stringify({ 'val_acc_x_plus_y.png': 'Validation accuracy of each run & 50% more_text.' }),
    ),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, Buffer.from(v)])),
  });
}

async function compile(paperId: string, draft: Draft, ws: string): Promise<CompileResult> {
  const draftKey = (await deps.store.putJson(keys.paper(paperId, 'writeup', 'given.json'), draft)).key;
  const env = new MockActivityEnvironment(
    { attempt: 1, heartbeatTimeoutMs: 5000 },
    { ...quiet, interceptors: ACTIVITY_WORKER_OPTIONS.interceptors.activity },
  );
  // compilePaper returns more than MainPorts names yet (the contained draft and the degradations).
  const run = (input: Parameters<MainPorts['compilePaper']>[0]) =>
    compileStage.compilePaper(input) as Promise<CompileResult>;
  return env.run(run, { paperId, round: 1, draftKey, workspace: ws });
}

const text = async (key: string) => (await deps.store.getText(key)).replace(/-\n/g, '').replace(/\s+/g, ' ');

describe('contained LaTeX on the real TeX Live', () => {
  it('compiles planted and hostile sections typeset as plain text, with the code-made tables and figures', async () => {
    const sections: Record<string, string> = {};
    for (const [name, { body }] of Object.entries(PLANTED))
      sections[name] = plainTextSection(body, `planted ${name}`);
    sections.related_work = HOSTILE.map((h) => plainTextSection(h, 'hostile & odd_reason {')).join('\n\n');
    const draft: Draft = {
      ...emptyDraft(embeddedBibliography(TEMPLATE)),
      title: 'Contained Sections',
      sections: { ...sections, abstract: 'We contain everything.' },
    };
    const t0 = Date.now();
    const res = await compile(`${suite}-plain`, draft, await workspace());
    const ms = Date.now() - t0;
    expect(res.feedback).not.toMatch(/did NOT compile/);
    expect(res.pdfKey).toBeDefined();
    expect(res.degraded).toEqual([]);
    const pdf = await text(res.textKey!);
    expect(pdf).toContain('Shown as plain text');
    expect(pdf).toContain(
      'We compare warmup & no warmup, tune the learning_rate and reach 95% of the accuracy.',
    );
    expect(pdf).toContain('We conclude.');
    expect(pdf).not.toMatch(/root:x:0:0/); // nothing was read: \input is gone with the markup
    expect(pdf).toContain('64=11 ^^5cinput/etc/shadow'); // character codes are text
    // The results table made by code, and the figures placed by code with their captions.
    expect(pdf).toContain('Table 1: Results of every successful run');
    for (const cell of ['final_val_acc', 'step_val_acc_99', '0.4321', '0.8765', '150', '125'])
      expect(pdf).toContain(cell);
    expect(pdf).toContain('Validation accuracy of each run & 50% more_text.');
    expect(pdf).toContain('Train loss x plus y (made by plot.py).');
    console.log(`contain: plain-text paper compiled in ${ms} ms, ${res.pageCount} pages`);
  });

  it('types a section that passed its check but stops TeX as plain text, compiles again and reports it', async () => {
    const draft: Draft = {
      ...emptyDraft(embeddedBibliography(TEMPLATE)),
      title: 'A Section TeX Refuses',
      sections: {
        abstract: 'An abstract.',
        method: 'A caption outside any float: \\caption{Oops} stops pdflatex.',
        results: 'Fine results text.',
      },
    };
    const res = await compile(`${suite}-contained`, draft, await workspace({ 'figures/bad name.png': 'x' }));
    expect(res.pdfKey).toBeDefined();
    expect(res.degraded.map((d) => d.part).sort()).toEqual(['figure files', 'method']);
    expect(res.degraded.find((d) => d.part === 'method')!.reason).toMatch(/^LaTeX error: .*caption/i);
    const contained = await deps.store.getJson<Draft>(res.draftKey);
    expect(contained.sections.method).toContain('Shown as plain text');
    const pdf = await text(res.textKey!);
    expect(pdf).toContain('A caption outside any float: Oops stops pdflatex.');
    expect(pdf).toContain('Fine results text.');
  });
});
