/**
 * One campaign: for one template and model configuration, generate ideas with reflection, check
 * their novelty against the literature, rank them, (optionally) wait for approval, then run the
 * chosen ones as child paper workflows, a few at a time, and collect their outcomes.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { Ledger, type Spend } from './ledger';
import { paperWorkflow, type PaperOutcome } from './paper';
import type { IdeaSummary, MainPorts } from './ports';
import type { CampaignSettings } from './settings';

export interface CampaignInput {
  template: string;
  gpuTaskQueue: string;
  settings: CampaignSettings;
  /** Carried over continue-as-new. */
  carried?: CampaignCarry;
}

/** What a campaign that continued as new has already done. */
export interface CampaignCarry {
  templateKey: string;
  ranked: RankedIdea[];
  outcomes: PaperOutcome[];
  costByStage: Record<string, Spend>;
}

export interface RankedIdea {
  idea: IdeaSummary;
  novel: boolean;
  score: number;
}

export interface CampaignOutcome {
  campaignId: string;
  template: string;
  ideas: RankedIdea[];
  papers: PaperOutcome[];
  cost: Spend;
  costByStage: Record<string, Spend>;
  state: 'completed' | 'over-budget' | 'no-ideas';
  reason?: string;
}

export interface CampaignStatus {
  stage: 'ideation' | 'novelty' | 'approval' | 'papers' | 'done';
  step: string;
  ideas: number;
  papersDone: number;
  papersRunning: string[];
  costUsd: number;
  budgetUsd: number;
}

export const campaignStatusQuery = defineQuery<CampaignStatus>('status');
/** The approval gate's seam: the operator issue turns this into a validated update. */
export const approveIdeasSignal = defineSignal<[string[]]>('approveIdeas');

const main = proxyActivities<MainPorts>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 6,
  },
});

