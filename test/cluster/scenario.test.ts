/**
 * The cluster scenario (issue 14), on real processes: the private cluster (two Temporal servers on
 * PostgreSQL behind the balancer, MinIO), a main-worker host and two GPU-worker hosts in CPU mode
 * with two slots each, run a campaign of four papers on the `steady` fixture (a run of fixed
 * length that checkpoints every 3 s) with the scripted model and real sandbox runs. While it runs:
 * one GPU host is SIGKILLed whole while its runs train, the other is frozen for 60 s while it
 * trains the runs it took over and is thawed, one Temporal server is SIGKILLed and restarted while
 * a paper writes, and MinIO is stopped for 20 s. The campaign completes; each paper ran once; every
 * artifact it names is in MinIO and none was made twice; costs are counted once; the interrupted
 * runs resumed from their checkpoints; no sandbox container is left on any host. The time from
 * each fault to progress again is printed.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type Docker from 'dockerode';
import { storeTemplate } from '../../activities/experiments/template-source';
import type { ExperimentHeartbeat, RunExperimentResult } from '../../activities/experiments';
import { clusterEnv, down, ringMembers, start, stop, type Cluster } from '../../infra/cluster/cluster';
import {
  createHost,
  freezeHost,
  killHost,
  removeHost,
  startHostWorker,
  thawHost,
  type Host,
} from '../../infra/cluster/hosts';
import { dockerClient } from '../../infra/dev/services';
import { DEFAULT_CAMPAIGN_SETTINGS, QUICK_PAPER_SETTINGS, type PaperSettings } from '../../contracts';
import { createLogger } from '../../lib/log';
import { connectClient } from '../../lib/temporal';
import { LABEL } from '../../sandbox';
import type { CampaignInput, CampaignOutcome } from '../../workflows';
import { uniqueId } from '../harness';
import { activitiesOf, completedByType, sleep, waitUntil } from '../crash/history';
import { auditPaper, transcriptSpend, type PaperAudit } from '../crash/paper-audit';
import { PipelineLlm } from '../crash/pipeline-llm';
import { crashSuite, type CrashSuite } from '../crash/suite';
import { polling, upPrivateCluster } from './private-cluster';
import { SCENARIO_IDEAS, scenarioAnswer } from './scenario-script';

const FIXTURE = path.join(__dirname, 'fixtures', 'steady');
const FREEZE_S = 60;
const MINIO_DOWN_S = 20;
/** Each GPU host: CPU mode with two slots, a checkpoint every 3 steps (3 s of the fixture). */
const GPU_HOST_ENV = { SCIENTIST_CPU_SLOTS: '2', SCIENTIST_CHECKPOINT_EVERY: '3' };
const PAPER: PaperSettings = { ...QUICK_PAPER_SETTINGS, fast: true, compileRounds: 1, reviewers: 1 };

const log = createLogger('scenario-test', 'warn');

/** A run (a runExperiment activity) as its paper's pending activities show it at one moment. */
interface RunSample {
  at: number;
  /** `<paperId>/<activityId>`: one run (run_1, or a further seed of a run). */
  run: string;
  paperId: string;
  attempt: number;
  /** The pid of the worker that holds the attempt (identities are `gpu@<host>:<pid>`). */
  pid?: number;
  /** Started (not waiting for a worker to take it). */
  running: boolean;
  checkpointStep: number;
  lastStarted?: number;
  lastHeartbeat?: number;
}

