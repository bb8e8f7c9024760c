/**
 * End to end on the real services: a campaign on the grokking template with the scripted LLM
 * provider (the only stand-in: models cannot be reached from here) and the local literature
 * server. Ideas → novelty → real training runs in the sandbox → plots → LaTeX → a real PDF
 * → reviews. The results section's numbers are checked against the runs' final_info.json.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProviderRequest } from '../../activities/llm/types';
import { savePaperFiles, type SavedPaper } from '../../cli/paper-files';
import { collectEnding, endingExitCode, formatEnding, type RunEnding } from '../../cli/run-ending';
import { realDeps } from '../../workers/create-worker';
import { DEFAULT_PAPER_SETTINGS } from '../../contracts';
import type { CampaignOutcome } from '../../workflows';
import { startTestWorkers, suiteConfig, suiteStore, uniqueId } from '../harness';
import { oneIdeaCampaign, scholarSuiteConfig } from '../harness/campaign';
import { FakeScholarServer } from '../literature/fake-scholar-server';
import { ScriptedProvider } from '../llm/scripted-provider';
import { editBlock, reviewForm } from '../harness/replies';

const IDEA = {
  Name: 'warmup_grokking',
  Title: 'Learning-Rate Warmup and the Onset of Grokking',
  Experiment: 'Double the number of warmup steps and measure validation accuracy and steps to 99% accuracy.',
  Interestingness: 6,
  Feasibility: 9,
  Novelty: 5,
};

const REVIEW = reviewForm({
  summary: 'The paper studies warmup in grokking.',
  strengths: ['clear'],
  overall: 5,
  decision: 'Reject',
});

const promptOf = (req: ProviderRequest) => [req.context, ...req.messages.map((m) => m.content)].join('\n');

/** The results section, written from the exact table the activity puts in the prompt. */
function resultsSection(req: ProviderRequest): string {
  const byRun = new Map<string, string>();
  for (const l of promptOf(req).split('\n'))
    if (/^run_\d+: \{/.test(l)) byRun.set(l.slice(0, l.indexOf(':')), l);
  const lines = [...byRun.values()];
  const sentences = lines.map((l) => {
    const [run, json] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)];
    const info = JSON.parse(json) as Record<string, { means: Record<string, number> }>;
    const acc = info.x_plus_y!.means.final_val_acc!;
    return `In ${run.replace('_', ' ')}, the final validation accuracy on x plus y was ${acc.toFixed(4)}.`;
  });
  return sentences.join('\n\n');
}

