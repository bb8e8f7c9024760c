/**
 * The campaign and paper workflows on the real dev server, with stub activities: the point of
 * these tests is the orchestration (stages, loops, degrade paths, budget, children).
 */
import { createAsk } from '../../activities/llm';
import { createReviewActivities } from '../../activities/review';
import {
  DEFAULT_CAMPAIGN_SETTINGS,
  DEFAULT_PAPER_SETTINGS,
  type MainPorts,
  QUICK_CAMPAIGN_SETTINGS,
} from '../../contracts';
import { loadProcessConfig } from '../../lib/config';
import { createLogger } from '../../lib/log';
import type { CampaignInput, CampaignOutcome, PaperOutcome } from '../../workflows';
import { startStubWorkers, suiteConfig, suiteStore, uniqueId } from '../harness';
import { ScriptedProvider } from '../llm/scripted-provider';
import { fakePorts, type FakeScript } from './fake-ports';
import { withStubPaper } from './stub-paper';

const config = suiteConfig('orchestration');
const paperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  seeds: 1,
  maxRuns: 3,
  citationRounds: 5,
  reviewers: 3,
  fast: true,
};

async function runPaper(
  script: FakeScript,
  settings: Partial<typeof paperSettings> = {},
  /** Replaces stub activities with real ones (the point of the test is their effect on the workflow). */
  real: Partial<MainPorts> = {},
) {
  const fake = fakePorts(script);
  Object.assign(fake.main, real);
  return withStubPaper(config, fake, { ...paperSettings, ...settings }, async (client, input) => {
    const workflowId = uniqueId('paper');
    const outcome = (await client.workflow.execute('paperWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
    })) as PaperOutcome;
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    return { outcome, fake, events: history.events?.length ?? 0 };
  });
}

