/**
 * Honest science, end to end on the real services (Temporal, S3, Docker sandbox, TeX Live) with
 * a scripted writing model, one grokking campaign each:
 * (a) a clean paper: no false alarms; the setup section states the worker's real CPU model and
 *     the image's real PyTorch version, generated from the measured manifest; the report page is
 *     in the PDF and in what the reviewer reads; status, Web UI details and search attribute say `clean`;
 * (b) planted faults — a fabricated result number, a GPU the manifest does not have, a PyTorch
 *     version that differs from the image's: each is caught; the one fix round corrects the
 *     number; what is left marks the paper `unsupported-claims` with the list, and the PDF stays;
 * (c) a variant with twice the parameters presented as a win is flagged compute-unfair;
 * (d, e) seeds and the noise gate, three seeds each for the baseline and the final variant: an
 *     "improvement" inside the seed-to-seed noise is caught, a large real difference passes;
 * (f) a variant identical to the baseline presented as a change is flagged and the paper says
 *     so; the fix round's activity fails, and the paper degrades instead of failing;
 * (g) citations: a bibliography entry that does not exist is removed with its \cite, and a
 *     citation the review model finds unsupported by the cited abstract is taken out of its sentence.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ProviderRequest } from '../../activities/llm/types';
import { cpuFacts, type IntegrityReport } from '../../activities/integrity';
import { formatNumber } from '../../activities/writeup';
import type { RunManifest } from '../../contracts';
import { DEFAULT_PAPER_SETTINGS, paperStatusQuery, SA, type PaperSettings } from '../../contracts';
import { storeTemplate } from '../../activities/experiments/template-source';
import type { CitationReport } from '../../activities/integrity/citations';
import { PROJECT_ROOT } from '../../lib/paths';
import { keys } from '../../lib/store';
import { sandboxImage } from '../../sandbox';
import { realDeps } from '../../workers/create-worker';
import type { campaignWorkflow } from '../../workflows';
import { startTestWorkers, suiteConfig, suiteStore, uniqueId } from '../harness';
import { oneIdeaCampaign, scholarSuiteConfig } from '../harness/campaign';
import { InvalidInputError } from '../../lib/errors';
import { editBlock, reviewForm } from '../harness/replies';
import { WARMUP_IDEA as IDEA } from '../harness/warmup-script';
import { FakeScholarServer } from '../literature/fake-scholar-server';
import { ScriptedProvider, type ScriptEntry } from '../llm/scripted-provider';

const REVIEW = reviewForm({ overall: 5, decision: 'Reject' });
const PAPER: PaperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  maxRuns: 0,
  maxPlotAttempts: 1,
  refineSections: false,
  citationRounds: 0,
  compileRounds: 1,
  reviewers: 1,
  reviewReflections: 0,
  // One seed per run, except where a test is about seeds (d, e).
  seeds: 1,
  fast: true,
};
/** The fast-mode configuration line of grokking's experiment.py, which the planted variants edit. */
const FAST_LINE =
  '        prime=23, perm_n=4, dim_model=64, batch_size=128, lr=3e-3, warmup_steps=10, steps_per_dataset=150, eval_every=25';
const FABRICATED = 'On every task the model reaches 97.3\\% validation accuracy.';

const text = (reply: string | ((req: ProviderRequest) => string)): Pick<ScriptEntry, 'reply' | 'times'> => ({
  reply,
  times: Infinity,
});
const promptOf = (req: ProviderRequest) => [req.context, ...req.messages.map((m) => m.content)].join('\n');

