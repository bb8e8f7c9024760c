/**
 * The campaign's continue-as-new, on the real dev server with stub activities (fake-ports.ts):
 * a campaign started with `carried` input (as a continued run is) skips what is done and counts
 * it once; and a campaign whose history passes the server's 4 MiB suggestion really continues
 * as new after a paper finishes, and the run chain ends with every paper exactly once and every
 * cost counted once.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { CampaignCarry, CampaignInput, CampaignOutcome } from '../../workflows/campaign';
import {
  DEFAULT_CAMPAIGN_SETTINGS,
  DEFAULT_PAPER_SETTINGS,
  type IdeaSummary,
  type MainPorts,
} from '../../contracts';
import type { PaperOutcome } from '../../workflows';
import { startStubWorkers, suiteConfig, uniqueId } from '../harness';
import { fakePorts } from './fake-ports';

const config = suiteConfig('continue-as-new');
/** A small paper; every paper makes the same stub calls, at $0.01 each. */
const paperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  seeds: 1,
  maxRuns: 1,
  citationRounds: 1,
  reviewers: 1,
  fast: true,
};
const COST = 0.01;
/** The dev server suggests continue-as-new past 4 MiB of history (limit.historySize.suggestContinueAsNew). */
const SUGGEST_BYTES = 4 * 1024 * 1024;

const idea = (name: string, novelty: number): IdeaSummary => ({
  name,
  title: `On ${name}`,
  key: `ideas/${name}.json`,
  interestingness: 6,
  feasibility: 7,
  novelty,
});

/** Papers that ran: each records its baseline's notes (run 0) once (the preflight's baseline records none). */
const baselinesRecorded = (fake: ReturnType<typeof fakePorts>): number =>
  fake.calls.filter((c) => c.name === 'recordRun' && (c.input as { run: number }).run === 0).length;

type Event = temporal.api.history.v1.IHistoryEvent;

