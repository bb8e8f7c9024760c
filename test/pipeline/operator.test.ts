/**
 * The operator's messages on the real dev server, with stub activities that a test can hold at
 * a chosen step: pause/resume, steer, skipStage, setBudget, cancel (ours and Temporal's),
 * approveIdeas, and what the Web UI reads (search attributes, activity summaries, details).
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  approveIdeasUpdate,
  type CampaignStatus,
  cancelUpdate,
  DEFAULT_CAMPAIGN_SETTINGS,
  DEFAULT_PAPER_SETTINGS,
  type PaperStatus,
  pauseSignal,
  resumeSignal,
  SA,
  setBudgetUpdate,
  skipStageUpdate,
  steerSignal,
} from '../../contracts';
import type { CampaignInput, CampaignOutcome, PaperOutcome } from '../../workflows';
import { startStubWorkers, suiteConfig, uniqueId } from '../harness';
import { fakePorts, type FakeScript } from './fake-ports';
import { withStubPaper } from './stub-paper';

const config = suiteConfig('operator');
const paperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  seeds: 1,
  maxRuns: 2,
  citationRounds: 2,
  reviewers: 2,
  fast: true,
};

/** Holds the first call of `activity` until released; resolves `reached` when it gets there. */
function holdAt(activity: string) {
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (reached = r));
  let held = false;
  return {
    before: async (name: string) => {
      if (name !== activity || held) return;
      held = true;
      reached();
      // Released by the test, or after a while if a failed assertion never releases it.
      await Promise.race([released, new Promise((r) => setTimeout(r, 45_000))]);
    },
    arrived,
    release,
  };
}

async function withPaper(
  script: FakeScript,
  fn: (h: WorkflowHandle, fake: ReturnType<typeof fakePorts>) => Promise<void>,
  settings: Partial<typeof paperSettings> = {},
) {
  const fake = fakePorts(script);
  await withStubPaper(config, fake, { ...paperSettings, ...settings }, async (client, input) => {
    const h = await client.workflow.start('paperWorkflow', {
      workflowId: uniqueId('paper-op'),
      taskQueue: config.temporal.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: SA.kind, value: 'paper' }],
    });
    try {
      await fn(h, fake);
    } catch (err) {
      // A failed assertion must not leave a held activity blocking the worker's shutdown.
      await h.terminate('test failed').catch(() => undefined);
      throw err;
    }
  });
}

const status = (h: WorkflowHandle) => h.query<PaperStatus>('status');