/** Ideas rank by novelty first, then by the sum of the model's three scores. */
export function rankIdeas(ideas: RankedIdea[]): RankedIdea[] {
  return [...ideas].sort(
    (a, b) =>
      Number(b.novel) - Number(a.novel) || b.score - a.score || a.idea.name.localeCompare(b.idea.name),
  );
}

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignOutcome> {
  const campaignId = workflowInfo().workflowId;
  const s = input.settings;
  const ledger = new Ledger(s.budgetUsd, input.carried?.costByStage);
  const status: CampaignStatus = {
    stage: 'ideation',
    step: 'start',
    ideas: 0,
    papersDone: input.carried?.outcomes.length ?? 0,
    papersRunning: [],
    costUsd: 0,
    budgetUsd: s.budgetUsd,
  };
  setHandler(campaignStatusQuery, () => ({ ...status, costUsd: ledger.total.costUsd }));
  let approved: string[] | undefined;
  setHandler(approveIdeasSignal, (names) => {
    approved = names;
  });
  const steering: string[] = [];
  const finish = (
    state: CampaignOutcome['state'],
    ideas: RankedIdea[],
    papers: PaperOutcome[],
    reason?: string,
  ): CampaignOutcome => {
    status.stage = 'done';
    const paperCost = papers.reduce((sum, p) => sum + p.cost.costUsd, 0);
    return {
      campaignId,
      template: input.template,
      ideas,
      papers,
      cost: { ...ledger.total, costUsd: ledger.total.costUsd + paperCost },
      costByStage: ledger.stages(),
      state,
      reason,
    };
  };

  // ---- ideas (skipped after continue-as-new)
  let templateKey = input.carried?.templateKey;
  let ranked = input.carried?.ranked;
  if (!templateKey || !ranked) {
    const loaded = await main.loadTemplate({ campaignId, template: input.template });
    templateKey = loaded.templateKey;
    let ideas = await ideate(templateKey, loaded.archiveKey);
    if (ideas.length === 0) {
      // A weak model that produced no usable idea degrades to the template's own seed ideas.
      status.step = 'no usable idea from the model: using the seed ideas';
      ideas = await main.seedIdeas({ campaignId, templateKey });
    }
    if (ledger.overBudget)
      return finish('over-budget', [], [], `budget of $${s.budgetUsd} reached during ideation`);
    status.stage = 'novelty';
    ranked = rankIdeas(await checkNovelty(ideas));
  }
  const candidates = ranked.filter((r) => r.novel);
  if (candidates.length === 0) return finish('no-ideas', ranked, [], 'no idea survived the novelty check');

  // ---- approval gate (optional)
  let chosen = candidates.slice(0, s.papers);
  if (s.requireApproval && !input.carried) {
    status.stage = 'approval';
    status.step = 'waiting for approveIdeas';
    await condition(() => approved !== undefined);
    chosen = candidates.filter((c) => approved!.includes(c.idea.name));
  }

  // ---- papers, `parallelism` at a time
  status.stage = 'papers';
  const done = [...(input.carried?.outcomes ?? [])];
  const queue = chosen.filter((c) => !done.some((d) => d.idea.name === c.idea.name));
  const running = new Map<string, Promise<void>>();
  const spentUsd = () => ledger.total.costUsd + done.reduce((x, p) => x + p.cost.costUsd, 0);
  let stoppedForBudget = false;
  while (queue.length > 0 || running.size > 0) {
    while (queue.length > 0 && running.size < s.parallelism) {
      if (spentUsd() >= s.budgetUsd) {
        // No new paper starts; those running finish (each stops at its own budget).
        stoppedForBudget = true;
        queue.length = 0;
        break;
      }
      const next = queue.shift()!;
      const handle: ChildWorkflowHandle<typeof paperWorkflow> = await startChild(paperWorkflow, {
        workflowId: `paper-${campaignId}-${next.idea.name}`.slice(0, 200),
        args: [
          {
            campaignId,
            template: input.template,
            templateKey,
            idea: next.idea,
            gpuTaskQueue: input.gpuTaskQueue,
            settings: s.paper,
          },
        ],
      });
      status.papersRunning.push(handle.workflowId);
      running.set(
        handle.workflowId,
        handle.result().then(
          (o) => void done.push(o),
          (err: unknown) => void done.push(failedOutcome(handle.workflowId, next.idea, err)),
        ),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
    for (const [id] of running) {
      if (done.some((d) => d.paperId === id)) {
        running.delete(id);
        status.papersRunning = status.papersRunning.filter((x) => x !== id);
      }
    }
    status.papersDone = done.length;
    // Keep history well below Temporal's limits on long campaigns.
    if (workflowInfo().continueAsNewSuggested && running.size === 0 && queue.length > 0) {
      await continueAsNew<typeof campaignWorkflow>({
        ...input,
        carried: { templateKey, ranked, outcomes: done, costByStage: ledger.stages() },
      });
    }
  }
  return stoppedForBudget
    ? finish('over-budget', ranked, done, `budget of $${s.budgetUsd} reached after ${done.length} paper(s)`)
    : finish('completed', ranked, done);

  // ------------------------------------------------------------------ stages

  async function ideate(tKey: string, initialArchiveKey: string): Promise<IdeaSummary[]> {
    let archiveKey = initialArchiveKey;
    const ideas: IdeaSummary[] = [];
    for (let index = 1; index <= s.ideas && !ledger.overBudget; index++) {
      status.step = `idea ${index}/${s.ideas}`;
      const gen = await main.generateIdea({ campaignId, templateKey: tKey, index, archiveKey, steering });
      ledger.record('ideation', gen.spend);
      if (!gen.idea) continue;
      let idea = gen.idea;
      for (let round = 1; round <= s.ideaReflections; round++) {
        status.step = `idea ${index} reflection ${round}`;
        const r = await main.reflectIdea({ campaignId, templateKey: tKey, index, round, idea, steering });
        ledger.record('ideation', r.spend);
        idea = r.idea;
        if (r.done) break;
      }
      const archived = await main.archiveIdea({ campaignId, archiveKey, idea });
      archiveKey = archived.archiveKey;
      if (!archived.duplicateOf) ideas.push(idea);
      status.ideas = ideas.length;
    }
    return ideas;
  }

  async function checkNovelty(ideas: IdeaSummary[]): Promise<RankedIdea[]> {
    const out: RankedIdea[] = [];
    for (const idea of ideas) {
      let novel = false;
      let historyKey: string | undefined;
      for (let round = 1; round <= s.noveltyRounds && !ledger.overBudget; round++) {
        status.step = `novelty of ${idea.name}: round ${round}`;
        const r = await main.noveltyRound({
          campaignId,
          idea,
          round,
          maxRounds: s.noveltyRounds,
          historyKey,
        });
        ledger.record('novelty', r.spend);
        historyKey = r.historyKey;
        if (r.decision !== 'undecided') {
          novel = r.decision === 'novel';
          break;
        }
      }
      out.push({ idea, novel, score: idea.interestingness + idea.feasibility + idea.novelty });
    }
    return out;
  }
}

function failedOutcome(paperId: string, idea: IdeaSummary, err: unknown): PaperOutcome {
  const zero = { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
  const message =
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return { paperId, idea, state: 'failed', reason: message, runs: [], cost: zero, costByStage: {} };
}