describe('paper workflow orchestration', () => {
  it('runs every stage in order and totals the cost per stage', async () => {
    const { outcome, fake } = await runPaper({ overall: 7 });
    expect(outcome.state).toBe('completed');
    expect(outcome.runs.map((r) => r.runName)).toEqual(['run_0', 'run_1', 'run_2', 'run_3']);
    // Round 1 compiled; the integrity stage checked its text and compiled the report page in (round 5 + 2).
    expect((fake.calls.find((c) => c.name === 'checkIntegrity')!.input as { textKey: string }).textKey).toBe(
      'pdf/1.txt',
    );
    expect(outcome.pdfKey).toBe('pdf/7.pdf');
    expect(outcome.integrity).toMatchObject({ verdict: 'clean', reportKey: 'integrity/1.json' });
    expect(outcome.review).toMatchObject({ overall: 7, decision: 'Accept' });
    const order = fake.calls.map((c) => c.name).filter((n, i, a) => a.indexOf(n) === i);
    expect(order).toEqual([
      'runBaseline',
      'recordRun',
      'planEdit',
      'runExperiment',
      'editPlot',
      'runPlot',
      'describeFigures',
      'critiqueFigures',
      'writeSection',
      'citationRound',
      'compilePaper',
      'checkCitations',
      'checkIntegrity',
      'reviewPaper',
      'metaReview',
    ]);
    // 3 edits + 3 notes + 1 plot edit + 1 figure description + 14 section passes + 3 citation
    // rounds + related work + final refinement + 3 reviews + 1 meta-review, at $0.01 each.
    expect(fake.count('writeSection')).toBe(7 * 2 + 2);
    expect(outcome.cost.calls).toBe(3 + 3 + 1 + 1 + 16 + 3 + 3 + 1);
    expect(outcome.cost.costUsd).toBeCloseTo(0.31, 6);
    expect(Object.keys(outcome.costByStage).sort()).toEqual(['experiments', 'plots', 'review', 'writeup']);
  });

  it('feeds a failed run’s stderr back to the coder and retries; a run that always fails is skipped', async () => {
    const { outcome, fake } = await runPaper({
      failingRuns: ['run_1#1', 'run_2#1', 'run_2#2', 'run_2#3', 'run_2#4'],
    });
    expect(outcome.state).toBe('completed');
    expect(outcome.runs.map((r) => r.runName)).toEqual(['run_0', 'run_1', 'run_3']);
    const retry = fake.calls.find(
      (c) => c.name === 'planEdit' && (c.input as { run: number; attempt: number }).attempt === 2,
    );
    expect((retry?.input as { feedback: string }).feedback).toContain('RuntimeError: shape mismatch');
  });

  it('stops experimenting when the model declares the plan complete', async () => {
    const { outcome, fake } = await runPaper({ doneBeforeRun: 2 });
    expect(outcome.runs.map((r) => r.runName)).toEqual(['run_0', 'run_1']);
    expect(fake.count('runExperiment')).toBe(1);
  });

  it('skips the figure critique when the review model takes no images, and says so in the outcome', async () => {
    const { outcome, fake } = await runPaper({});
    expect(fake.count('critiqueFigures')).toBe(1);
    expect(outcome.figureCritique).toMatchObject({
      status: 'skipped',
      note: expect.stringMatching(/^figure critique skipped: local:\S+ takes no images$/) as string,
    });
    // Nothing to read for the reviewers: their input has no critique.
    const reviews = fake.calls.filter((c) => c.name === 'reviewPaper');
    expect(reviews.length).toBeGreaterThan(0);
    for (const r of reviews) expect(r.input).not.toHaveProperty('figureCritiqueKey');
    // A skipped critique costs nothing: the plots stage is the edit and the description.
    expect(outcome.costByStage.plots!.calls).toBe(2);
  });

  it('sends plot.py back with what the figure critique found, then hands the critique to every reviewer', async () => {
    const { outcome, fake } = await runPaper({ figureCritique: 'fix-once' });
    const edits = fake.calls
      .filter((c) => c.name === 'editPlot')
      .map((c) => c.input as Record<string, unknown>);
    expect(edits).toHaveLength(2);
    // The second edit starts from the first one's plot.py, with the critique as its feedback.
    expect(edits[1]!.workspace).toBe(`${edits[0]!.workspace as string}+plot1`);
    expect(edits[1]!.feedback).toContain('the legend names run_1');
    expect(fake.count('critiqueFigures')).toBe(2);
    expect(outcome.figureCritique).toMatchObject({
      status: 'critiqued',
      critiqueKey: 'critique/2.json',
      needsFix: 0,
    });
    const reviews = fake.calls.filter((c) => c.name === 'reviewPaper');
    expect(reviews.length).toBe(3);
    for (const r of reviews) expect(r.input).toMatchObject({ figureCritiqueKey: 'critique/2.json' });
  });

  it('goes on without figures when plotting fails every attempt, the template’s own plot.py too', async () => {
    const { outcome, fake } = await runPaper({ failingPlots: [0, 1, 2, 3, 4] });
    expect(outcome.state).toBe('completed');
    expect(fake.count('runPlot')).toBe(5);
    expect(fake.count('describeFigures')).toBe(0);
    expect(outcome.degraded).toBeUndefined();
  });

  it('runs the template’s own plot.py when no plot edit works, and says so in the outcome', async () => {
    const { outcome, fake } = await runPaper({ failingPlots: [1, 2, 3, 4] });
    expect(outcome.state).toBe('completed');
    expect(fake.count('runPlot')).toBe(5);
    // The last run is the template's plot.py: attempt 0, on the workspace no plot edit touched.
    const last = fake.calls.filter((c) => c.name === 'runPlot').at(-1)!.input as {
      attempt: number;
      workspace: string;
    };
    expect(last.attempt).toBe(0);
    expect(last.workspace).not.toContain('+plot');
    expect(fake.count('describeFigures')).toBe(1);
    expect(outcome.degraded).toEqual([
      {
        part: 'figures',
        reason: "no edit of plot.py worked in 4 attempt(s); the figures are the template's own",
      },
    ]);
  });

  it('feeds compiler errors back to the writer until the paper compiles', async () => {
    const { outcome, fake } = await runPaper({ failingCompiles: [1, 2] });
    // Round 3 made the first PDF; the integrity stage's report compile made the last (round 7).
    expect((fake.calls.find((c) => c.name === 'checkIntegrity')!.input as { textKey: string }).textKey).toBe(
      'pdf/3.txt',
    );
    expect(outcome.pdfKey).toBe('pdf/7.pdf');
    const fixes = fake.calls
      .filter((c) => c.name === 'fixLatex')
      .map((c) => (c.input as { feedback: string }).feedback);
    expect(fixes).toEqual([
      'Undefined control sequence \\foo at line 3',
      'Undefined control sequence \\foo at line 3',
    ]);
  });

  it('keeps the PDF of an earlier round when a fix breaks the LaTeX', async () => {
    const { outcome, fake } = await runPaper(
      { warningCompiles: [1], failingCompiles: [2] },
      { compileRounds: 2 },
    );
    expect(fake.count('fixLatex')).toBe(1);
    expect(outcome.state).toBe('completed');
    // The draft that goes on (checked, then compiled with the report page) is the one that made that PDF.
    const checked = fake.calls.find((c) => c.name === 'checkIntegrity')!.input as {
      textKey: string;
      draftKey: string;
    };
    expect(checked.textKey).toBe('pdf/1.txt');
    expect(checked.draftKey).toBe(
      (fake.calls.find((c) => c.name === 'compilePaper')!.input as { draftKey: string }).draftKey,
    );
    expect(outcome.pdfKey).toBe('pdf/4.pdf');
  });

  it('stops at a stage boundary with a clear final state when the budget is spent', async () => {
    const { outcome, fake } = await runPaper({ costPerCall: 0.5 }, { budgetUsd: 1 });
    expect(outcome.state).toBe('over-budget');
    expect(outcome.reason).toMatch(/budget of \$1 reached at stage plots/);
    expect(fake.count('writeSection')).toBe(0);
    expect(outcome.cost.costUsd).toBeGreaterThanOrEqual(1);
  });

  it('keeps the PDF and ends unscored, not failed, when no review is usable', async () => {
    const { outcome, fake } = await runPaper({ noValidReviews: true }, { improve: true });
    expect(outcome.state).toBe('completed');
    expect(outcome.pdfKey).toBe('pdf/7.pdf'); // the integrity stage's report compile
    expect(outcome.review).toBeUndefined();
    expect(outcome.reason).toMatch(/no valid review among 3/);
    expect(fake.count('metaReview')).toBe(0);
    expect(fake.count('revisePaper')).toBe(0);
  });

  it('counts what replies that never match the review schema cost: the paper’s cost moves', async () => {
    // The real review activities and the real ask over a model whose every reply is prose, not
    // the review form: each ask is a first reply plus one repair round, and all of it is billed.
    const usage = { inputTokens: 1000, outputTokens: 200 };
    const model = 'schema-breaker';
    const llmConfig = loadProcessConfig({
      ...process.env,
      // Priced like a hosted model (a local one is free); the scripted provider answers every call.
      SCIENTIST_LLM_DEFAULT: `openai:${model}`,
      SCIENTIST_OPENAI_API_KEY: 'sk-never-sent',
      SCIENTIST_LLM_PRICES: JSON.stringify({ [model]: { input: 3, output: 15, contextTokens: 32_000 } }),
    }).llm;
    const scripted = new ScriptedProvider([
      { reply: 'A fine paper, I would accept it.', times: Infinity, usage },
    ]);
    const store = suiteStore(config);
    for (const round of [1, 2, 3, 7])
      await store.put(`pdf/${round}.txt`, 'The paper text, as pdftotext made it.');
    const deps = { config: { ...config, llm: llmConfig }, log: createLogger('schema-test', 'warn'), store };
    const review = createReviewActivities({ store, ask: createAsk({ ...deps, llmProvider: scripted }) });

    const { outcome } = await runPaper({}, { reviewers: 3, reviewReflections: 2 }, review);
    // No usable review: the paper keeps its PDF and ends unscored.
    expect(outcome.state).toBe('completed');
    expect(outcome.review).toBeUndefined();
    // 3 reviewers, 2 replies each (the answer and its repair round); no meta-review without a review.
    expect(scripted.calls).toHaveLength(6);
    const perReply = (usage.inputTokens * 3 + usage.outputTokens * 15) / 1e6;
    expect(outcome.costByStage.review).toEqual({
      costUsd: expect.closeTo(6 * perReply, 9) as number,
      inputTokens: 6 * usage.inputTokens,
      outputTokens: 6 * usage.outputTokens,
      calls: 6,
    });
    console.log(
      `always-failing review schema: ${outcome.costByStage.review!.calls} replies, $${outcome.costByStage.review!.costUsd.toFixed(4)} counted`,
    );
  });

  it('revises, recompiles and re-reviews in the improvement round', async () => {
    const { outcome, fake } = await runPaper({ overall: 6 }, { improve: true });
    expect(fake.count('revisePaper')).toBe(1);
    expect(fake.count('metaReview')).toBe(2);
    expect(outcome.review?.metaKey).toBe('meta/improved');
  });
});

