/**
 * The Temporal dev server is killed mid-campaign and started again on the same SQLite file. It
 * is a private server (own ports, own DB file; the shared one on 7233 is never touched), with
 * real worker processes polling it. The kill lands while a write-up activity waits for its model;
 * the reply comes in while the server is down, so the activity's completion cannot be reported
 * at once. The campaign and its paper complete; every model step was answered once (a retried
 * activity reuses its stored transcript instead of asking again), and costs add up once.
 */
import type { Client } from '@temporalio/client';
import { connectClient } from '../../lib/temporal';
import type { CampaignInput, CampaignOutcome } from '../../workflows';
import { DEFAULT_CAMPAIGN_SETTINGS } from '../../contracts';
import { uniqueId } from '../harness';
import { activitiesOf, sleep, waitUntil } from './history';
import { QUICK_PAPER } from './paper';
import { auditPaper, transcriptSpend } from './paper-audit';
import { PipelineLlm } from './pipeline-llm';
import { PrivateTemporal } from './private-services';
import { crashSuite, type CrashSuite } from './suite';
import { killAllWorkers, startPollingWorkers } from './worker-processes';

const DOWN_S = 15;
const STEP = /^writeup\/method\/draft$/;

describe('Temporal dev server stopped mid-campaign', () => {
  let temporal: PrivateTemporal;
  let llm: PipelineLlm;
  let suite: CrashSuite;

  beforeAll(async () => {
    temporal = await PrivateTemporal.start();
    llm = await PipelineLlm.start();
    suite = crashSuite('crash-temporal', { ...llm.env, SCIENTIST_TEMPORAL_ADDRESS: temporal.address });
  }, 180_000);
  afterAll(async () => {
    await killAllWorkers();
    await llm?.close();
    await temporal?.destroy();
  });

  it(
    'completes the campaign after a server kill and restart on the same DB file',
    async () => {
      const t0 = Date.now();
      const { gpu, main } = await startPollingWorkers(suite.env);
      const hold = llm.hold(STEP, 'before');
      const input: CampaignInput = {
        template: 'grokking',
        gpuTaskQueue: suite.config.temporal.gpuTaskQueue,
        settings: {
          ...DEFAULT_CAMPAIGN_SETTINGS,
          ideas: 1,
          ideaReflections: 1,
          noveltyRounds: 2,
          papers: 1,
          parallelism: 1,
          paper: QUICK_PAPER,
        },
      };
      const workflowId = uniqueId('campaign-grokking-crash');
      let client: Client = await connectClient(suite.config);
      await client.workflow.start('campaignWorkflow', {
        workflowId,
        taskQueue: suite.config.temporal.taskQueue,
        args: [input],
        workflowExecutionTimeout: '40 minutes',
      });

      const held = await hold.arrived;
      const downAt = Date.now();
      await temporal.down('SIGKILL');
      await client.connection.close();
      hold.release(); // the activity finishes while nobody can hear its completion
      await sleep(DOWN_S * 1000);
      await temporal.up();
      const upAt = Date.now();
      client = await connectClient(suite.config);
      let outcome: CampaignOutcome;
      let nextStepAt: number;
      try {
        // Resumed progress: the model is asked for the next step of the write-up.
        const next = await waitUntil(
          'the next write-up step after the restart',
          () => llm.calls.find((c) => c.n > held.n),
          6 * 60_000,
          250,
        );
        nextStepAt = next.request.at;
        outcome = (await client.workflow.getHandle(workflowId).result()) as CampaignOutcome;
      } catch (err) {
        throw new Error(`${String(err)}\n${main.output().slice(-6000)}\n${gpu.output().slice(-3000)}`);
      }
      const wallS = (Date.now() - t0) / 1000;

      expect(outcome.state).toBe('completed');
      expect(outcome.papers).toHaveLength(1);
      const paper = outcome.papers[0]!;
      expect(paper.state).toBe('completed');
      expect(paper.pdfKey).toBeDefined();
      expect(paper.review).toMatchObject({ overall: 6, decision: 'Accept' });

      // The paper's history (in the restarted server's DB): every activity completed once.
      const paperHandle = client.workflow.getHandle(paper.paperId);
      const acts = await activitiesOf(paperHandle);
      expect(acts.filter((a) => a.state !== 'completed')).toEqual([]);
      const retried = acts.filter((a) => (a.attempt ?? 1) > 1).map((a) => a.type);
      // The held step's completion may have been lost with the server: then it ran again, from
      // its stored transcript. Nothing else needed a second attempt.
      expect(retried.filter((t) => t !== 'writeSection')).toEqual([]);
      expect(retried.length).toBeLessThanOrEqual(1);

      // Every model step was answered exactly once: one transcript per billed reply of the paper
      // (the retried activity, if any, reused its transcript instead of asking again).
      expect(llm.calls.filter((c) => c.request.outcome !== 'completed')).toEqual([]);
      const audit = await auditPaper(suite.store, paper.paperId);
      const paperTags = llm.calls.filter((c) => !/^(ideas|novelty)\//.test(c.step)).map((c) => c.tag);
      expect(audit.transcripts.map((t) => t.tag).sort()).toEqual([...paperTags].sort());
      expect(llm.of(STEP)).toHaveLength(1);

      // Costs counted once: the paper's cost is its transcripts' sum, and the campaign's total
      // (its own ideation and novelty calls plus the paper) is exactly what was billed.
      const billed = llm.billed();
      const spent = transcriptSpend(audit);
      expect(paper.cost.calls).toBe(spent.calls);
      expect(paper.cost.inputTokens).toBe(spent.inputTokens);
      expect(paper.cost.costUsd).toBeCloseTo(spent.costUsd, 12);
      const own = Object.values(outcome.costByStage);
      const tokens = (f: (s: { inputTokens: number; outputTokens: number }) => number) =>
        own.reduce((n, s) => n + f(s), 0) + outcome.papers.reduce((n, p) => n + f(p.cost), 0);
      expect(tokens((s) => s.inputTokens)).toBe(billed.inputTokens);
      expect(tokens((s) => s.outputTokens)).toBe(billed.outputTokens);
      expect(outcome.cost.costUsd).toBeCloseTo(billed.costUsd, 12);
      await client.connection.close();

      console.log(
        `crash/temporal-restart: ${wallS.toFixed(0)} s wall; server down ${((upAt - downAt) / 1000).toFixed(1)} s; ` +
          `kill → next model step ${((nextStepAt - downAt) / 1000).toFixed(1)} s ` +
          `(${((nextStepAt - upAt) / 1000).toFixed(1)} s after the restart); ` +
          `held activity retried: ${retried.length > 0 ? 'yes (completion lost with the server)' : 'no (completion delivered after the restart)'}`,
      );
    },
    30 * 60_000,
  );
});
