/**
 * The main worker process (workers/main.ts) is SIGKILLed twice in one paper: while it waits for
 * a model's reply in the experiments stage (the coder's edit), and while a write-up section is
 * streaming in. Each time a new main worker process is started. The paper completes; every step
 * ran to completion once (the killed ones were asked again, nothing else was), every artifact is
 * there once, and the paper's cost is the sum of the model calls it used, each counted once.
 *
 * The model is the fake OpenAI-compatible server, reached over HTTP by the worker processes.
 */
import type { Client } from '@temporalio/client';
import { connectClient } from '../../lib/temporal';
import { activitiesOf, completedByType, sleep, waitUntil } from './history';
import { paperInput, paperResult, startPaper } from './paper';
import { auditPaper, transcriptSpend } from './paper-audit';
import { PipelineLlm } from './pipeline-llm';
import { crashSuite, type CrashSuite } from './suite';
import { killAllWorkers, killWorker, startPollingWorkers, startWorker } from './worker-processes';

describe('main worker SIGKILLed during LLM activities', () => {
  let llm: PipelineLlm;
  let suite: CrashSuite;
  let client: Client;

  beforeAll(async () => {
    llm = await PipelineLlm.start();
    suite = crashSuite('crash-main', llm.env);
    client = await connectClient(suite.config);
  });
  afterAll(async () => {
    await killAllWorkers();
    await llm?.close();
    await client?.connection.close();
  });

  it(
    'completes the paper with every step, artifact and cost once',
    async () => {
      const t0 = Date.now();
      const input = await paperInput(suite.config);
      const { gpu, main: main1 } = await startPollingWorkers(suite.env, 'main-1');

      const editHold = llm.hold(/^experiments\/run_1\/edit$/, 'before');
      const writeHold = llm.hold(/^writeup\/results\/draft$/, 'stream');
      const handle = await startPaper(client, suite.config, input);

      // Kill 1: the coder's edit request is at the model; no byte of the reply has come back.
      const edit1 = await editHold.arrived;
      const kill1 = await killWorker(main1);
      editHold.release(); // the reply is written to nobody
      const main2 = startWorker('main', suite.env, 'main-2');
      const edit2 = await waitUntil(
        'the retried edit request',
        () => llm.of(/^experiments\/run_1\/edit$/).find((c) => c.n > edit1.n),
        6 * 60_000,
        500,
      );
      const resume1 = edit2.request.at - kill1;

      // Kill 2: the results section is streaming in (one chunk a second).
      const results1 = await writeHold.arrived;
      await sleep(4000);
      const kill2 = await killWorker(main2);
      const main3 = startWorker('main', suite.env, 'main-3');
      const results2 = await waitUntil(
        'the retried results request',
        () => llm.of(/^writeup\/results\/draft$/).find((c) => c.n > results1.n),
        6 * 60_000,
        500,
      );
      const resume2 = results2.request.at - kill2;

      const outcome = await paperResult(handle, [gpu, main1, main2, main3]);
      const wallS = (Date.now() - t0) / 1000;

      // ---- the paper completed, with a PDF and a review
      expect(outcome.state).toBe('completed');
      expect(outcome.pdfKey).toBeDefined();
      expect(outcome.review).toMatchObject({ overall: 6, decision: 'Accept' });
      expect(outcome.runs.map((r) => [r.runName, r.outcome])).toEqual([
        ['run_0', 'ok'],
        ['run_1', 'ok'],
      ]);

      // ---- every activity completed; only the two killed ones needed a second attempt
      const acts = await activitiesOf(handle);
      expect(acts.filter((a) => a.state !== 'completed')).toEqual([]);
      expect(acts.filter((a) => (a.attempt ?? 1) > 1).map((a) => [a.type, a.attempt])).toEqual([
        ['planEdit', 2],
        ['writeSection', 2],
      ]);
      const done = completedByType(acts);
      expect(done).toMatchObject({
        planEdit: 1,
        runExperiment: 1,
        recordRun: 2,
        editPlot: 1,
        describeFigures: 1,
      });
      // 7 sections drafted and refined, related work, the final pass on title and abstract.
      expect(done.writeSection).toBe(16);
      expect(done.reviewPaper).toBe(2);
      expect(done.metaReview).toBe(1);

      // ---- each model step answered once; the two killed requests were cut off and asked again
      expect(llm.calls.filter((c) => c.request.outcome === 'aborted').map((c) => c.step)).toEqual([
        'experiments/run_1/edit',
        'writeup/results/draft',
      ]);
      expect(llm.calls.filter((c) => c.step === 'unknown')).toEqual([]);
      const audit = await auditPaper(suite.store, outcome.paperId);
      // One transcript per billed reply and one billed reply per transcript: no step was answered
      // twice, none is missing.
      const billedTags = llm.calls.filter((c) => c.request.outcome === 'completed').map((c) => c.tag);
      expect(audit.transcripts.map((t) => t.tag).sort()).toEqual([...billedTags].sort());
      expect(llm.of(/^experiments\/run_1\/edit$/).map((c) => c.request.outcome)).toEqual([
        'aborted',
        'completed',
      ]);
      expect(llm.of(/^writeup\/results\/draft$/).map((c) => c.request.outcome)).toEqual([
        'aborted',
        'completed',
      ]);

      // ---- costs: every reply delivered whole is counted once (its transcript), plus an estimate
      // for the reply cut off mid-stream, which a provider bills and never reports. The reply
      // killed before its first token is not counted: whether its prompt was billed is unknown.
      const spent = transcriptSpend(audit);
      const billed = llm.billed();
      expect(spent.calls).toBe(billed.calls);
      expect(spent.inputTokens).toBe(billed.inputTokens);
      expect(spent.outputTokens).toBe(billed.outputTokens);
      expect(spent.costUsd).toBeCloseTo(billed.costUsd, 12);
      const cut = audit.transcripts.filter((t) => t.interrupted);
      expect(cut.map((t) => t.tag)).toEqual([results2.tag]);
      const lost = cut[0]!.interrupted!;
      expect(lost.attempts).toBe(1);
      // 8 characters a second for the 4 s before the kill, reported at most 1 s late.
      expect(lost.outputChars[0]).toBeGreaterThanOrEqual(8);
      expect(lost.outputChars[0]).toBeLessThanOrEqual(8 * 6);
      expect(lost.usage.inputTokens).toBe(results1.request.usage!.input);
      expect(lost.usage.outputTokens).toBeGreaterThan(0);
      expect(lost.usage.outputTokens).toBeLessThan(results1.request.usage!.output);
      expect(lost.costUsd).toBeGreaterThan(0);
      expect(outcome.cost.calls).toBe(billed.calls + 1);
      expect(outcome.cost.inputTokens).toBe(billed.inputTokens + lost.usage.inputTokens);
      expect(outcome.cost.outputTokens).toBe(billed.outputTokens + lost.usage.outputTokens);
      expect(outcome.cost.costUsd).toBeCloseTo(billed.costUsd + lost.costUsd, 12);

      // ---- artifacts once: one edit of experiment.py (the retried reply's), three notes versions,
      // one plot edit; the killed replies left nothing behind
      const v = audit.fileVersions;
      expect(v['experiment.py']).toHaveLength(2);
      expect(v['plot.py']).toHaveLength(2);
      expect(v['notes.txt']).toHaveLength(3);
      const experimentTexts = await Promise.all(v['experiment.py']!.map((k) => suite.store.getText(k)));
      expect(experimentTexts.filter((t) => t.includes(`crash-test edit ${edit2.tag}\n`))).toHaveLength(1);
      expect(experimentTexts.join('\n')).not.toContain(`crash-test edit ${edit1.tag}\n`);
      const finalDraft = await suite.store.getText(outcome.draftKey!);
      const pdfText = await suite.store.getText(outcome.textKey!);
      expect(finalDraft).not.toContain(`(${results1.tag})`);
      for (const d of Object.values(audit.drafts)) expect(d).not.toContain(`(${results1.tag})`);
      expect(audit.drafts['writeup/results-draft.json']).toContain(`(${results2.tag})`);
      expect(pdfText.replace(/\s+/g, ' ')).toContain('Warmup Length and the Onset of Grokking');

      // One run log per run (the GPU run was not repeated), one PDF per compile round, one
      // review form per reviewer, one meta-review, and the figures of the one plot run.
      const keys = audit.paperKeys;
      expect(keys.filter((k) => /^experiments\/run_1\/attempt-\d+\.log$/.test(k))).toEqual([
        'experiments/run_1/attempt-1.log',
      ]);
      expect(keys.filter((k) => k.endsWith('paper.pdf'))).toHaveLength(done.compilePaper!);
      expect(keys.filter((k) => /^review\/initial\/reviewer-\d\/form\.json$/.test(k))).toHaveLength(2);
      expect(keys.filter((k) => k.endsWith('meta-review.json'))).toHaveLength(1);
      const pngs = keys.filter((k) => /^plots\/[^/]+\.png$/.test(k));
      expect(pngs.length).toBeGreaterThan(0);
      expect(keys.filter((k) => /^plots\/attempt-\d+\/plot\.log$/.test(k))).toEqual([
        'plots/attempt-1/plot.log',
      ]);

      console.log(
        `crash/main-worker: ${wallS.toFixed(0)} s wall; SIGKILL → retried model request: ` +
          `${(resume1 / 1000).toFixed(1)} s (waiting for a reply), ${(resume2 / 1000).toFixed(1)} s (mid-stream); ` +
          `${billed.calls} model calls billed once each, $${outcome.cost.costUsd.toFixed(6)} ` +
          `(of which $${lost.costUsd.toFixed(6)} estimated for the reply cut off after ${lost.outputChars[0]} characters)`,
      );
    },
    30 * 60_000,
  );
});