/** Samples the papers' pending runExperiment activities once a second. */
class RunWatch {
  readonly samples: RunSample[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly paperIds: string[],
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      for (const paperId of this.paperIds) {
        const desc = await this.client.workflow
          .getHandle(paperId)
          .describe()
          .catch(() => undefined);
        for (const a of desc?.raw.pendingActivities ?? []) {
          if (a.activityType?.name !== 'runExperiment') continue;
          const payload = a.heartbeatDetails?.payloads?.[0];
          const beat = payload
            ? defaultPayloadConverter.fromPayload<ExperimentHeartbeat>(payload)
            : undefined;
          const pid = /:(\d+)$/.exec(a.lastWorkerIdentity ?? '')?.[1];
          this.samples.push({
            at: Date.now(),
            run: `${paperId}/${a.activityId}`,
            paperId,
            attempt: a.attempt ?? 1,
            running: a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
            ...(pid && a.lastStartedTime ? { pid: Number(pid) } : {}),
            checkpointStep: beat?.checkpointStep ?? 0,
            ...(a.lastStartedTime ? { lastStarted: tsToMs(a.lastStartedTime) } : {}),
            ...(a.lastHeartbeatTime ? { lastHeartbeat: tsToMs(a.lastHeartbeatTime) } : {}),
          });
        }
      }
      await sleep(1000);
    }
  }

  /** The latest sample of each run taken at or after `since`. */
  latest(since = 0): Map<string, RunSample> {
    const out = new Map<string, RunSample>();
    for (const s of this.samples) if (s.at >= since) out.set(s.run, s);
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Every completed run of a paper (its runExperiment activities), with its result and final attempt. */
async function runResults(
  h: WorkflowHandle,
): Promise<{ run: string; attempt: number; result: RunExperimentResult }[]> {
  const events = (await h.fetchHistory()).events ?? [];
  const scheduled = new Map<number, string>();
  const attempts = new Map<number, number>();
  const out: { run: string; attempt: number; result: RunExperimentResult }[] = [];
  for (const e of events) {
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched?.activityType?.name === 'runExperiment')
      scheduled.set(Number(e.eventId), sched.activityId ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started) attempts.set(Number(started.scheduledEventId), started.attempt ?? 1);
    const done = e.activityTaskCompletedEventAttributes;
    const activityId = done && scheduled.get(Number(done.scheduledEventId));
    if (activityId !== undefined && done?.result?.payloads?.[0])
      out.push({
        run: `${h.workflowId}/${activityId}`,
        attempt: attempts.get(Number(done.scheduledEventId)) ?? 1,
        result: defaultPayloadConverter.fromPayload<RunExperimentResult>(done.result.payloads[0]),
      });
  }
  return out;
}

/** Server times of every activity completion of the workflows, in order. */
async function completions(handles: WorkflowHandle[]): Promise<{ at: number; workflowId: string }[]> {
  const out: { at: number; workflowId: string }[] = [];
  for (const h of handles)
    for (const e of (await h.fetchHistory()).events ?? [])
      if (e.activityTaskCompletedEventAttributes)
        out.push({ at: tsToMs(e.eventTime), workflowId: h.workflowId });
  return out.sort((a, b) => a.at - b.at);
}