function script(): ScriptedProvider {
  const text = (s: string) => ({ reply: s, times: Infinity });
  return new ScriptedProvider([
    { step: /ideas\/idea-1\/generate/, reply: IDEA },
    { step: /ideas\/idea-1\/reflect-1/, reply: { thought: 'Clear and feasible.', idea: IDEA, done: true } },
    {
      step: /novelty\/warmup_grokking\/round-1/,
      reply: { thought: 'Search first.', decision: 'search', query: 'grokking warmup' },
    },
    {
      step: /novelty\/warmup_grokking\/round-2/,
      reply: { thought: 'Nothing does this.', decision: 'novel' },
    },
    {
      step: /experiments\/run_1\/edit-1/,
      reply: `Plan: run 1 doubles the warmup.\n\n${editBlock('experiment.py', 'warmup_steps=10, steps_per_dataset=150', 'warmup_steps=20, steps_per_dataset=150')}`,
    },
    { step: /experiments\/run_1\/notes/, reply: 'Run 1 doubled the warmup steps from 10 to 20.' },
    { step: /experiments\/run_2\/edit-1/, reply: 'ALL_COMPLETED' },
    {
      step: /plots\/edit-1/,
      reply: editBlock(
        'plot.py',
        '    "run_0": "Baseline",',
        '    "run_0": "Baseline",\n    "run_1": "Doubled warmup",',
      ),
    },
    { step: /plots\/describe/, reply: 'Each figure compares the baseline with doubled warmup.' },
    {
      step: /writeup\/abstract\//,
      ...text(
        'Learning-Rate Warmup and the Onset of Grokking\nWe study how warmup changes grokking on modular arithmetic.',
      ),
    },
    { step: /writeup\/results\//, reply: resultsSection, times: Infinity },
    {
      step: /writeup\/related_work\//,
      reply: (req: ProviderRequest) => {
        const key = /exactly these keys:\n([^:\n]+):/.exec(promptOf(req))?.[1] ?? 'missing';
        return `Grokking was first reported by \\citet{${key}}.`;
      },
      times: Infinity,
    },
    {
      step: /writeup\/all\/refine/,
      ...text(
        'Learning-Rate Warmup and the Onset of Grokking\nWe study how warmup changes grokking on modular arithmetic.',
      ),
    },
    {
      step: /writeup\/citations\/round-1\.json/,
      reply: { done: false, query: 'grokking', description: 'where grokking was first observed' },
    },
    {
      step: /writeup\/citations\/round-1-pick/,
      reply: { selected: [1], description: 'first observed grokking' },
    },
    { step: /writeup\/citations\/round-2\.json/, reply: { done: true } },
    { step: /writeup\/\w+\/(draft|refine)/, ...text('We describe this part of the study in plain words.') },
    { step: /compile\/fix-/, ...text('No change is needed.') },
    // The integrity stage's citation check: the related-work sentence is what the cited paper reports.
    { step: /integrity\/citations/, reply: { verdicts: [{ id: 1, verdict: 'supported' }] } },
    { step: /review\/initial\/reviewer-\d\/review/, reply: REVIEW, times: Infinity },
    {
      step: /review\/initial\/reviewer-\d\/reflection-1/,
      reply: { ...REVIEW, overall: 6, done: true },
      times: Infinity,
    },
    { step: /review\/initial\/meta/, reply: REVIEW },
  ]);
}

describe('end to end: a campaign on grokking, scripted LLM, real services', () => {
  const scholar = new FakeScholarServer();
  let config: ReturnType<typeof suiteConfig>;

  beforeAll(async () => {
    await scholar.start();
    config = scholarSuiteConfig('e2e', scholar);
  });
  afterAll(async () => scholar.close());

  it('produces a compiled PDF whose results match final_info.json, and a review', async () => {
    const provider = script();
    const workers = await startTestWorkers(config, { ...realDeps(config), llmProvider: provider });
    const workflowId = `campaign-grokking-${uniqueId('e2e')}`;
    const t0 = Date.now();
    let outcome: CampaignOutcome;
    let paperHistory: { historyLength: number; historySize?: number } | undefined;
    let ending: RunEnding | undefined;
    let unattended: SavedPaper | undefined;
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'ds-e2e-out-'));
    try {
      const input = oneIdeaCampaign(
        config,
        {
          ...DEFAULT_PAPER_SETTINGS,
          seeds: 1,
          maxRuns: 2,
          maxRunAttempts: 2,
          maxPlotAttempts: 2,
          citationRounds: 2,
          compileRounds: 3,
          reviewers: 2,
          reviewReflections: 1,
          fast: true,
        },
        { noveltyRounds: 3 },
      );
      outcome = await workers.run(async () => {
        const result = (await workers.client.workflow.execute('campaignWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        })) as CampaignOutcome;
        // What `scientist run` does at the end, while the workers still answer queries.
        ending = await collectEnding(workers.client, config, workflowId, result, outDir);
        return result;
      });
      const paperId = outcome.papers[0]?.paperId;
      if (paperId) paperHistory = await workers.client.workflow.getHandle(paperId).describe();
      // With no worker left to answer the `artifacts` query, the figures are found in the store.
      if (outcome.papers[0])
        unattended = await savePaperFiles(
          workers.client,
          config,
          outcome.papers[0],
          path.join(outDir, 'no-worker'),
        );
    } finally {
      await workers.close();
    }
    const wallS = (Date.now() - t0) / 1000;

    expect(outcome.state).toBe('completed');
    const paper = outcome.papers[0]!;
    expect(paper.state).toBe('completed');
    expect(paper.runs.map((r) => [r.runName, r.outcome])).toEqual([
      ['run_0', 'ok'],
      ['run_1', 'ok'],
    ]);

    // A real PDF, compiled by pdflatex in the LaTeX sandbox.
    const store = suiteStore(config);
    const pdf = await store.get(paper.pdfKey!);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = (await store.getText(paper.textKey!)).replace(/\s+/g, ' ');
    expect(text).toContain('Learning-Rate Warmup and the Onset of Grokking');

    // Every run's accuracy in the PDF is the one in that run's final_info.json.
    for (const run of paper.runs) {
      const info = await store.getJson<Record<string, { means: Record<string, number> }>>(run.finalInfoKey!);
      const acc = info.x_plus_y!.means.final_val_acc!.toFixed(4);
      expect(text).toContain(
        `In ${run.runName.replace('_', ' ')}, the final validation accuracy on x plus y was ${acc}.`,
      );
    }
    // The citation was inserted by code from the literature result and resolved by BibTeX.
    expect(text).not.toMatch(/\(\?\)|\[\?\]/);

    // Reviews: two reviewers after reflection (overall 6 each), calibrated on threshold 6.
    expect(paper.review).toMatchObject({ overall: 6, decision: 'Accept' });
    expect(scholar.requests.length).toBeGreaterThan(0);

    // The run's ending: the PDF and its figures saved locally, pages, and time per stage.
    if (!ending) throw new Error('the ending was not collected');
    const saved = ending.papers[0]!;
    expect(readFileSync(saved.files.pdf!).equals(pdf)).toBe(true);
    expect(saved.files.pdf).toBe(path.join(outDir, paper.paperId, 'paper.pdf'));
    expect(saved.files.pages).toBeGreaterThanOrEqual(1);
    expect(saved.files.figures.length).toBeGreaterThan(0);
    for (const f of saved.files.figures)
      expect(
        readFileSync(path.join(outDir, paper.paperId, 'figures', f))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    expect(saved.times.map((t) => t.stage)).toEqual(
      expect.arrayContaining(['baseline', 'experiments', 'plots', 'writeup', 'compile', 'review']),
    );
    expect(saved.times.every((t) => t.ms >= 0)).toBe(true);
    expect(ending.campaignTimes.map((t) => t.stage)).toEqual(expect.arrayContaining(['ideation', 'papers']));
    const printed = formatEnding(workflowId, outcome, ending);
    expect(printed).toContain(`${saved.files.pages} page`);
    expect(unattended?.figures).toEqual(saved.files.figures);
    expect(endingExitCode(outcome, ending)).toBe(0);
    rmSync(outDir, { recursive: true, force: true });

    // The paper's history stays small: keys, not content.
    const desc = paperHistory!;
    expect(desc.historySize).toBeLessThan(1024 * 1024);
    console.log(
      `e2e: ${wallS.toFixed(0)} s wall; paper history ${desc.historyLength} events, ${desc.historySize} bytes; ` +
        `${paper.cost.calls} model calls; cost by stage ${JSON.stringify(paper.costByStage)}`,
    );
  });
});
