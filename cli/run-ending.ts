/**
 * The end of `scientist run`: each paper's files saved under `--out`, and a summary a person
 * can act on — where the PDF is and how many pages it has, the review, the cost, the time each
 * stage took and what was made in a lesser way than planned.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { CampaignOutcome, PaperOutcome } from '../workflows';
import { savePaperFiles, type SavedPaper } from './paper-files';
import { formatDuration, formatStageTimes, workflowStageTimes, type StageTime } from './stage-times';

export interface PaperEnding {
  outcome: PaperOutcome;
  files: SavedPaper;
  times: StageTime[];
}

export interface RunEnding {
  campaignTimes: StageTime[];
  papers: PaperEnding[];
}

/** Saves every paper's files and reads the stage times (needs the workers still up). */
export async function collectEnding(
  client: Client,
  config: Config,
  campaignId: string,
  outcome: CampaignOutcome,
  out: string,
): Promise<RunEnding> {
  const papers: PaperEnding[] = [];
  for (const p of outcome.papers) {
    const files = await savePaperFiles(client, config, p, out);
    const times = await workflowStageTimes(client, p.paperId).catch(() => []);
    papers.push({ outcome: p, files, times });
  }
  return { campaignTimes: await workflowStageTimes(client, campaignId).catch(() => []), papers };
}

const total = (times: StageTime[]) => times.reduce((s, t) => s + t.ms, 0);
const row = (label: string, value: string) => `  ${label.padEnd(9)} ${value}`;

export function formatEnding(campaignId: string, outcome: CampaignOutcome, ending: RunEnding): string {
  const lines = [`\ncampaign ${campaignId}: ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}`];
  if (ending.campaignTimes.length)
    lines.push(
      row(
        'time',
        `${formatDuration(total(ending.campaignTimes))}: ${formatStageTimes(ending.campaignTimes)}`,
      ),
    );
  for (const { outcome: p, files, times } of ending.papers) {
    lines.push(`paper ${p.paperId}: ${p.state}${p.reason ? ` (${p.reason})` : ''}`);
    lines.push(row('idea', p.idea.title));
    if (files.pdf) {
      const pages = files.pages === undefined ? '' : `${files.pages} page${files.pages === 1 ? '' : 's'}`;
      const figures = files.figures.length ? `${files.figures.length} figure(s) in figures/` : 'no figures';
      lines.push(row('PDF', `${files.pdf} (${[pages, figures].filter(Boolean).join(', ')})`));
    } else {
      lines.push(row('PDF', 'none'));
    }
    if (p.review)
      lines.push(
        row(
          'review',
          `overall ${p.review.overall} → ${p.review.decision}; ${Object.entries(p.review.scores)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        ),
      );
    lines.push(
      row(
        'cost',
        `$${p.cost.costUsd.toFixed(4)} (${p.cost.calls} model calls, ${p.cost.inputTokens} in / ${p.cost.outputTokens} out tokens)`,
      ),
    );
    if (times.length) lines.push(row('time', `${formatDuration(total(times))}: ${formatStageTimes(times)}`));
    if (p.figureCritique) lines.push(row('figures', p.figureCritique.note));
    for (const d of p.degraded ?? []) lines.push(row('degraded', `${d.part}: ${d.reason}`));
  }
  lines.push(`total cost $${outcome.cost.costUsd.toFixed(4)}`);
  return lines.join('\n');
}

/** Exit 0 when the campaign completed with at least one paper and every paper has its PDF. */
export function endingExitCode(outcome: CampaignOutcome, ending: RunEnding): 0 | 1 {
  const allPdfs = ending.papers.length > 0 && ending.papers.every((p) => p.files.pdf);
  return outcome.state === 'completed' && allPdfs ? 0 : 1;
}
