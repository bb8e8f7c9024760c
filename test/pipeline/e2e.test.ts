/**
 * End to end on the real services: a campaign on the grokking template with the scripted LLM
 * provider (the only stand-in: models cannot be reached from here) and the local literature
 * server. Ideas → novelty → real training runs in the sandbox → plots → LaTeX → a real PDF
 * → reviews. The results section's numbers are checked against the runs' final_info.json.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { savePaperFiles, type SavedPaper } from '../../cli/paper-files';
import { collectEnding, endingExitCode, formatEnding, type RunEnding } from '../../cli/run-ending';
import { realDeps } from '../../workers/create-worker';
import { DEFAULT_PAPER_SETTINGS } from '../../contracts';
import type { CampaignOutcome } from '../../workflows';
import { startTestWorkers, suiteConfig, suiteStore, uniqueId } from '../harness';
import { oneIdeaCampaign, scholarSuiteConfig } from '../harness/campaign';
import { FakeScholarServer } from '../literature/fake-scholar-server';
import { warmupScript } from '../harness/warmup-script';

const script = () =>
  warmupScript({
    novelty: [
      {
        step: /novelty\/warmup_grokking\/round-1/,
        reply: { thought: 'Search first.', decision: 'search', query: 'grokking warmup' },
      },
      {
        step: /novelty\/warmup_grokking\/round-2/,
        reply: { thought: 'Nothing does this.', decision: 'novel' },
      },
    ],
    integrity: [
      // The integrity stage's citation check: the related-work sentence is what the cited paper reports.
      { step: /integrity\/citations/, reply: { verdicts: [{ id: 1, verdict: 'supported' }] } },
    ],
  });

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