describe('campaign workflow orchestration', () => {
  it('ideates, drops duplicates and non-novel ideas, ranks, and runs the best as child papers', async () => {
    const fake = fakePorts({
      ideaNames: ['alpha', 'beta', 'alpha', 'gamma'],
      notNovel: ['gamma'],
      overall: 6,
    });
    const workers = await startStubWorkers(config, fake);
    try {
      const input: CampaignInput = {
        template: 'grokking',
        gpuTaskQueue: config.temporal.gpuTaskQueue,
        settings: { ...DEFAULT_CAMPAIGN_SETTINGS, ideas: 4, papers: 2, parallelism: 2, paper: paperSettings },
      };
      const outcome = (await workers.run(() =>
        workers.client.workflow.execute('campaignWorkflow', {
          workflowId: `campaign-grokking-${uniqueId('c')}`,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        }),
      )) as CampaignOutcome;
      expect(outcome.state).toBe('completed');
      expect(outcome.ideas.map((r) => [r.idea.name, r.novel])).toEqual([
        ['beta', true],
        ['alpha', true],
        ['gamma', false],
      ]);
      expect(outcome.papers.map((p) => p.idea.name).sort()).toEqual(['alpha', 'beta']);
      expect(outcome.papers.every((p) => p.state === 'completed')).toBe(true);
      expect(outcome.papers[0]!.paperId).toMatch(/^paper-campaign-grokking-.*-(alpha|beta)$/);
      // Campaign cost = its own calls + every paper's.
      const own = Object.values(outcome.costByStage).reduce((s, x) => s + x.costUsd, 0);
      expect(outcome.cost.costUsd).toBeCloseTo(
        own + outcome.papers.reduce((s, p) => s + p.cost.costUsd, 0),
        6,
      );
    } finally {
      await workers.close();
    }
  });
});