/** The baseline's x_plus_y validation accuracy, read from the results the writing prompt carries. */
function loggedAccuracy(req: ProviderRequest): string {
  const m = /"x_plus_y":\s*\{\s*"means":\s*\{[^}]*"final_val_acc(?:_mean)?":\s*([-\d.e]+)/.exec(
    promptOf(req),
  );
  if (!m) throw new Error('the writing prompt carries no x_plus_y final_val_acc');
  return formatNumber(Number(m[1]));
}
/** The software line of the measured facts the writing prompt carries. */
function measuredTorch(req: ProviderRequest): string {
  const m = /PyTorch ([\w.+-]+)/.exec(promptOf(req));
  if (!m) throw new Error('the writing prompt carries no measured PyTorch version');
  return m[1]!;
}

function script(
  results: ScriptEntry['reply'],
  setup: ScriptEntry['reply'],
  fix: ScriptEntry['reply'],
  experiments: ScriptEntry[] = [],
) {
  return new ScriptedProvider([
    ...experiments,
    { step: /ideas\/idea-1\/generate/, reply: IDEA },
    { step: /ideas\/idea-1\/reflect-1/, reply: { thought: 'Clear.', idea: IDEA, done: true } },
    {
      step: /novelty\/warmup_grokking\/round-1/,
      reply: { thought: 'Nothing does this.', decision: 'novel' },
    },
    { step: /plots\/edit-\d/, ...text('No edit.') },
    { step: /plots\/describe/, ...text('val_acc_x_plus_y.png: The validation accuracy curve.') },
    {
      step: /writeup\/abstract\//,
      ...text('Learning-Rate Warmup and the Onset of Grokking\nWe study how warmup changes grokking.'),
    },
    { step: /writeup\/results\//, reply: results, times: Infinity },
    { step: /writeup\/experimental_setup\//, reply: setup, times: Infinity },
    { step: /writeup\/\w+\/(draft|refine)/, ...text('We describe this part of the study in plain words.') },
    { step: /compile\/fix-/, ...text('No change is needed.') },
    { step: /integrity\/fix/, reply: fix },
    { step: /review\/initial\/reviewer-1\/review/, reply: REVIEW },
    { step: /review\/initial\/meta/, reply: REVIEW },
  ]);
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** What the integrity stage added to a paper: its activities (summaries start "integrity ·") and their span in seconds. */
function integrityFigures(events: HistoryEvent[]): { activities: number; seconds: number } {
  const summary = (e: HistoryEvent) => {
    const data = e.userMetadata?.summary?.data;
    return data ? Buffer.from(data).toString() : '';
  };
  const scheduled = events.filter(
    (e) => e.activityTaskScheduledEventAttributes && /"integrity ·/.test(summary(e)),
  );
  const ids = new Set(scheduled.map((e) => String(e.eventId)));
  const closed = events.filter(
    (e) =>
      e.activityTaskCompletedEventAttributes &&
      ids.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)),
  );
  const ms = (e?: HistoryEvent) =>
    Number(e?.eventTime?.seconds ?? 0) * 1000 + (e?.eventTime?.nanos ?? 0) / 1e6;
  return {
    activities: scheduled.length,
    seconds: scheduled.length ? (ms(closed[closed.length - 1]) - ms(scheduled[0])) / 1000 : 0,
  };
}

describe('honest science: a paper states only what its records support', () => {
  const scholar = new FakeScholarServer();
  let config: ReturnType<typeof suiteConfig>;

  beforeAll(async () => {
    await scholar.start();
    config = scholarSuiteConfig('honest-science', scholar);
  });
  afterAll(async () => scholar.close());

  async function campaign(
    provider: ScriptedProvider,
    label: string,
    paper: Partial<PaperSettings> = {},
    templateKey?: string,
  ) {
    const workers = await startTestWorkers(config, { ...realDeps(config), llmProvider: provider });
    const workflowId = `campaign-grokking-${uniqueId(label)}`;
    const t0 = Date.now();
    try {
      const input = {
        ...oneIdeaCampaign(config, { ...PAPER, ...paper }, { noveltyRounds: 1 }),
        ...(templateKey ? { templateKey } : {}),
      };
      const got = await workers.run(async () => {
        const done = await workers.client.workflow.execute<typeof campaignWorkflow>('campaignWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        });
        const paper = workers.client.workflow.getHandle(done.papers[0]!.paperId);
        const meta = await paper.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
        return {
          outcome: done,
          details: meta.currentDetails ?? '',
          status: await paper.query(paperStatusQuery),
          attributes: (await paper.describe()).typedSearchAttributes,
        };
      });
      const history = await workers.client.workflow.getHandle(got.outcome.papers[0]!.paperId).fetchHistory();
      const stage = integrityFigures(history.events ?? []);
      console.log(
        `honest-science ${label}: ${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${provider.calls.length} model calls; ` +
          `integrity: ${got.outcome.papers[0]!.integrity?.traced}/${got.outcome.papers[0]!.integrity?.numbers} numbers traced, ${got.outcome.papers[0]!.integrity?.flags} flag(s); ` +
          `integrity stage ${stage.seconds.toFixed(1)} s, ${stage.activities} activities, ${provider.calls.filter((c) => /integrity\//.test(c.meta.step ?? '')).length} model calls`,
      );
      return { ...got, paper: got.outcome.papers[0]! };
    } finally {
      await workers.close();
    }
  }

  const flat = (s: string) => s.replace(/-\n/g, '').replace(/\s+/g, ' ');

  it('(a) a clean paper raises no flag; its setup states the real CPU and PyTorch, from the manifest', async () => {
    const provider = script(
      (req) =>
        `The baseline reaches a final validation accuracy of ${loggedAccuracy(req)} on x\\_plus\\_y (Table~\\ref{tab:results}).`,
      (req) =>
        `We train the template's transformer with PyTorch ${measuredTorch(req)}; Table~\\ref{tab:setup} lists each run.`,
      'unused',
    );
    const { paper, details, status, attributes } = await campaign(provider, 'clean');
    expect([paper.state, paper.reason]).toEqual(['completed', undefined]);
    const integrity = paper.integrity!;
    expect(integrity.unsupported).toEqual([]);
    expect([integrity.verdict, integrity.flags, integrity.fixRound]).toEqual(['clean', 0, false]);
    expect(integrity.numbers).toBeGreaterThan(5);
    expect(integrity.traced).toBe(integrity.numbers);
    expect(integrity.manifests).toBe(1);
    // No fix round was asked for.
    expect(provider.calls.some((c) => /integrity\/fix/.test(c.meta.step ?? ''))).toBe(false);

    // Status, Web UI details and the search attribute carry the verdict.
    expect(status.integrity).toMatchObject({ verdict: 'clean', flags: 0, numbers: integrity.numbers });
    expect(details).toContain(
      `Integrity: **clean** — ${integrity.traced}/${integrity.numbers} numbers traced`,
    );
    expect(attributes.get(SA.integrity)).toBe('clean');

    // The manifest holds this machine's CPU and the image's PyTorch, read independently here.
    const store = suiteStore(config);
    const report = await store.getJson<IntegrityReport>(integrity.reportKey);
    const m: RunManifest = report.manifests[0]!;
    const cpu = await cpuFacts();
    expect([m.device.kind, m.device.cpuModel, m.device.cpuCores]).toEqual([
      'cpu',
      cpu.cpuModel,
      cpu.cpuCores,
    ]);
    const torch = execFileSync('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      '65534',
      sandboxImage(config),
      'python3',
      '-c',
      'import torch; print(torch.__version__)',
    ])
      .toString()
      .trim();
    expect(m.image.torch).toBe(torch);
    expect(m.image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(m.code.experimentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.seeds.length + m.wallSeconds).toBeGreaterThan(0);

    // The PDF says so in the code-made setup paragraph, and ends with the report page.
    const pdf = flat(await store.getText(paper.textKey!));
    expect(pdf).toContain(cpu.cpuModel.replace(/\s+/g, ' '));
    expect(pdf).toContain(`PyTorch ${torch}`);
    expect(pdf).toContain('Reproducibility.');
    expect(pdf).toContain('Integrity report');
    expect(pdf).toContain(`Numbers traced: ${integrity.numbers} of ${integrity.numbers}`);
    expect((await store.get(paper.pdfKey!)).subarray(0, 5).toString()).toBe('%PDF-');
    // The reviewer read the report with the paper.
    const reviewCall = provider.calls.find((c) => /reviewer-1\/review/.test(c.meta.step ?? ''))!;
    expect(promptOf(reviewCall)).toContain('Integrity report');
  });

  it('(b) a fabricated number, a GPU the manifest lacks and a wrong PyTorch version are caught; the fix round corrects the number; the rest marks the paper', async () => {
    const provider = script(
      FABRICATED,
      'All runs were trained on an NVIDIA V100 GPU.\nWe use PyTorch 2.1.0 throughout.',
      editBlock('template.tex', FABRICATED, 'The accuracies are in Table~\\ref{tab:results}.'),
    );
    const { paper, details, status, attributes } = await campaign(provider, 'planted');
    expect(paper.state).toBe('completed');
    const store = suiteStore(config);

    // Round 1 caught all three, and the fix prompt listed each.
    const first = await store.getJson<IntegrityReport>(
      keys.paper(paper.paperId, 'integrity', 'integrity-1.json'),
    );
    const caught = first.flags.map((f) => `${f.kind}:${f.text}`);
    expect(caught).toEqual(
      expect.arrayContaining(['number:97.3%', 'hardware:V100', 'version:PyTorch 2.1.0']),
    );
    const fixCall = provider.calls.find((c) => /integrity\/fix/.test(c.meta.step ?? ''))!;
    for (const s of ['"97.3%"', '"V100"', '"PyTorch 2.1.0"']) expect(promptOf(fixCall)).toContain(s);
    expect(promptOf(fixCall)).toContain('the image has PyTorch');

    // After the fix round: the number is gone, the GPU and the version are left, and say why.
    const integrity = paper.integrity!;
    expect([integrity.verdict, integrity.fixRound]).toEqual(['unsupported-claims', true]);
    const left = integrity.unsupported.join('\n');
    expect(left).not.toContain('97.3');
    expect(left).toContain('hardware: V100 — the runs ran on no GPU');
    expect(left).toMatch(/version: PyTorch 2\.1\.0 — the image has PyTorch \d/);
    expect(integrity.flags).toBe(integrity.unsupported.length);

    expect(status.integrity?.verdict).toBe('unsupported-claims');
    expect(details).toContain('Integrity: **unsupported-claims**');
    expect(details).toContain('Unsupported: hardware: V100');
    expect(attributes.get(SA.integrity)).toBe('unsupported-claims');

    // The PDF stays, without the fabricated number, with the report page listing what is left.
    const pdf = flat(await store.getText(paper.textKey!));
    expect(pdf).not.toContain('97.3');
    expect(pdf).toContain('The accuracies are in Table');
    expect(pdf).toMatch(/Verdict: unsupported-?claims/); // a line may break at its hyphen
    expect(pdf).toContain('(after one fix round)');
    expect(pdf).toMatch(/hardware: V100 — the runs ran on no GPU/);
  });

  it('(c) a variant with twice the baseline’s parameters presented as a win is flagged compute-unfair; the paper says so and the reviewer sees it', async () => {
    const provider = script(
      'The deeper variant outperforms the baseline on every task (Table~\\ref{tab:results}).',
      'We train the template’s transformer.',
      'No change is needed.',
      [
        {
          step: /experiments\/run_1\/edit-1/,
          reply: editBlock('experiment.py', '    num_layers=2,', '    num_layers=4,'),
        },
        { step: /experiments\/run_1\/notes/, ...text('Run 1 doubles the number of transformer blocks.') },
      ],
    );
    const { paper, details } = await campaign(provider, 'compute', { maxRuns: 1 });
    expect(paper.state).toBe('completed');
    expect(paper.runs.map((r) => r.runName)).toEqual(['run_0', 'run_1']);
    const store = suiteStore(config);
    const report = await store.getJson<IntegrityReport>(paper.integrity!.reportKey);
    const [base, variant] = report.manifests;
    // Both runs report their parameters (the templates' n_params); the variant has about twice.
    expect(variant!.params! / base!.params!).toBeGreaterThan(1.8);
    expect(report.computeUnfair).toEqual([
      expect.objectContaining({ run: 'run_1', basis: 'parameters', ratio: variant!.params! / base!.params! }),
    ]);
    const unfair = paper.integrity!.unsupported.find((u) => u.startsWith('compute-unfair: run_1: '));
    expect(unfair).toMatch(
      /^compute-unfair: run_1: \d\.\d\dx parameters — the paper presents a variant as an improvement/,
    );
    expect(paper.integrity!.verdict).toBe('unsupported-claims');
    expect(details).toContain('Unsupported: compute-unfair: run_1');
    // The generated sentence is in the paper (setup section), and the reviewer read the flag.
    const pdf = flat(await store.getText(paper.textKey!));
    expect(pdf).toMatch(
      /run_1 uses \d\.\d\dx the parameters of the baseline \(run_0\), so its comparison with the baseline is not compute-matched\./,
    );
    const reviewCall = provider.calls.find((c) => /reviewer-1\/review/.test(c.meta.step ?? ''))!;
    expect(promptOf(reviewCall)).toMatch(/compute-unfair: run_1/);
  });
  /** A campaign whose one experiment run edits grokking's experiment.py as `edit` does. */
  const withVariant = (results: string, edit: string, fix: ScriptEntry['reply'] = 'No change is needed.') =>
    script(results, 'We train the template’s transformer.', fix, [
      { step: /experiments\/run_1\/edit-1/, reply: editBlock('experiment.py', FAST_LINE, edit) },
      { step: /experiments\/run_1\/notes/, ...text('Run 1 changes the fast configuration.') },
    ]);

  it('(d) an "improvement" inside the seed-to-seed noise of three seeds is caught by the noise gate; the paper says no reliable difference was found', async () => {
    const provider = withVariant(
      'Longer warmup significantly improves validation accuracy over the baseline (Table~\\ref{tab:results}).',
      FAST_LINE.replace('warmup_steps=10', 'warmup_steps=12'),
    );
    const { paper, details } = await campaign(provider, 'noise', { maxRuns: 1, seeds: 3 });
    expect(paper.state).toBe('completed');
    const store = suiteStore(config);
    const report = await store.getJson<IntegrityReport>(paper.integrity!.reportKey);
    const gate = report.gates.noiseGate!;
    expect(gate).toMatchObject({ status: 'failed', variant: 'run_1', seeds: { baseline: 3, variant: 3 } });
    expect(gate.tests.length).toBeGreaterThan(5);
    expect(gate.tests.every((t) => !t.reliable && t.baseline.n === 3 && t.variant.n === 3)).toBe(true);
    const noise = paper.integrity!.unsupported.filter((u) => u.startsWith('noise: '));
    expect(noise.map((u) => u.split(' — ')[0])).toEqual(['noise: significantly', 'noise: improves']);
    expect(noise[0]).toContain(
      'the noise gate did not pass (failed: Over 3 and 3 seeds, no reliable difference',
    );
    expect(paper.integrity!.verdict).toBe('unsupported-claims');
    expect(details).toContain('Unsupported: noise: significantly');
    // The code-made sentence and the seeds' mean ± std are in the paper.
    const pdf = flat(await store.getText(paper.textKey!));
    expect(pdf).toMatch(
      /Noise gate\. Over 3 and 3 seeds, no reliable difference between run_1 and the baseline \(run_0\) was found: no metric passes the noise gate \(p < 0\.\d+: Welch’?'?s t-test/,
    );
    expect(pdf).toContain('mean ± standard deviation over seeds');
    expect(paper.runs.map((r) => r.runName)).toEqual(['run_0', 'run_1']);
  });

  it('(e) a large real difference over three seeds passes the noise gate: no false alarm', async () => {
    const provider = withVariant(
      'A ten times smaller learning rate significantly improves the validation loss over the baseline (Table~\\ref{tab:results}).',
      FAST_LINE.replace('lr=3e-3', 'lr=3e-4'),
    );
    const { paper } = await campaign(provider, 'gate-passes', { maxRuns: 1, seeds: 3 });
    expect(paper.state).toBe('completed');
    const store = suiteStore(config);
    const report = await store.getJson<IntegrityReport>(paper.integrity!.reportKey);
    expect(report.gates.noiseGate).toMatchObject({ status: 'passed', variant: 'run_1' });
    expect(paper.integrity!.unsupported).toEqual([]);
    expect([paper.integrity!.verdict, paper.integrity!.flags]).toEqual(['clean', 0]);
    expect(paper.integrity!.traced).toBe(paper.integrity!.numbers);
    const pdf = flat(await store.getText(paper.textKey!));
    expect(pdf).toMatch(
      /Noise gate\. Over 3 and 3 seeds, run_1 differs reliably from the baseline \(run_0\) in \d+ of \d+ metric/,
    );
  });

  it('(f) a variant identical to the baseline presented as a change is flagged and the paper says so; a fix round that fails degrades the paper, not fails it', async () => {
    const provider = withVariant(
      'Longer warmup delays the onset of grokking (Table~\\ref{tab:results}).',
      `${FAST_LINE}  # the fast configuration`,
      () => {
        throw new InvalidInputError('the model server refused the request (planted)');
      },
    );
    const { paper, details } = await campaign(provider, 'identical', { maxRuns: 1 });
    expect([paper.state, paper.reason]).toEqual(['completed', undefined]);
    const store = suiteStore(config);
    const report = await store.getJson<IntegrityReport>(paper.integrity!.reportKey);
    expect(report.identical?.map((i) => i.run)).toEqual(['run_1']);
    expect(paper.integrity!.unsupported).toEqual([
      expect.stringMatching(/^no-change: run_1: identical to run_0 — run_1's results equal the baseline's/),
    ]);
    expect([paper.integrity!.verdict, paper.integrity!.fixRound]).toEqual(['unsupported-claims', false]);
    expect(paper.degraded).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          part: 'integrity fix round',
          reason: expect.stringContaining('the model server refused the request (planted)'),
        }),
      ]),
    );
    expect(details).toContain('Degraded: integrity fix round');
    const pdf = flat(await store.getText(paper.textKey!));
    expect(pdf).toMatch(
      /run_1['’]s results equal the baseline['’]s \(run_0\) in every metric: the edit changed nothing measurable, and run_1 does not differ from the baseline\./,
    );
    expect(paper.review).toBeDefined();
  });
  it('(g) a bibliography entry that does not exist is removed with its citation; a citation its abstract does not support is taken out of its sentence', async () => {
    // grokking with one more entry in its bibliography: a paper no literature provider holds.
    const dir = mkdtempSync(path.join(tmpdir(), 'ds-cite-'));
    cpSync(path.join(PROJECT_ROOT, 'templates', 'grokking'), dir, { recursive: true });
    const texPath = path.join(dir, 'latex', 'template.tex');
    writeFileSync(
      texPath,
      readFileSync(texPath, 'utf8').replace(
        '\\begin{filecontents}{references.bib}\n',
        '\\begin{filecontents}{references.bib}\n@article{smith2023warmup,\n  title={Warmup Schedules Provably Cause Grokking in Every Transformer},\n  author={Smith, Jane},\n  journal={Journal of Planted Results},\n  year={2023}\n}\n\n',
      ),
    );
    const { templateKey } = await storeTemplate(suiteStore(config), dir);
    const provider = script(
      [
        'Grokking was first reported on small algorithmic datasets \\citep{power2022grokking}.',
        'Learning-rate warmup is known to prevent grokking entirely \\citep{power2022grokking}.',
        'Warmup schedules provably cause grokking \\citep{smith2023warmup}.',
      ].join(' '),
      'We train the template’s transformer.',
      'No change is needed.',
      [
        {
          step: /integrity\/citations/,
          // The review-role model: item 2 (warmup prevents grokking) is not in the abstract.
          reply: (req) => {
            const items = [...promptOf(req).matchAll(/^(\d+)\. Sentence: "([^"]*)"/gm)];
            return {
              verdicts: items.map((m) => ({
                id: Number(m[1]),
                verdict: /prevent/.test(m[2]!) ? 'unsupported' : 'supported',
                reason: /prevent/.test(m[2]!)
                  ? 'the abstract says nothing of warmup'
                  : 'the paper reports it',
              })),
            };
          },
        },
      ],
    );
    const { paper } = await campaign(provider, 'citations', {}, templateKey);
    expect([paper.state, paper.reason]).toEqual(['completed', undefined]);
    const store = suiteStore(config);
    const report = await store.getJson<IntegrityReport>(paper.integrity!.reportKey);
    const cited: CitationReport = report.citations.report!;
    expect(cited.resolved.map((r) => r.key)).toEqual(['power2022grokking']);
    expect(cited.removed).toEqual([
      expect.objectContaining({
        key: 'smith2023warmup',
        why: expect.stringMatching(/^no search result matches/),
      }),
    ]);
    expect(cited.sentences.map((x) => [x.key, x.verdict, x.removed])).toEqual([
      ['power2022grokking', 'supported', false],
      ['power2022grokking', 'unsupported', true],
    ]);
    // The model was asked once, with the abstract the literature holds.
    const asked = provider.calls.filter((c) => /integrity\/citations/.test(c.meta.step ?? ''));
    expect(asked).toHaveLength(1);
    expect(asked[0]!.meta.role).toBe('review');
    expect(promptOf(asked[0]!)).toContain(
      'Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets',
    );
    expect(paper.integrity!.citations).toContain('1 removed (smith2023warmup)');
    expect(paper.integrity!.verdict).toBe('clean');
    // The final PDF: one citation left (BibTeX resolved it), no trace of the planted paper.
    const pdf = flat(await store.getText(paper.textKey!));
    expect(pdf).toMatch(/small algorithmic datasets \[\d\]\./);
    expect(pdf).toMatch(/prevent grokking entirely\. Warmup schedules provably cause grokking\./);
    expect(pdf).not.toContain('Smith');
    expect(pdf).not.toMatch(/\(\?\)|\[\?\]/);
    expect(pdf).toContain('1 of 2 cited entries resolved against the literature');
  });
});
