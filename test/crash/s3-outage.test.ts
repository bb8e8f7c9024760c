/**
 * The S3 server (a private SeaweedFS: own ports, own data folder) is killed mid-paper, at the
 * worst moment: a model's reply is on its way and its transcript cannot be stored. It stays down
 * for OUTAGE_S, then starts again on the same data. Activities fail with a retryable
 * ServiceUnavailable error, Temporal retries them, and the paper completes with every artifact
 * once. The reply that arrived during the outage was lost with its activity attempt: the provider
 * billed it, and the paper counts it too, as an estimate (the attempt had reported the reply's
 * length in its last heartbeat before it failed).
 *
 * The outage must stay well inside the main-queue retry policy (MAIN_ACTIVITY_OPTIONS in
 * contracts/activity-options.ts: 2 s initial interval, doubling): with 20 s the step gets through on its
 * fourth or fifth attempt.
 */
import type { Client } from '@temporalio/client';
import { connectClient } from '../../lib/temporal';
import { activitiesOf, sleep, waitUntil } from './history';
import { paperInput, paperResult, startPaper } from './paper';
import { auditPaper, transcriptSpend } from './paper-audit';
import { PipelineLlm } from './pipeline-llm';
import { PrivateS3 } from './private-services';
import { crashSuite, type CrashSuite } from './suite';
import { killAllWorkers, startPollingWorkers } from './worker-processes';

const OUTAGE_S = 20;
const STEP = /^writeup\/introduction\/draft$/;

describe('S3 server stopped mid-paper', () => {
  let s3: PrivateS3;
  let llm: PipelineLlm;
  let suite: CrashSuite;
  let client: Client;

  beforeAll(async () => {
    s3 = await PrivateS3.start();
    llm = await PipelineLlm.start();
    suite = crashSuite('crash-s3', { ...llm.env, ...s3.env });
    client = await connectClient(suite.config);
  }, 120_000);
  afterAll(async () => {
    await killAllWorkers();
    await llm?.close();
    await s3?.destroy();
    await client?.connection.close();
  });

  it(
    'retries through the outage and completes the paper with every artifact once',
    async () => {
      const t0 = Date.now();
      const input = await paperInput(suite.config);
      const { gpu, main } = await startPollingWorkers(suite.env);
      const hold = llm.hold(STEP, 'before');
      const handle = await startPaper(client, suite.config, input);

      const first = await hold.arrived;
      const downAt = Date.now();
      await s3.down('SIGKILL');
      hold.release(); // the reply arrives; its transcript cannot be written
      await sleep(OUTAGE_S * 1000);
      await s3.up();
      const upAt = Date.now();
      const retried = await waitUntil(
        'the step asked again after the outage',
        () => llm.of(STEP).find((c) => c.n > first.n),
        4 * 60_000,
        250,
      );
      const outcome = await paperResult(handle, [gpu, main]);
      const wallS = (Date.now() - t0) / 1000;

      expect(outcome.state).toBe('completed');
      expect(outcome.pdfKey).toBeDefined();
      expect(outcome.review).toMatchObject({ overall: 6, decision: 'Accept' });

      // Only the activity that met the outage was retried, and it completed.
      const acts = await activitiesOf(handle);
      expect(acts.filter((a) => a.state !== 'completed')).toEqual([]);
      const retriedActs = acts.filter((a) => (a.attempt ?? 1) > 1);
      expect(retriedActs.map((a) => a.type)).toEqual(['writeSection']);
      expect(retriedActs[0]!.attempt).toBeGreaterThanOrEqual(3);

      // The reply that met the outage was delivered (and billed), then asked for again; every
      // other step was answered once.
      expect(first.request.outcome).toBe('completed');
      expect(retried.request.outcome).toBe('completed');
      expect(llm.calls.filter((c) => c.request.outcome !== 'completed')).toEqual([]);
      expect(llm.of(STEP)).toHaveLength(2);
      const audit = await auditPaper(suite.store, outcome.paperId);
      // One transcript per billed reply except the lost one, and no transcript of an unbilled reply.
      const kept = llm.calls.filter((c) => c !== first).map((c) => c.tag);
      expect(audit.transcripts.map((t) => t.tag).sort()).toEqual([...kept].sort());

      // Costs: the transcripts count each reply the paper used once; the lost reply is counted
      // by the retry that recorded the step, from its length, as an estimate.
      const spent = transcriptSpend(audit);
      const billed = llm.billed();
      const lost = first.request.usage!;
      expect(spent.calls).toBe(billed.calls - 1);
      expect(spent.inputTokens).toBe(billed.inputTokens - lost.input);
      const estimated = audit.transcripts.filter((t) => t.interrupted).map((t) => [t.tag, t.interrupted]);
      expect(estimated).toEqual([
        [retried.tag, expect.objectContaining({ attempts: 1, outputChars: [first.replyChars] })],
      ]);
      const est = audit.transcripts.find((t) => t.interrupted)!.interrupted!;
      expect(est.usage.inputTokens).toBe(lost.input);
      // The fake bills ceil(chars / 4); the estimate uses the retried reply's own ratio.
      expect(Math.abs(est.usage.outputTokens - lost.output)).toBeLessThanOrEqual(2);
      expect(outcome.cost.calls).toBe(billed.calls);
      expect(outcome.cost.inputTokens).toBe(billed.inputTokens);
      expect(outcome.cost.outputTokens).toBe(billed.outputTokens - lost.output + est.usage.outputTokens);
      expect(outcome.cost.costUsd).toBeCloseTo(billed.costUsd - llm.costOf(lost) + est.costUsd, 12);
      expect(outcome.cost.costUsd).toBeCloseTo(spent.costUsd + est.costUsd, 12);

      // Artifacts once; the lost reply left nothing behind, the retried one is in the draft.
      const v = audit.fileVersions;
      expect(v['experiment.py']).toHaveLength(2);
      expect(v['plot.py']).toHaveLength(2);
      expect(v['notes.txt']).toHaveLength(3);
      for (const d of Object.values(audit.drafts)) expect(d).not.toContain(`(${first.tag})`);
      expect(audit.drafts['writeup/introduction-draft.json']).toContain(`(${retried.tag})`);
      const keys = audit.paperKeys;
      expect(keys.filter((k) => /^experiments\/run_1\/attempt-\d+\.log$/.test(k))).toHaveLength(1);
      expect(keys.filter((k) => /^review\/initial\/reviewer-\d\/form\.json$/.test(k))).toHaveLength(2);
      expect(keys.filter((k) => k.endsWith('meta-review.json'))).toHaveLength(1);
      expect((await suite.store.get(outcome.pdfKey!)).subarray(0, 5).toString()).toBe('%PDF-');

      console.log(
        `crash/s3-outage: ${wallS.toFixed(0)} s wall; S3 down ${((upAt - downAt) / 1000).toFixed(1)} s; ` +
          `stop → step asked again ${((retried.request.at - downAt) / 1000).toFixed(1)} s ` +
          `(${((retried.request.at - upAt) / 1000).toFixed(1)} s after S3 was back, attempt ${retriedActs[0]!.attempt})`,
      );
    },
    30 * 60_000,
  );
});
