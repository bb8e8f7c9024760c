/**
 * What a first `npm start` with a weak model must survive, end to end on the real services
 * (Temporal, S3, Docker, TeX Live) with a scripted model, one campaign each:
 * (a) every section written with a planted LaTeX mistake and a repair step that never repairs:
 *     the paper completes with a PDF holding the code-made results table, and its outcome and Web
 *     UI name the degraded sections;
 * (b) plot edits that always fail: the template's own plot.py makes the figures, and the PDF has them;
 * (c) a placeholder idea: rejected with its reasons, and a seed idea becomes the paper.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProviderRequest } from '../../activities/llm/types';
import { formatNumber } from '../../activities/writeup';
import type { Draft } from '../../activities/writeup';
import {
  campaignStatusQuery,
  DEFAULT_PAPER_SETTINGS,
  paperStatusQuery,
  type PaperSettings,
} from '../../contracts';
import { keys } from '../../lib/store';
import { realDeps } from '../../workers/create-worker';
import type { campaignWorkflow } from '../../workflows';
import { startTestWorkers, suiteConfig, suiteStore, uniqueId } from '../harness';
import { oneIdeaCampaign, scholarSuiteConfig } from '../harness/campaign';
import { PLANTED } from '../harness/planted';
import { editBlock, reviewForm } from '../harness/replies';
import { WARMUP_IDEA as IDEA } from '../harness/warmup-script';
import { FakeScholarServer } from '../literature/fake-scholar-server';
import { ScriptedProvider, type ScriptEntry } from '../llm/scripted-provider';

const REVIEW = reviewForm({ overall: 5, decision: 'Reject' });
const ABSTRACT =
  'Learning-Rate Warmup and the Onset of Grokking\nWe study how warmup changes grokking; Table~\\ref{tab:results} has every number.';
/** The figures of the template's own plot.py on the baseline: 3 metrics × 4 tasks. */
const TEMPLATE_FIGURES = ['train_loss', 'val_loss', 'val_acc'].flatMap((m) =>
  ['x_plus_y', 'x_minus_y', 'x_div_y', 'permutation'].map((d) => `${m}_${d}.png`),
);
const DESCRIPTION = TEMPLATE_FIGURES.map(
  (f) => `${f}: The ${f.replace(/_/g, ' ').replace('.png', '')} curve of the baseline over training.`,
).join('\n');

const text = (reply: string): Pick<ScriptEntry, 'reply' | 'times'> => ({ reply, times: Infinity });
const idea = (reply: object = IDEA): ScriptEntry[] => [
  { step: /ideas\/idea-1\/generate/, reply },
  { step: /ideas\/idea-1\/reflect-1/, reply: { thought: 'Clear.', idea: reply, done: true } },
];
const novel = (name: string): ScriptEntry => ({
  step: new RegExp(`novelty/${name}/round-1`),
  reply: { thought: 'Nothing does this.', decision: 'novel' },
});
const plotEdit: ScriptEntry = {
  step: /plots\/edit-\d/,
  reply: editBlock('plot.py', '    "run_0": "Baseline",', '    "run_0": "Baseline (unchanged code)",'),
};
const review: ScriptEntry[] = [
  { step: /review\/initial\/reviewer-1\/review/, reply: REVIEW },
  { step: /review\/initial\/meta/, reply: REVIEW },
];
const plainWriteup: ScriptEntry[] = [
  { step: /writeup\/abstract\//, ...text(ABSTRACT) },
  { step: /writeup\/\w+\/(draft|refine)/, ...text('We describe this part of the study in plain words.') },
  { step: /compile\/fix-/, ...text('No change is needed.') },
  // The integrity check's one fix round (issue 13): a reply without edit blocks changes nothing.
  { step: /integrity\/fix/, ...text('No change is needed.') },
];

const PAPER: PaperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  seeds: 1,
  maxRuns: 0, // the baseline is enough to show what the paper is made of
  maxPlotAttempts: 2,
  refineSections: false,
  citationRounds: 0,
  compileRounds: 2,
  reviewers: 1,
  reviewReflections: 0,
  fast: true,
};

const promptOf = (req: ProviderRequest) => [req.context, ...req.messages.map((m) => m.content)].join('\n');