/** A run's events, a few per page: one 250 KB event too many and a page passes gRPC's 4 MB. */
async function eventsOf(client: Client, workflowId: string, runId: string): Promise<Event[]> {
  const events: Event[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: config.temporal.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 8,
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

describe('campaign continue-as-new', () => {
  it('a run started with carried state skips ideation and approval, runs only the papers left, counts everything once', async () => {
    const fake = fakePorts();
    const workers = await startStubWorkers(config, fake);
    try {
      const previous: PaperOutcome = {
        paperId: 'paper-earlier-run-alpha',
        idea: idea('alpha', 5),
        state: 'completed',
        pdfKey: 'pdf/alpha.pdf',
        runs: [{ runName: 'run_0', outcome: 'ok' }],
        cost: { costUsd: 0.5, inputTokens: 5000, outputTokens: 500, calls: 20 },
        costByStage: { writeup: { costUsd: 0.5, inputTokens: 5000, outputTokens: 500, calls: 20 } },
      };
      const carried: CampaignCarry = {
        templateKey: 'templates/grokking/manifest.json',
        ranked: [
          { idea: idea('beta', 6), novel: true, score: 19 },
          { idea: idea('alpha', 5), novel: true, score: 18 },
          { idea: idea('gamma', 9), novel: false, score: 22 },
        ],
        outcomes: [previous],
        costByStage: {
          ideation: { costUsd: 0.2, inputTokens: 2000, outputTokens: 200, calls: 4 },
          novelty: { costUsd: 0.1, inputTokens: 1000, outputTokens: 100, calls: 2 },
        },
        // Approved before the run continued: the gate is not asked again.
        chosen: ['alpha', 'beta'],
      };
      const input: CampaignInput = {
        template: 'grokking',
        gpuTaskQueue: config.temporal.gpuTaskQueue,
        settings: {
          ...DEFAULT_CAMPAIGN_SETTINGS,
          papers: 2,
          parallelism: 1,
          requireApproval: true,
          paper: paperSettings,
        },
        carried,
      };
      const outcome = (await workers.run(() =>
        workers.client.workflow.execute('campaignWorkflow', {
          workflowId: `campaign-grokking-${uniqueId('carried')}`,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        }),
      )) as CampaignOutcome;

      expect(outcome.state).toBe('completed');
      for (const name of ['loadTemplate', 'generateIdea', 'reflectIdea', 'archiveIdea', 'noveltyRound'])
        expect(fake.count(name)).toBe(0);
      // Only beta ran now; alpha is the carried outcome, unchanged.
      expect(baselinesRecorded(fake)).toBe(1);
      // A paper starts from the template's key (paper-no-prepare-workspace): no prepareWorkspace call.
      expect(fake.count('prepareWorkspace')).toBe(0);
      expect(outcome.papers.map((p) => p.idea.name)).toEqual(['alpha', 'beta']);
      expect(outcome.papers[0]).toEqual(previous);
      const beta = outcome.papers[1]!;
      expect(beta.state).toBe('completed');
      expect(beta.cost.calls).toBeGreaterThan(10);
      expect(outcome.ideas.map((r) => r.idea.name)).toEqual(['beta', 'alpha', 'gamma']);
      // The campaign's own spend is the carried one; the total adds each paper once.
      expect(outcome.costByStage).toEqual(carried.costByStage);
      expect(outcome.cost.costUsd).toBeCloseTo(0.2 + 0.1 + 0.5 + beta.cost.costUsd, 9);
      expect(beta.cost.costUsd).toBeCloseTo(beta.cost.calls * COST, 9);
    } finally {
      await workers.close();
    }
  });

  it('continues as new when the server suggests it before the first paper, and the chain ends with every paper and cost once', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `idea_${String(i + 1).padStart(2, '0')}`);
    const fake = fakePorts({ ideaNames: names });
    // Each generated idea carries 250 KB of "problem" text into history: 20 of them pass the
    // server's 4 MiB continue-as-new suggestion while the ideas are still being generated.
    const main: MainPorts = {
      ...fake.main,
      async generateIdea(i) {
        const r = await fake.main.generateIdea(i);
        return { ...r, problem: `${i.index}:`.padEnd(250_000, '.') };
      },
    };
    const workers = await startStubWorkers(config, { main, gpu: fake.gpu });
    const workflowId = `campaign-grokking-${uniqueId('can')}`;
    try {
      const input: CampaignInput = {
        template: 'grokking',
        gpuTaskQueue: config.temporal.gpuTaskQueue,
        settings: {
          ...DEFAULT_CAMPAIGN_SETTINGS,
          ideas: names.length,
          ideaReflections: 1,
          papers: 3,
          parallelism: 1,
          paper: paperSettings,
        },
      };
      const t0 = Date.now();
      const { result, firstRunId } = await workers.run(async () => {
        const handle = await workers.client.workflow.start('campaignWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        });
        // result() follows the chain of runs to the last one.
        const last = (await handle.result()) as CampaignOutcome;
        return { result: last, firstRunId: handle.firstExecutionRunId };
      });
      const ms = Date.now() - t0;

      // ---- the run chain: the first run continued as new once, before it started a paper
      const first = await eventsOf(workers.client, workflowId, firstRunId);
      const last = first.at(-1)!;
      const can = last.workflowExecutionContinuedAsNewEventAttributes;
      expect(can).toBeTruthy();
      // The server's suggestion, in the workflow task the decision was made in.
      expect(first.some((e) => e.workflowTaskStartedEventAttributes?.suggestContinueAsNew)).toBe(true);
      const secondRunId = can!.newExecutionRunId!;
      const carriedInput = defaultPayloadConverter.fromPayload<CampaignInput>(can!.input!.payloads![0]!);
      expect(carriedInput.carried?.outcomes).toEqual([]);
      expect(first.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
      expect(carriedInput.carried?.chosen).toEqual(['idea_20', 'idea_19', 'idea_18']);
      const firstDesc = await workers.client.workflow.getHandle(workflowId, firstRunId).describe();
      const latest = await workers.client.workflow.getHandle(workflowId).describe();
      expect(firstDesc.status.name).toBe('CONTINUED_AS_NEW');
      expect(latest.runId).toBe(secondRunId);
      expect(latest.status.name).toBe('COMPLETED');
      const second = await eventsOf(workers.client, workflowId, secondRunId);
      expect(second[0]!.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBe(firstRunId);
      const bytes = (d: typeof latest) => Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
      console.log(
        `continue-as-new: ${ms} ms; run ${firstRunId}: ${first.length} events, ${bytes(firstDesc)} bytes → ` +
          `run ${secondRunId}: ${second.length} events, ${bytes(latest)} bytes`,
      );
      expect(bytes(firstDesc)).toBeGreaterThan(SUGGEST_BYTES);
      expect(bytes(latest)).toBeLessThan(1024 * 1024);

      // ---- the outcome: every chosen paper exactly once, in the order they finished
      expect(result.state).toBe('completed');
      expect(result.papers.map((p) => p.idea.name)).toEqual(['idea_20', 'idea_19', 'idea_18']);
      expect(new Set(result.papers.map((p) => p.paperId)).size).toBe(3);
      expect(baselinesRecorded(fake)).toBe(3);
      // Ideation and novelty ran once, in the first run only.
      expect(fake.count('loadTemplate')).toBe(1);
      expect(fake.count('generateIdea')).toBe(20);

      // ---- costs: the campaign's own calls once (carried over), each paper once
      expect(result.costByStage.ideation?.calls).toBe(20 + 20);
      expect(result.costByStage.novelty?.calls).toBe(20 * 2);
      const own = Object.values(result.costByStage).reduce((s, x) => s + x.costUsd, 0);
      expect(own).toBeCloseTo(80 * COST, 9);
      const perPaper = result.papers[0]!.cost.calls;
      expect(perPaper).toBeGreaterThan(10);
      for (const p of result.papers) expect(p.cost).toMatchObject({ calls: perPaper });
      for (const p of result.papers) expect(p.cost.costUsd).toBeCloseTo(perPaper * COST, 9);
      expect(result.cost.costUsd).toBeCloseTo(80 * COST + 3 * perPaper * COST, 9);
    } finally {
      await workers.close();
    }
  }, 240_000);

  it('at parallelism 2: once suggested, starts no new paper, lets the running ones finish, then continues as new', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `idea_${String(i + 1).padStart(2, '0')}`);
    const fake = fakePorts({ ideaNames: names });
    // Ideation carries 20 × 195 KB into history (about 4.0 MB with the events, under the 4 MiB
    // suggestion); each finished paper's outcome brings 450 KB more (its review scores), so the
    // suggestion comes while the first two papers run: the first finish passes it. (Four such
    // outcomes still fit the final result's 2 MiB payload limit.)
    const main: MainPorts = {
      ...fake.main,
      async generateIdea(i) {
        const r = await fake.main.generateIdea(i);
        return { ...r, problem: `${i.index}:`.padEnd(195_000, '.') };
      },
      async metaReview(i) {
        const r = await fake.main.metaReview(i);
        return { ...r, scores: { ...r.scores, [`padding_${i.paperId}`.padEnd(450_000, '.')]: 0 } };
      },
    };
    const workers = await startStubWorkers(config, { main, gpu: fake.gpu });
    const workflowId = `campaign-grokking-${uniqueId('can2')}`;
    try {
      const input: CampaignInput = {
        template: 'grokking',
        gpuTaskQueue: config.temporal.gpuTaskQueue,
        settings: {
          ...DEFAULT_CAMPAIGN_SETTINGS,
          ideas: names.length,
          ideaReflections: 1,
          papers: 4,
          parallelism: 2,
          paper: paperSettings,
        },
      };
      const { result, firstRunId } = await workers.run(async () => {
        const handle = await workers.client.workflow.start('campaignWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        });
        return { result: (await handle.result()) as CampaignOutcome, firstRunId: handle.firstExecutionRunId };
      });

      const first = await eventsOf(workers.client, workflowId, firstRunId);
      const can = first.at(-1)!.workflowExecutionContinuedAsNewEventAttributes;
      expect(can).toBeTruthy();
      // The first run started two papers, both finished, and no third one started after the suggestion.
      const started = first.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
      const finished = first.filter((e) => e.childWorkflowExecutionCompletedEventAttributes);
      expect(started).toHaveLength(2);
      expect(finished).toHaveLength(2);
      const suggestedAt = first.findIndex((e) => e.workflowTaskStartedEventAttributes?.suggestContinueAsNew);
      expect(suggestedAt).toBeGreaterThan(first.indexOf(started[1]!));
      // The patch marker is in the history: this is the new behaviour, recorded.
      expect(
        first.some((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.length),
      ).toBe(true);
      const carriedInput = defaultPayloadConverter.fromPayload<CampaignInput>(can!.input!.payloads![0]!);
      expect(carriedInput.carried?.outcomes).toHaveLength(2);
      expect(carriedInput.carried?.chosen).toEqual(['idea_20', 'idea_19', 'idea_18', 'idea_17']);

      // Every paper exactly once over the chain, costs once.
      expect(result.state).toBe('completed');
      expect(result.papers.map((p) => p.idea.name).sort()).toEqual([
        'idea_17',
        'idea_18',
        'idea_19',
        'idea_20',
      ]);
      expect(new Set(result.papers.map((p) => p.paperId)).size).toBe(4);
      expect(baselinesRecorded(fake)).toBe(4);
      expect(fake.count('generateIdea')).toBe(20);
      const perPaper = result.papers[0]!.cost.calls;
      for (const p of result.papers) expect(p.cost).toMatchObject({ calls: perPaper });
      expect(result.cost.costUsd).toBeCloseTo(80 * COST + 4 * perPaper * COST, 9);
    } finally {
      await workers.close();
    }
  }, 240_000);
});