/** An update refused by the workflow's validator, with the validator's message. */
async function rejectedWith(update: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(message);
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('paper: operator messages', () => {
  it('pauses before the next activity, takes steering while paused, and resumes', async () => {
    const hold = holdAt('runBaseline');
    await withPaper({ before: hold.before }, async (h, fake) => {
      await hold.arrived;
      await h.signal(pauseSignal, 'overnight');
      await h.signal(steerSignal, 'stop tuning the learning rate, try weight decay');
      await h.signal(steerSignal, { text: 'keep runs short' });
      hold.release();
      // The running baseline finishes; the next activity waits at the gate and nothing new starts.
      // `paused` is true as soon as the signal lands, so wait for the step to reach the gate too.
      const paused = await until(
        () => status(h),
        (s) => s.paused && /run 0 \(baseline\): notes/.test(s.step) && s.steering.length === 2,
        'the paper to stand paused at the gate after the baseline',
      );
      expect(fake.count('recordRun')).toBe(0);
      expect(paused.steering.map((n) => n.text)).toEqual([
        'stop tuning the learning rate, try weight decay',
        'keep runs short',
      ]);
      expect(Date.parse(paused.steering[0]!.at)).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1000));
      expect(fake.count('recordRun')).toBe(0);
      await h.signal(resumeSignal);
      const outcome = (await h.result()) as PaperOutcome;
      expect(outcome.state).toBe('completed');
      // Steering reaches the following prompts.
      const edit = fake.calls.find((c) => c.name === 'planEdit')!.input as { steering: string[] };
      expect(edit.steering).toEqual(['stop tuning the learning rate, try weight decay', 'keep runs short']);
    });
  });

  it('skips stages on request and refuses stages it cannot skip', async () => {
    const hold = holdAt('runBaseline');
    await withPaper({ before: hold.before }, async (h, fake) => {
      await hold.arrived;
      await rejectedWith(
        h.executeUpdate(skipStageUpdate, { args: ['baseline' as never] }),
        /cannot skip "baseline"/,
      );
      expect(await h.executeUpdate(skipStageUpdate, { args: ['experiments'] })).toMatchObject({
        skipped: 'experiments',
      });
      await h.executeUpdate(skipStageUpdate, { args: ['citations'] });
      hold.release();
      const outcome = (await h.result()) as PaperOutcome;
      expect(outcome.state).toBe('completed');
      expect(outcome.runs.map((r) => r.runName)).toEqual(['run_0']);
      expect(fake.count('planEdit')).toBe(0);
      expect(fake.count('citationRound')).toBe(0);
      expect(fake.count('reviewPaper')).toBe(2);
    });
  });

  it('validates setBudget and stops at the next stage boundary under the new budget', async () => {
    const hold = holdAt('planEdit');
    await withPaper({ before: hold.before }, async (h) => {
      await hold.arrived;
      await rejectedWith(h.executeUpdate(setBudgetUpdate, { args: [-1] }), /positive number/);
      expect(await h.executeUpdate(setBudgetUpdate, { args: [0.015] })).toEqual({
        budgetUsd: 0.015,
        spentUsd: 0,
      });
      hold.release();
      const outcome = (await h.result()) as PaperOutcome;
      expect(outcome.state).toBe('over-budget');
      expect(outcome.reason).toMatch(/budget of \$0.015 reached/);
      // The cost is what was spent, counted once.
      expect(outcome.cost.costUsd).toBeCloseTo(outcome.cost.calls * 0.01, 6);
    });
  });

  it('cancels gracefully: the running activity finishes, the paper ends cancelled with its cost and keys', async () => {
    const hold = holdAt('compilePaper');
    await withPaper({ before: hold.before }, async (h, fake) => {
      await hold.arrived;
      // Once the paper is past a stage, skipping it is refused with a reason.
      await rejectedWith(
        h.executeUpdate(skipStageUpdate, { args: ['plots'] }),
        /already past plots \(now in compile\)/,
      );
      expect(await h.executeUpdate(cancelUpdate, { args: ['wrong idea'] })).toEqual({
        state: 'cancelling',
        stage: 'compile',
      });
      await rejectedWith(h.executeUpdate(cancelUpdate, { args: [''] }), /already cancelling/);
      hold.release();
      const outcome = (await h.result()) as PaperOutcome;
      expect(outcome.state).toBe('cancelled');
      // The next stage after the compile is the integrity check, whose first step is the citation check.
      expect(outcome.reason).toMatch(/wrong idea \(stopped before integrity: integrity: check citations\)/);
      expect(fake.count('compilePaper')).toBe(1);
      expect(fake.count('fixLatex') + fake.count('reviewPaper')).toBe(0);
      expect(outcome.cost.calls).toBeGreaterThan(0);
      const { keys } = await h.query<{ keys: Record<string, string> }>('artifacts');
      expect(keys.draft).toMatch(/^draft\//);
      expect(keys['run_0/log']).toBe('runs/run_0/log');
      const sa = (await h.describe()).typedSearchAttributes;
      expect(sa.get(SA.stage)).toBe('cancelled');
    });
  });

  it('ends cancelled, not failed, when Temporal cancels it', async () => {
    const hold = holdAt('writeSection');
    await withPaper({ before: hold.before }, async (h) => {
      await hold.arrived;
      await h.cancel();
      hold.release();
      const outcome = (await h.result()) as PaperOutcome;
      expect(outcome.state).toBe('cancelled');
      expect(outcome.reason).toMatch(/cancelled through Temporal/);
    });
  });

  it('ends failed with its cost kept when an activity fails for good', async () => {
    await withPaper({ failing: ['citationRound'] }, async (h) => {
      const outcome = (await h.result()) as PaperOutcome;
      expect(outcome.state).toBe('failed');
      expect(outcome.reason).toMatch(/writeup \(citations round 1\) failed: citationRound: no such model/);
      expect(outcome.cost.costUsd).toBeGreaterThan(0);
    });
  });

  it('keeps what the Web UI shows current: search attributes, activity summaries, details', async () => {
    await withPaper({ overall: 7 }, async (h) => {
      const outcome = (await h.result()) as PaperOutcome;
      const sa = (await h.describe()).typedSearchAttributes;
      expect(sa.get(SA.stage)).toBe('done');
      expect(sa.get(SA.score)).toBe(7);
      expect(sa.get(SA.decision)).toBe('Accept');
      expect(sa.get(SA.costUsd)).toBeCloseTo(outcome.cost.costUsd, 6);
      const history = await h.fetchHistory();
      const summaries: string[] = [];
      for (const e of history.events ?? []) {
        if (!e.activityTaskScheduledEventAttributes) continue;
        const payload = e.userMetadata?.summary;
        summaries.push(payload?.data ? Buffer.from(payload.data).toString() : '');
      }
      expect(summaries.length).toBeGreaterThan(10);
      expect(summaries.every((x) => x.length > 0)).toBe(true);
      expect(summaries.some((x) => x.includes('experiments · run 1 attempt 1: train'))).toBe(true);
      const meta = await h.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(meta.currentDetails).toMatch(/Stage: \*\*done\*\* — completed/);
    });
  });
});