describe('scenario: a four-paper campaign on the cluster through a lost host, a hung host, a server kill and an S3 outage', () => {
  let c: Cluster;
  let dir: string;
  let suite: CrashSuite;
  let llm: PipelineLlm;
  let docker: Docker;
  const hosts: Host[] = [];
  const times: Record<string, number> = {};

  beforeAll(async () => {
    const made = await upPrivateCluster(crashSuite('scenario').config, log);
    ({ c, dir } = made);
    times.firstUp = made.firstUpS;
    times.secondUp = made.secondUpS;
    llm = await PipelineLlm.start(scenarioAnswer);
    suite = crashSuite('scenario', { ...clusterEnv(c), ...llm.env, SCIENTIST_SANDBOX_WORK_MB: '256' });
    docker = dockerClient(suite.config);
  }, 600_000);

  afterAll(async () => {
    await llm?.close();
    for (const h of hosts) await removeHost(h, docker).catch(() => undefined);
    if (c) await down(c);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'completes the campaign: each paper once, every artifact once, costs once, runs resumed, no container left',
    async () => {
      const group = path.basename(dir);
      const main = createHost(group, 'main', path.join(dir, 'hosts', 'main'));
      const gpuA = createHost(group, 'gpu-a', path.join(dir, 'hosts', 'gpu-a'));
      const gpuB = createHost(group, 'gpu-b', path.join(dir, 'hosts', 'gpu-b'));
      hosts.push(main, gpuA, gpuB);
      const t0 = Date.now();
      const workerPids = [
        startHostWorker(main, 'main', suite.env).pid!,
        startHostWorker(gpuA, 'gpu', { ...suite.env, ...GPU_HOST_ENV }).pid!,
        startHostWorker(gpuB, 'gpu', { ...suite.env, ...GPU_HOST_ENV }).pid!,
      ];
      const [, pidA, pidB] = workerPids;
      await waitUntil(
        'the three hosts polling',
        () =>
          polling(main, 'main-worker')() && polling(gpuA, 'gpu-worker')() && polling(gpuB, 'gpu-worker')(),
        180_000,
        200,
      );
      times.workersUp = (Date.now() - t0) / 1000;

      const client = await connectClient(suite.config);
      const stored = await storeTemplate(suite.store, FIXTURE);
      const campaignId = uniqueId('campaign-steady-scenario');
      const input: CampaignInput = {
        template: stored.info.name,
        templateKey: stored.templateKey,
        gpuTaskQueue: suite.config.temporal.gpuTaskQueue,
        settings: {
          ...DEFAULT_CAMPAIGN_SETTINGS,
          ideas: 4,
          ideaReflections: 1,
          noveltyRounds: 1,
          papers: 4,
          parallelism: 4,
          paper: PAPER,
        },
      };
      const tStart = Date.now();
      const campaign = await client.workflow.start('campaignWorkflow', {
        workflowId: campaignId,
        taskQueue: suite.config.temporal.taskQueue,
        args: [input],
        workflowExecutionTimeout: '40 minutes',
      });
      const paperIds = SCENARIO_IDEAS.map((i) => `paper-${campaignId}-${i.Name}`);
      const watch = new RunWatch(client, paperIds);
      const logs = () =>
        hosts.map((h) => `${h.name}: see ${path.join(h.dataDir, 'logs')}`).join('\n') +
        `\ncampaign ${campaignId} on ${clusterEnv(c).SCIENTIST_TEMPORAL_UI_URL}`;
      /** The runs a worker is training now (as sampled in the last 1.5 s). */
      const on = (pid: number | undefined) =>
        [...watch.latest(Date.now() - 1500).values()].filter((s) => s.pid === pid && s.running);

      try {
        // ---- fault 1: gpu-a dies whole while its runs train (each has a checkpoint)
        await waitUntil(
          'run_1 training with a checkpoint on gpu-a while gpu-b trains too',
          () => {
            return on(pidA).some((s) => s.checkpointStep >= 3) && on(pidB).length > 0;
          },
          12 * 60_000,
          500,
        );
        const killedRuns = on(pidA);
        const killAt = Date.now();
        await killHost(gpuA, docker);
        const killed = new Map(killedRuns.map((s) => [s.run, s]));
        // Progress again: the killed runs start over on gpu-b (once it has a free slot) and go past
        // the checkpoint they had.
        const resumed = await waitUntil(
          'the killed runs training again on gpu-b past their checkpoints',
          () => {
            const now = [...watch.latest(killAt).values()].filter(
              (s) =>
                killed.has(s.run) && s.pid === pidB && s.running && s.attempt > killed.get(s.run)!.attempt,
            );
            return now.length === killed.size &&
              now.every((s) => s.checkpointStep > killed.get(s.run)!.checkpointStep)
              ? now
              : undefined;
          },
          6 * 60_000,
          500,
        );
        times.killToRestart = (Math.min(...resumed.map((s) => s.lastStarted!)) - killAt) / 1000;
        times.killToAllPast = (Date.now() - killAt) / 1000;

        // ---- fault 2: gpu-b hangs for 60 s while it trains the runs it took over, then thaws
        const frozenRuns = on(pidB);
        const freezeAt = Date.now();
        await freezeHost(gpuB, docker);
        await sleep(FREEZE_S * 1000);
        await thawHost(gpuB, docker);
        const thawAt = Date.now();
        const frozen = new Map(frozenRuns.map((s) => [s.run, s]));
        await waitUntil(
          'a run that was frozen training again',
          () =>
            [...watch.latest(thawAt).values()].some(
              (s) =>
                frozen.has(s.run) &&
                (s.lastHeartbeat ?? 0) > thawAt &&
                s.attempt > frozen.get(s.run)!.attempt,
            ),
          6 * 60_000,
          500,
        );
        times.thawToProgress = (Date.now() - thawAt) / 1000;

        // ---- the GPU phase ends; the next write-up draft anyone asks for is held back
        await waitUntil(
          'every paper past its experiments (its plot edit scheduled)',
          async () => {
            for (const id of paperIds) {
              const acts = await activitiesOf(client.workflow.getHandle(id)).catch(() => []);
              if (!acts.some((a) => a.type === 'editPlot')) return false;
            }
            return true;
          },
          10 * 60_000,
          1000,
        );
        await watch.stop();
        const hold = llm.hold(/^writeup\/\w+\/draft$/, 'before');

        // ---- fault 3: a Temporal server is SIGKILLed while a paper waits for its model, and restarted
        const held = await hold.arrived;
        const serverKillAt = Date.now();
        expect(await stop(c, 'temporal-0', 'SIGKILL')).toBe(true);
        hold.release();
        await start(c, 'temporal-0', log);
        await waitUntil(
          'temporal-0 back in the ring of every role',
          () => Object.values(ringMembers(c)).every((m) => m.length === 2),
          120_000,
          500,
        );
        times.serverRejoin = (Date.now() - serverKillAt) / 1000;

        // ---- fault 4: MinIO stops for 20 s
        const minioDownAt = Date.now();
        expect(await stop(c, 'minio')).toBe(true);
        await sleep(MINIO_DOWN_S * 1000);
        await start(c, 'minio', log);
        const minioUpAt = Date.now();

        const outcome = (await campaign.result()) as CampaignOutcome;
        times.wall = (Date.now() - tStart) / 1000;

        // ---- the campaign completed, with four papers, each with its PDF and review
        expect(outcome.state).toBe('completed');
        expect(outcome.papers.map((p) => [p.paperId, p.state]).sort()).toEqual(
          paperIds.map((id) => [id, 'completed']).sort(),
        );
        for (const p of outcome.papers) {
          expect(p.pdfKey).toBeDefined();
          expect(p.review).toMatchObject({ overall: 6, decision: 'Accept' });
          expect(p.runs.map((r) => [r.runName, r.outcome])).toEqual([
            ['run_0', 'ok'],
            ['run_1', 'ok'],
          ]);
        }

        // ---- each paper ran once: one execution of each workflow id, each step completed once
        const handles = [campaign, ...paperIds.map((id) => client.workflow.getHandle(id))];
        for (const h of handles) {
          let executions = 0;
          for await (const w of client.workflow.list({ query: `WorkflowId = "${h.workflowId}"` })) {
            expect(w.status.name).toBe('COMPLETED');
            executions++;
          }
          expect(executions).toBe(1);
        }
        const steps: Record<string, Record<string, number>> = {};
        const retried: string[] = [];
        for (const id of paperIds) {
          const acts = await activitiesOf(client.workflow.getHandle(id));
          for (const a of acts) if ((a.attempt ?? 1) > 1) retried.push(`${a.type} (attempt ${a.attempt})`);
          expect(acts.filter((a) => a.state !== 'completed')).toEqual([]);
          steps[id] = completedByType(acts);
          expect(steps[id]).toMatchObject({ planEdit: 1, reviewPaper: 1, metaReview: 1 });
        }

        // ---- the interrupted runs resumed from their checkpoints and trained to the end once
        const interrupted = new Set([...killed.keys(), ...frozen.keys()]);
        expect(interrupted.size).toBeGreaterThanOrEqual(2);
        const runs = (
          await Promise.all(paperIds.map((id) => runResults(client.workflow.getHandle(id))))
        ).flat();
        expect(runs.filter((r) => interrupted.has(r.run)).length).toBe(interrupted.size);
        for (const r of runs) {
          const runLog = await suite.store.getText(r.result.logKey);
          if (interrupted.has(r.run)) {
            expect([r.run, r.result.resumedFromStep]).toEqual([r.run, expect.any(Number)]);
            expect(r.result.resumedFromStep).toBeGreaterThanOrEqual(3);
            expect(runLog).toMatch(/SCIENTIST_RESUMED \{"step": \d+\}/);
          } else if (r.attempt === 1) expect([r.run, r.result.resumedFromStep]).toEqual([r.run, null]);
          // It trained to its last step.
          expect(runLog).toMatch(/"step": (\d+), "total": \1,/);
        }

        // ---- every artifact the papers name is in MinIO, and nothing was made twice
        const audits: Record<string, PaperAudit> = {};
        for (const p of outcome.papers) {
          const named = [
            p.pdfKey,
            p.textKey,
            p.draftKey,
            p.review?.metaKey,
            ...p.runs.flatMap((r) => [r.finalInfoKey, r.logKey]),
          ].filter((k): k is string => k !== undefined);
          for (const key of named) expect([key, await suite.store.exists(key)]).toEqual([key, true]);
          const audit = (audits[p.paperId] = await auditPaper(suite.store, p.paperId));
          const keys = audit.paperKeys;
          expect(keys.filter((k) => k.endsWith('paper.pdf'))).toHaveLength(steps[p.paperId]!.compilePaper!);
          expect(keys.filter((k) => /^review\/initial\/reviewer-\d\/form\.json$/.test(k))).toHaveLength(1);
          expect(keys.filter((k) => k.endsWith('meta-review.json'))).toHaveLength(1);
          expect(keys.filter((k) => /^plots\/attempt-\d+\/plot\.log$/.test(k))).toHaveLength(1);
        }
        // One version of experiment.py per paper's edit, besides the template's; one transcript per reply.
        const versions = Object.values(audits)[0]!.fileVersions;
        expect(versions['experiment.py']).toHaveLength(1 + paperIds.length);
        expect(versions['plot.py']).toHaveLength(1 + paperIds.length);
        const tags = Object.values(audits).flatMap((a) => a.transcripts.map((t) => t.tag));
        expect(new Set(tags).size).toBe(tags.length);

        // ---- costs counted once: each paper's cost is its transcripts plus the estimates its retries
        // recorded for replies they lost; the campaign's is its own stages plus its papers'; and that
        // is what the provider billed
        for (const p of outcome.papers) {
          const a = audits[p.paperId]!;
          const spent = transcriptSpend(a);
          const lost = a.transcripts.flatMap((t) => (t.interrupted ? [t.interrupted] : []));
          expect(p.cost.calls).toBe(spent.calls + lost.reduce((n, l) => n + l.attempts, 0));
          expect(p.cost.inputTokens).toBe(
            spent.inputTokens + lost.reduce((n, l) => n + l.usage.inputTokens, 0),
          );
          expect(p.cost.outputTokens).toBe(
            spent.outputTokens + lost.reduce((n, l) => n + l.usage.outputTokens, 0),
          );
          expect(p.cost.costUsd).toBeCloseTo(spent.costUsd + lost.reduce((n, l) => n + l.costUsd, 0), 12);
        }
        const own = Object.values(outcome.costByStage);
        const sum = (f: (s: { calls: number; inputTokens: number }) => number) =>
          own.reduce((n, s) => n + f(s), 0) + outcome.papers.reduce((n, p) => n + f(p.cost), 0);
        const billed = llm.billed();
        expect(sum((s) => s.calls)).toBe(billed.calls);
        expect(sum((s) => s.inputTokens)).toBe(billed.inputTokens);
        // Every reply billed is in exactly one transcript, or was lost and estimated by its retry.
        const transcribed = new Set(tags);
        const notTranscribed = llm.calls.filter(
          (x) => x.request.outcome === 'completed' && !transcribed.has(x.tag),
        );
        const paperOwn = (x: { step: string }) => !/^(ideas|novelty)\//.test(x.step);
        expect(notTranscribed.filter(paperOwn).length).toBe(
          Object.values(audits).reduce(
            (n, a) => n + a.transcripts.reduce((m, t) => m + (t.interrupted?.attempts ?? 0), 0),
            0,
          ),
        );

        // ---- no sandbox container is left on any host
        const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.sandbox}=1`] } });
        expect(left.filter((x) => workerPids.includes(Number(x.Labels[LABEL.ownerPid])))).toEqual([]);

        // ---- the time from each fault to progress again, from the histories (server clock)
        const done = await completions(handles);
        const firstAfter = (t: number, ids?: string[]) =>
          (done.find((d) => d.at > t && (!ids || ids.includes(d.workflowId)))?.at ?? NaN) - t;
        const heldIdea = SCENARIO_IDEAS.find((i) => JSON.stringify(held.request.body).includes(i.Title));
        const heldPaper = heldIdea && `paper-${campaignId}-${heldIdea.Name}`;
        console.log(
          [
            `cluster/scenario: cluster up ${times.firstUp!.toFixed(1)} s (first), ${times.secondUp!.toFixed(1)} s (second); ` +
              `workers polling ${times.workersUp.toFixed(1)} s; campaign of 4 papers ${times.wall.toFixed(0)} s wall`,
            `  gpu-a SIGKILLed with ${killed.size} run(s) training → the first restarted on gpu-b ${times.killToRestart.toFixed(1)} s, ` +
              `all past their checkpoints ${times.killToAllPast.toFixed(1)} s`,
            `  gpu-b frozen ${FREEZE_S} s with ${frozen.size} run(s) → after the thaw a run trains again in ${times.thawToProgress.toFixed(1)} s ` +
              `(${((thawAt - freezeAt) / 1000 + times.thawToProgress).toFixed(1)} s after the freeze)`,
            `  temporal-0 SIGKILLed → the next activity completed ${(firstAfter(serverKillAt) / 1000).toFixed(1)} s, ` +
              `the held paper's (${held.step}) ${(firstAfter(serverKillAt, heldPaper ? [heldPaper] : undefined) / 1000).toFixed(1)} s; ` +
              `back in the ring ${times.serverRejoin.toFixed(1)} s after the kill`,
            `  MinIO stopped ${((minioUpAt - minioDownAt) / 1000).toFixed(1)} s → the next activity completed ` +
              `${(firstAfter(minioDownAt) / 1000).toFixed(1)} s after the stop, ${(firstAfter(minioUpAt) / 1000).toFixed(1)} s after the restart`,
            `  ${billed.calls} model calls billed, counted once; ${notTranscribed.filter(paperOwn).length} paper reply(ies) lost to a fault and estimated; ` +
              `activities that needed more than one attempt: ${retried.sort().join(', ') || 'none'}`,
          ].join('\n'),
        );
      } catch (err) {
        throw new Error(`${String(err)}\n${logs()}`);
      } finally {
        await watch.stop();
        await client.connection.close();
      }
    },
    45 * 60_000,
  );
});
