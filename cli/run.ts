/**
 * `scientist run`: start a campaign and (with --follow) show its progress until it ends. With
 * --local-workers the main and GPU workers run inside this process, so the whole pipeline
 * works on a machine where no worker is deployed (the README's main job does this).
 */
import { type Client, WorkflowIdReusePolicy } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type { Config } from '../lib/config';
import { connectClient, installRuntimeLogger, workflowUiUrl } from '../lib/temporal';
import {
  type CampaignSettings,
  campaignStatusQuery,
  DEFAULT_CAMPAIGN_SETTINGS,
  paperStatusQuery,
  QUICK_CAMPAIGN_SETTINGS,
  SA,
} from '../contracts';
import type { campaignWorkflow, CampaignInput, CampaignOutcome } from '../workflows';
import { withLocalWorkers } from '../workers/create-worker';
import { describeStoredTemplate, storeTemplateForRun } from './template';
import {
  ChangedLines,
  LiveBlock,
  paperLabel,
  pollUntilStopped,
  renderBlock,
  renderLines,
  type FollowState,
  type Out,
} from './progress';

export interface RunOptions {
  template: string;
  name?: string;
  ideas?: number;
  papers?: number;
  runs?: number;
  budgetUsd?: number;
  fast?: boolean;
  /** A smaller pipeline for the offline model: fewer rounds everywhere. */
  quick?: boolean;
  localWorkers?: boolean;
  follow?: boolean;
  json?: boolean;
}

/**
 * The campaign settings for the options: AI Scientist defaults, or the quick profile; the review
 * decision threshold (and the benchmark run it came from) from the config's review settings.
 */
export function campaignSettings(o: RunOptions, review?: Config['review']): CampaignSettings {
  const base = o.quick ? QUICK_CAMPAIGN_SETTINGS : DEFAULT_CAMPAIGN_SETTINGS;
  return {
    ...base,
    ...(o.ideas !== undefined ? { ideas: o.ideas } : {}),
    ...(o.papers !== undefined ? { papers: o.papers } : {}),
    ...(o.budgetUsd !== undefined ? { budgetUsd: o.budgetUsd } : {}),
    paper: {
      ...base.paper,
      ...(o.runs !== undefined ? { maxRuns: o.runs } : {}),
      ...(o.budgetUsd !== undefined ? { budgetUsd: o.budgetUsd } : {}),
      fast: o.fast ?? base.paper.fast,
      ...(review ? { decisionThreshold: review.threshold } : {}),
      ...(review?.thresholdSource ? { decisionThresholdSource: review.thresholdSource } : {}),
    },
  };
}

/** The model configuration in one searchable line, e.g. `default=local:smollm2 review=openai:gpt-4o`. */
export function modelsLabel(config: Config): string {
  const roles = Object.entries(config.llm.roles).filter(([, v]) => v);
  return [`default=${config.llm.default}`, ...roles.map(([k, v]) => `${k}=${v}`)].join(' ').slice(0, 250);
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
}

/**
 * Starts the campaign; with --follow or --local-workers waits for its outcome, and then runs
 * `finish` while the workers (local ones too) can still answer the papers' queries.
 */
export async function runCampaign<T = undefined>(
  config: Config,
  o: RunOptions,
  finish?: (client: Client, outcome: CampaignOutcome) => Promise<T>,
): Promise<{ workflowId: string; outcome?: CampaignOutcome; finished?: T }> {
  installRuntimeLogger('WARN');
  // Validated and stored before anything starts: an invalid template costs nothing.
  const stored = await storeTemplateForRun(config, o.template);
  if (!o.json) console.log(describeStoredTemplate(stored));
  const template = stored.info.name;
  const client = await connectClient(config);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const workflowId = `campaign-${template}-${slug(o.name ?? stamp)}`;
  const models = modelsLabel(config);
  const input: CampaignInput = {
    template,
    templateKey: stored.templateKey,
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings: campaignSettings(o, config.review),
    models,
  };
  try {
    const handle = await client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `Campaign on template ${template}`,
      staticDetails: `Models: ${models}. Ideas ${input.settings.ideas}, papers ${input.settings.papers}, budget $${input.settings.budgetUsd}.`,
      typedSearchAttributes: [
        { key: SA.kind, value: 'campaign' },
        { key: SA.template, value: template },
        { key: SA.campaign, value: workflowId },
        { key: SA.models, value: models },
        { key: SA.stage, value: 'ideation' },
      ],
    });
    if (!o.json) console.log(`started ${workflowId}\n  ${workflowUiUrl(config, workflowId)}`);
    if (!o.follow && !o.localWorkers) return { workflowId };
    const follow = o.follow ? followProgress(client, workflowId, Boolean(o.json)) : undefined;
    return await withLocalWorkers(config, o.localWorkers ? ['main', 'gpu'] : [], async () => {
      const outcome = await handle.result();
      // The last look at the papers, while the workers (local ones too) still answer queries.
      await follow?.stop();
      return { workflowId, outcome, finished: await finish?.(client, outcome) };
    });
  } finally {
    await client.connection.close();
  }
}

/**
 * Shows the campaign's and its papers' progress (stage, run, cost, step) until stopped: a block
 * redrawn in place when `out` is a terminal, a line per change otherwise. Reads only the
 * workflows' `status` queries (and, for a paper that has ended, its search attributes).
 */
export function followProgress(
  client: Awaited<ReturnType<typeof connectClient>>,
  workflowId: string,
  quiet: boolean,
  out: Out = process.stdout,
  everyMs = out.isTTY ? 1000 : 2000,
): { stop(): Promise<void> } {
  const state: FollowState = { campaignId: workflowId, papers: [], startedAt: Date.now(), now: Date.now() };
  const live = out.isTTY ? new LiveBlock(out) : undefined;
  const plain = new ChangedLines(out);
  const draw = () => {
    if (quiet) return;
    state.now = Date.now();
    if (live) live.render(renderBlock(state));
    else plain.render(renderLines(state));
  };
  /** Queries with a deadline: a worker that is gone must not stall the display. */
  const query = <T>(id: string, status: QueryDefinition<T, []>) =>
    client.connection.withDeadline(Date.now() + 5000, () => client.workflow.getHandle(id).query(status));
  const tick = async () => {
    try {
      const st = await query(workflowId, campaignStatusQuery);
      state.campaign = st;
      state.waiting = undefined;
      for (const id of st.papersRunning)
        if (!state.papers.some((p) => p.id === id))
          state.papers.push({ id, label: paperLabel(workflowId, id) });
      await Promise.all(
        state.papers
          .filter((p) => !p.finished)
          .map(async (p) => {
            if (st.papersRunning.includes(p.id)) {
              p.status = await query(p.id, paperStatusQuery).catch(() => p.status);
            } else {
              const d = await client.workflow
                .getHandle(p.id)
                .describe()
                .catch(() => undefined);
              const sa = d?.typedSearchAttributes;
              p.finished = {
                execution: d ? d.status.name.toLowerCase() : 'ended',
                stage: sa?.get(SA.stage),
                score: sa?.get(SA.score),
                decision: sa?.get(SA.decision),
                costUsd: sa?.get(SA.costUsd),
              };
            }
          }),
      );
    } catch {
      // The workflow may not have run its first task yet.
      state.waiting = 'waiting for a worker to answer its status query';
    }
    draw();
  };
  return pollUntilStopped(tick, everyMs);
}