/** Images embedded in a PDF (poppler's pdfimages lists each, and each alpha mask, after a header). */
function pdfImageCount(pdf: Buffer): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'ds-pdf-'));
  try {
    writeFileSync(path.join(dir, 'p.pdf'), pdf);
    return execFileSync('pdfimages', ['-list', path.join(dir, 'p.pdf')])
      .toString()
      .split('\n')
      .slice(2)
      .filter((l) => l.trim().split(/\s+/)[2] === 'image').length; // not their alpha masks (`smask`)
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('first contact: a weak model still ends with a paper worth opening', () => {
  const scholar = new FakeScholarServer();
  let config: ReturnType<typeof suiteConfig>;

  beforeAll(async () => {
    await scholar.start();
    config = scholarSuiteConfig('first-contact', scholar);
  });
  afterAll(async () => scholar.close());

  async function campaign(provider: ScriptedProvider, label: string) {
    const workers = await startTestWorkers(config, { ...realDeps(config), llmProvider: provider });
    const workflowId = `campaign-grokking-${uniqueId(label)}`;
    const t0 = Date.now();
    try {
      const input = oneIdeaCampaign(config, PAPER);
      // One run of the workers: a worker that has shut down does not start again (the query replays on it).
      const { outcome, details, campaignStatus, paperStatus } = await workers.run(async () => {
        const done = await workers.client.workflow.execute<typeof campaignWorkflow>('campaignWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        });
        const paperId = done.papers[0]?.paperId;
        const paper = paperId ? workers.client.workflow.getHandle(paperId) : undefined;
        const meta = await paper?.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
        return {
          outcome: done,
          details: meta?.currentDetails ?? '',
          campaignStatus: await workers.client.workflow.getHandle(workflowId).query(campaignStatusQuery),
          paperStatus: await paper?.query(paperStatusQuery),
        };
      });
      const history = await workers.client.workflow.getHandle(workflowId).fetchHistory();
      console.log(
        `first-contact ${label}: ${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${provider.calls.length} model calls`,
      );
      return { outcome, details, history, workflowId, campaignStatus, paperStatus };
    } finally {
      await workers.close();
    }
  }

  it('(a) sections with planted LaTeX mistakes and a repair that never repairs: a PDF with the code-made results table, degraded sections named', async () => {
    const planted = (section: string): ScriptEntry => ({
      step: new RegExp(`writeup/${section}/`),
      ...text(PLANTED[section]!.body),
    });
    const provider = new ScriptedProvider([
      ...idea(),
      novel('warmup_grokking'),
      plotEdit,
      { step: /plots\/describe/, reply: DESCRIPTION },
      { step: /writeup\/abstract\//, ...text(ABSTRACT) },
      ...Object.keys(PLANTED).map(planted),
      // Related work: the stray characters again, and the repair answers the same.
      { step: /writeup\/related_work\//, ...text(PLANTED.method!.body) },
      // A fix that would read /etc/passwd is refused by the guard; the paper keeps its PDF.
      {
        step: /compile\/fix-/,
        ...text(editBlock('template.tex', '\\end{document}', '\\input{/etc/passwd}\n\\end{document}')),
      },
      // The planted sections hold numbers no record supports: the integrity fix round is asked.
      { step: /integrity\/fix/, ...text('No change is needed.') },
      ...review,
    ]);
    const { outcome, details, paperStatus } = await campaign(provider, 'sections');
    const paper = outcome.papers[0]!;
    expect([outcome.state, paper.state, paper.reason]).toEqual(['completed', 'completed', undefined]);

    // Every planted section got its one repair round, with the findings in the prompt (the
    // results twice: its draft and the refinement the quick profile keeps).
    const repairs = provider.calls.filter((c) => /-repair\.json$/.test(c.meta.step ?? ''));
    expect(repairs.map((c) => /writeup\/(\w+)\//.exec(c.meta.step ?? '')?.[1]).sort()).toEqual(
      [...Object.keys(PLANTED), 'related_work', 'results'].sort(),
    );
    expect(promptOf(repairs.find((c) => c.meta.step!.includes('/introduction/'))!)).toContain(
      '\\begin{table} is never closed',
    );

    // The outcome names each degraded section and why.
    const degraded = Object.fromEntries((paper.degraded ?? []).map((d) => [d.part, d.reason]));
    for (const [section, { kinds }] of Object.entries(PLANTED))
      for (const kind of kinds)
        expect([section, degraded[section]]).toEqual([section, expect.stringContaining(kind)]);
    expect(degraded.related_work).toContain('stray-ampersand');
    expect(details).toContain('Degraded: introduction — ');
    expect(details).toContain('Degraded: conclusion — ');
    // …and so does the paper's status query (what `scientist status` shows).
    expect(paperStatus?.degraded).toEqual(paper.degraded);

    // A real PDF, with the prose of every section as plain text and the results table made by code.
    const store = suiteStore(config);
    expect((await store.get(paper.pdfKey!)).subarray(0, 5).toString()).toBe('%PDF-');
    const pdf = (await store.getText(paper.textKey!)).replace(/-\n/g, '').replace(/\s+/g, ' ');
    expect(pdf).toContain('Learning-Rate Warmup and the Onset of Grokking');
    expect(pdf).toContain('Shown as plain text');
    expect(pdf).toContain(
      'We compare warmup & no warmup, tune the learning_rate and reach 95% of the accuracy.',
    );
    // The setup section's measured table (issue 13) comes first, so the results table is not Table 1.
    expect(pdf).toMatch(/Table \d: Results of every successful run/);
    const info = await store.getJson<Record<string, { means: Record<string, number> }>>(
      paper.runs[0]!.finalInfoKey!,
    );
    for (const task of ['x_plus_y', 'x_div_y'])
      expect(pdf).toContain(formatNumber(info[task]!.means.final_val_acc!));
    expect(pdf).not.toMatch(/root:x:0:0/);
    // The refused fix left no file read in the document.
    const draft = await store.getJson<Draft & { tex?: string }>(paper.draftKey!);
    expect(draft.tex ?? '').not.toContain('/etc/passwd');
  });

  it('(b) plot edits that always fail: the template’s own plot.py makes the figures and the PDF has them', async () => {
    const provider = new ScriptedProvider([
      ...idea(),
      novel('warmup_grokking'),
      {
        step: /plots\/edit-\d/,
        ...text('I would make the lines thicker, but I will not write an edit block.'),
      },
      { step: /plots\/describe/, reply: DESCRIPTION },
      ...plainWriteup,
      ...review,
    ]);
    const { outcome, details } = await campaign(provider, 'plots');
    const paper = outcome.papers[0]!;
    expect([paper.state, paper.reason]).toEqual(['completed', undefined]);
    expect(provider.calls.filter((c) => /plots\/edit-/.test(c.meta.step ?? ''))).toHaveLength(2);
    expect(paper.degraded).toEqual([
      {
        part: 'figures',
        reason: "no edit of plot.py worked in 2 attempt(s); the figures are the template's own",
      },
    ]);
    expect(details).toContain('Degraded: figures');

    const store = suiteStore(config);
    const pdf = await store.get(paper.pdfKey!);
    expect(pdfImageCount(pdf)).toBe(TEMPLATE_FIGURES.length);
    const textOf = (await store.getText(paper.textKey!)).replace(/-\n/g, '').replace(/\s+/g, ' ');
    // Placed by code, each with the caption from its description.
    expect(textOf).toContain('The val acc x plus y curve of the baseline over training.');
    expect(textOf).toContain('The train loss permutation curve of the baseline over training.');
  });

  it('(c) a placeholder idea is rejected with its reasons and a seed idea becomes the paper', async () => {
    const garbage = {
      Name: 'experiment',
      Title: '",           "',
      Experiment: 'experiment',
      Interestingness: 1,
      Feasibility: 1,
      Novelty: 1,
    };
    const provider = new ScriptedProvider([
      { step: /ideas\/idea-1\/generate/, reply: garbage },
      novel('batch_size_grokking'),
      {
        step: /novelty\/weight_decay_sweep\/round-1/,
        reply: { thought: 'Done before.', decision: 'not-novel' },
      },
      plotEdit,
      { step: /plots\/describe/, reply: DESCRIPTION },
      ...plainWriteup,
      ...review,
    ]);
    const { outcome, history, workflowId, campaignStatus } = await campaign(provider, 'ideas');
    // No reflection was spent on it: it was rejected as it was generated.
    expect(provider.calls.some((c) => /reflect/.test(c.meta.step ?? ''))).toBe(false);
    expect(outcome.ideas.map((r) => r.idea.name).sort()).toEqual([
      'batch_size_grokking',
      'weight_decay_sweep',
    ]);
    expect(outcome.papers.map((p) => [p.idea.name, p.state])).toEqual([['batch_size_grokking', 'completed']]);

    // The reason: in the generate step's result (workflow history) and stored beside the idea.
    const results = (history.events ?? [])
      .map((e) => e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data)
      .filter((d): d is Uint8Array => d instanceof Uint8Array)
      .map((d) => JSON.parse(Buffer.from(d).toString()) as { problem?: string; idea?: unknown });
    const problem = results.find((r) => r.idea === null)?.problem ?? '';
    for (const reason of [
      'the title',
      'not made of words',
      'the name "experiment"',
      'less than a sentence',
      'every score is at the floor',
    ])
      expect(problem).toContain(reason);
    const stored = await suiteStore(config).getJson<{ reason: string }>(
      keys.campaign(workflowId, 'ideas', 'idea-1', 'rejected.json'),
    );
    expect(stored.reason).toBe(problem.replace(/^rejected: /, ''));
    // The campaign's status says which idea was not used, and why.
    expect(campaignStatus.rejectedIdeas).toEqual([{ index: 1, reason: problem.slice(0, 300) }]);
  });
});