describe('campaign: approval gate and forwarding to papers', () => {
  it('waits for approveIdeas, validates names, forwards pause/steer/cancel to its papers', async () => {
    const hold = holdAt('planEdit');
    const fake = fakePorts({ ideaNames: ['alpha', 'beta'], before: hold.before });
    const workers = await startStubWorkers(config, fake);
    try {
      const input: CampaignInput = {
        template: 'grokking',
        gpuTaskQueue: config.temporal.gpuTaskQueue,
        models: 'default=scripted',
        settings: {
          ...DEFAULT_CAMPAIGN_SETTINGS,
          ideas: 2,
          papers: 2,
          requireApproval: true,
          paper: paperSettings,
        },
      };
      await workers.run(async () => {
        const h = await workers.client.workflow.start('campaignWorkflow', {
          workflowId: `campaign-grokking-${uniqueId('op')}`,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        });
        const waiting = await until(
          () => h.query<CampaignStatus>('status'),
          (s) => s.awaitingApproval,
          'the approval gate',
        );
        expect(waiting.ranked.map((r) => r.name).sort()).toEqual(['alpha', 'beta']);
        await rejectedWith(
          h.executeUpdate(approveIdeasUpdate, { args: [['alpha', 'zeta']] }),
          /unknown idea\(s\): zeta/,
        );
        expect(await h.executeUpdate(approveIdeasUpdate, { args: [['beta', 'beta']] })).toEqual({
          approved: ['beta'],
          ignored: ['beta'],
        });
        await hold.arrived;
        const st = await h.query<CampaignStatus>('status');
        const paperId = st.papersRunning[0]!;
        expect(st.papersRunning).toEqual([`${h.workflowId.replace(/^/, 'paper-')}-beta`]);
        const paper = workers.client.workflow.getHandle(paperId);
        const psa = (await paper.describe()).typedSearchAttributes;
        expect(psa.get(SA.kind)).toBe('paper');
        expect(psa.get(SA.campaign)).toBe(h.workflowId);
        expect(psa.get(SA.models)).toBe('default=scripted');

        await h.signal(pauseSignal, 'night');
        await h.signal(steerSignal, 'try weight decay');
        const ps = await until(
          () => paper.query<PaperStatus>('status'),
          (s) => s.paused && s.steering.length === 1,
          'the paper to receive pause and steer',
        );
        expect(ps.steering[0]!.text).toBe('try weight decay');
        await h.executeUpdate(cancelUpdate, { args: ['enough'] });
        hold.release();
        const outcome = (await h.result()) as CampaignOutcome;
        expect(outcome.state).toBe('cancelled');
        expect(outcome.papers.map((p) => [p.idea.name, p.state])).toEqual([['beta', 'cancelled']]);
        expect(outcome.cost.costUsd).toBeCloseTo(
          Object.values(outcome.costByStage).reduce((x, s) => x + s.costUsd, 0) +
            outcome.papers[0]!.cost.costUsd,
          6,
        );
      });
    } finally {
      await workers.close();
    }
  });
});
