/**
 * `scientist run`: start a campaign and (with --follow) show its progress until it ends. With
 * --local-workers the main and GPU workers run inside this process, so the whole pipeline
 * works on a machine where no worker is deployed (the README's main job does this).
 */
import { WorkflowIdReusePolicy } from '@temporalio/client';
import type { Config } from '../lib/config';
import { S3ArtifactStore } from '../lib/store';
import { connectClient, installRuntimeLogger, workflowUiUrl } from '../lib/temporal';
import {
  DEFAULT_CAMPAIGN_SETTINGS,
  type CampaignInput,
  type CampaignOutcome,
  type CampaignSettings,
  type CampaignStatus,
  type PaperStatus,
} from '../workflows';
import { createWorker } from '../workers/create-worker';

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

/** The campaign settings for the options: AI Scientist defaults, or the quick profile. */
export function campaignSettings(o: RunOptions): CampaignSettings {
  const base = DEFAULT_CAMPAIGN_SETTINGS;
  const quick: Partial<CampaignSettings> = o.quick
    ? { ideas: 1, ideaReflections: 1, noveltyRounds: 2, papers: 1, parallelism: 1 }
    : {};
  const paperQuick = o.quick
    ? {
        maxRuns: 1,
        maxRunAttempts: 2,
        maxPlotAttempts: 2,
        citationRounds: 1,
        compileRounds: 3,
        reviewers: 2,
        reviewReflections: 0,
      }
    : {};
  return {
    ...base,
    ...quick,
    ...(o.ideas !== undefined ? { ideas: o.ideas } : {}),
    ...(o.papers !== undefined ? { papers: o.papers } : {}),
    ...(o.budgetUsd !== undefined ? { budgetUsd: o.budgetUsd } : {}),
    paper: {
      ...base.paper,
      ...paperQuick,
      ...(o.runs !== undefined ? { maxRuns: o.runs } : {}),
      ...(o.budgetUsd !== undefined ? { budgetUsd: o.budgetUsd } : {}),
      fast: o.fast ?? base.paper.fast,
    },
  };
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
}

export async function runCampaign(
  config: Config,
  o: RunOptions,
): Promise<{ workflowId: string; outcome?: CampaignOutcome }> {
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const workflowId = `campaign-${o.template}-${slug(o.name ?? stamp)}`;
  const input: CampaignInput = {
    template: o.template,
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings: campaignSettings(o),
  };
  const workers = o.localWorkers
    ? await Promise.all([
        createWorker({ config, role: 'main' }),
        createWorker({ config, role: 'gpu', maxConcurrentActivities: 1 }),
      ])
    : [];
  try {
    const handle = await client.workflow.start('campaignWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `Campaign on template ${o.template}`,
    });
    if (!o.json) console.log(`started ${workflowId}\n  ${workflowUiUrl(config, workflowId)}`);
    if (!o.follow && !o.localWorkers) return { workflowId };
    const follow = o.follow ? followProgress(client, workflowId, Boolean(o.json)) : undefined;
    const run = async () => (await handle.result()) as CampaignOutcome;
    let outcome: CampaignOutcome;
    if (workers.length === 2) {
      const [main, gpu] = workers as [(typeof workers)[0], (typeof workers)[0]];
      outcome = await main.worker.runUntil(gpu.worker.runUntil(run()));
    } else {
      outcome = await run();
    }
    follow?.stop();
    return { workflowId, outcome };
  } finally {
    await Promise.all(workers.map((w) => w.connection.close()));
    await client.connection.close();
  }
}

/** Prints a line whenever the campaign's or a running paper's status changes. */
function followProgress(
  client: Awaited<ReturnType<typeof connectClient>>,
  workflowId: string,
  quiet: boolean,
) {
  const last = new Map<string, string>();
  const show = (id: string, line: string) => {
    if (last.get(id) === line) return;
    last.set(id, line);
    if (!quiet) console.log(line);
  };
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      try {
        const st = await client.workflow.getHandle(workflowId).query<CampaignStatus>('status');
        show(
          workflowId,
          `[campaign] ${st.stage}: ${st.step} | ideas ${st.ideas} | papers done ${st.papersDone}, running ${st.papersRunning.length} | $${st.costUsd.toFixed(4)} of $${st.budgetUsd}`,
        );
        for (const paperId of st.papersRunning) {
          const ps = await client.workflow
            .getHandle(paperId)
            .query<PaperStatus>('status')
            .catch(() => undefined);
          if (ps)
            show(
              paperId,
              `  [paper …${paperId.slice(-24)}] ${ps.stage}: ${ps.step} | runs ${ps.runsDone}/${ps.maxRuns} | $${ps.costUsd.toFixed(4)}`,
            );
        }
      } catch {
        // The workflow may not have run its first task yet.
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

/** Where the main job's PDF lands on disk, plus its review, for people reading the terminal. */
export async function downloadPdf(config: Config, pdfKey: string, file: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, await S3ArtifactStore.fromConfig(config).get(pdfKey));
}