describe('campaign degrade path', () => {
  it('falls back to the template’s seed ideas when the model produces no usable idea', async () => {
    const fake = fakePorts({ ideaNames: [] });
    const workers = await startStubWorkers(config, fake);
    try {
      const outcome = (await workers.run(() =>
        workers.client.workflow.execute('campaignWorkflow', {
          workflowId: `campaign-grokking-${uniqueId('seed')}`,
          taskQueue: config.temporal.taskQueue,
          args: [
            {
              template: 'grokking',
              gpuTaskQueue: config.temporal.gpuTaskQueue,
              settings: { ...DEFAULT_CAMPAIGN_SETTINGS, ideas: 2, paper: paperSettings },
            },
          ],
        }),
      )) as CampaignOutcome;
      expect(fake.count('seedIdeas')).toBe(1);
      expect(outcome.papers.map((p) => p.idea.name)).toEqual(['seed']);
    } finally {
      await workers.close();
    }
  });

  it('runs an idea whose novelty stayed undecided only when the settings allow it (the quick profile)', async () => {
    const fake = fakePorts({});
    // No literature and a weak model: every round ends undecided.
    const main: MainPorts = {
      ...fake.main,
      async noveltyRound(i) {
        const r = await fake.main.noveltyRound(i);
        return { ...r, decision: 'undecided', query: 'q' };
      },
    };
    const workers = await startStubWorkers(config, { main, gpu: fake.gpu });
    const run = (runUndecided: boolean) =>
      workers.client.workflow.execute('campaignWorkflow', {
        workflowId: `campaign-grokking-${uniqueId('undecided')}`,
        taskQueue: config.temporal.taskQueue,
        args: [
          {
            template: 'grokking',
            gpuTaskQueue: config.temporal.gpuTaskQueue,
            settings: {
              ...DEFAULT_CAMPAIGN_SETTINGS,
              ideas: 1,
              noveltyRounds: 2,
              runUndecided,
              paper: paperSettings,
            },
          },
        ],
      }) as Promise<CampaignOutcome>;
    try {
      const [strict, quick] = await workers.run(() => Promise.all([run(false), run(true)]));
      expect(strict.state).toBe('no-ideas');
      expect(strict.papers).toHaveLength(0);
      expect(quick.state).toBe('completed');
      expect(quick.ideas).toEqual([expect.objectContaining({ novel: false, undecided: true })]);
      expect(quick.papers.map((p) => [p.idea.name, p.state])).toEqual([
        [quick.ideas[0]!.idea.name, 'completed'],
      ]);
      expect(QUICK_CAMPAIGN_SETTINGS.runUndecided).toBe(true);
      expect(DEFAULT_CAMPAIGN_SETTINGS.runUndecided).toBeFalsy();
    } finally {
      await workers.close();
    }
  });
});
