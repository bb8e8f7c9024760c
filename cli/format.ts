/**
 * Text output of the operator commands: tables, status blocks, and the one-line summaries of a
 * campaign or paper that `status` and `run --follow` share.
 */
import { formatUsd, type CampaignStatus, type PaperStatus, type SteeringNote } from '../contracts';
import type { ListedWorkflow } from './find-workflows';
import type { StatusReport } from './status-report';

export const usd = (n: number | undefined): string => (n === undefined ? '-' : formatUsd(n));

/** A left-aligned table with a header row; empty cells show `-`. */
export function table(header: string[], rows: (string | number | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === '' ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatList(rows: ListedWorkflow[]): string {
  if (rows.length === 0) return 'no matching workflows';
  return table(
    ['ID', 'KIND', 'STAGE', 'SCORE', 'DECISION', 'COST', 'STATUS'],
    rows.map((w) => [
      w.workflowId,
      w.kind,
      w.stage,
      w.score === undefined ? undefined : w.score.toFixed(1),
      w.decision,
      w.costUsd === undefined ? undefined : usd(w.costUsd),
      w.status,
    ]),
  );
}

/** "run 2 of 5 (attempt 1), 1 done" */
export function paperRuns(s: Pick<PaperStatus, 'runsDone' | 'maxRuns' | 'run' | 'attempt'>): string {
  const current =
    s.run === undefined ? '' : `run ${s.run} of ${s.maxRuns}${s.attempt ? ` (attempt ${s.attempt})` : ''}, `;
  return `${current}${s.runsDone} of ${s.maxRuns} done`;
}

function steeringLines(notes: SteeringNote[]): string[] {
  return notes.map((n) => `  ${''.padEnd(10)}  ${n.at}  ${n.text}`);
}

const row = (label: string, value: string) => `  ${label.padEnd(10)}  ${value}`;

function paperLines(s: PaperStatus, running: boolean): string[] {
  const lines = [
    row('idea', s.ideaTitle),
    row('stage', `${s.stage}: ${s.step}`),
    row('runs', paperRuns(s)),
    row('cost', `${usd(s.costUsd)} of $${s.budgetUsd} budget`),
  ];
  // Paused and cancelling describe a running workflow; a closed one has its outcome instead.
  if (running) lines.push(...controlLines(s));
  if (s.skipped.length) lines.push(row('skipped', s.skipped.join(', ')));
  if (s.lastError) lines.push(row('last error', s.lastError));
  if (s.figureCritique) lines.push(row('figures', s.figureCritique.note));
  lines.push(row('steering', s.steering.length ? `${s.steering.length} note(s)` : 'none'));
  lines.push(...steeringLines(s.steering));
  return lines;
}

function controlLines(s: { paused: boolean; cancelling: boolean }): string[] {
  const lines = [row('paused', s.paused ? 'yes (no new activity starts until `scientist resume`)' : 'no')];
  if (s.cancelling) lines.push(row('cancelling', 'yes: ends `cancelled` once the running activities finish'));
  return lines;
}

function campaignLines(s: CampaignStatus, running: boolean): string[] {
  const lines = [row('stage', `${s.stage}: ${s.step}`), row('ideas', String(s.ideas))];
  if (s.ranked.length)
    lines.push(
      row(
        s.awaitingApproval ? 'to approve' : 'ranked',
        s.ranked
          .map((r) => `${r.name}${r.novel ? '' : r.undecided ? ' (novelty undecided)' : ' (not novel)'}`)
          .join(', '),
      ),
    );
  if (s.awaitingApproval) lines.push(row('waiting', 'for `scientist approve <campaign> <idea...>`'));
  if (s.skipped.length) lines.push(row('skipped', `${s.skipped.join(', ')} (papers started from now on)`));
  lines.push(
    row('papers', `${s.papersDone} done, ${s.papersRunning.length} running`),
    ...s.papersRunning.map((p) => row('', p)),
    row('cost', `${usd(s.costUsd)} of $${s.budgetUsd} budget`),
  );
  if (running) lines.push(...controlLines(s));
  lines.push(row('steering', s.steering.length ? `${s.steering.length} note(s)` : 'none'));
  lines.push(...steeringLines(s.steering));
  return lines;
}

/** A short description of a workflow's result (campaign or paper outcome). */
function outcomeLines(result: unknown): string[] {
  if (!result || typeof result !== 'object') return [];
  const r = result as {
    state?: string;
    reason?: string;
    pdfKey?: string;
    review?: { overall: number; decision: string };
    cost?: { costUsd: number };
    papers?: { paperId: string; state: string }[];
  };
  const lines: string[] = [];
  if (r.state) lines.push(row('outcome', `${r.state}${r.reason ? ` (${r.reason})` : ''}`));
  if (r.review) lines.push(row('review', `overall ${r.review.overall} → ${r.review.decision}`));
  if (r.pdfKey) lines.push(row('pdf', r.pdfKey));
  if (r.papers) for (const p of r.papers) lines.push(row('paper', `${p.paperId}: ${p.state}`));
  if (r.cost) lines.push(row('total cost', usd(r.cost.costUsd)));
  return lines;
}

export function formatStatus(r: StatusReport): string {
  const sa = r.searchAttributes;
  const lines = [`${r.workflowId}  (${r.kind ?? r.type}, ${r.execution})`];
  const running = r.execution === 'running';
  if (r.status?.kind === 'paper') lines.push(...paperLines(r.status, running));
  else if (r.status?.kind === 'campaign') lines.push(...campaignLines(r.status, running));
  else {
    if (r.statusNote) lines.push(row('note', `${r.statusNote}; showing the server's records`));
    const title = r.memo?.ideaTitle ?? r.memo?.title;
    if (typeof title === 'string') lines.push(row('idea', title));
    if (sa.stage) lines.push(row('stage', sa.stage));
    if (sa.costUsd !== undefined) lines.push(row('cost', usd(sa.costUsd)));
  }
  if (sa.template) lines.push(row('template', sa.template));
  if (sa.models) lines.push(row('models', sa.models));
  if (sa.campaign && sa.campaign !== r.workflowId) lines.push(row('campaign', sa.campaign));
  if (sa.score !== undefined || sa.decision)
    lines.push(
      row('score', `${sa.score?.toFixed(1) ?? '-'} ${sa.decision ? `(${sa.decision})` : ''}`.trim()),
    );
  for (const a of running ? r.pendingActivities : [])
    lines.push(
      row(
        'activity',
        `${a.type} attempt ${a.attempt}${a.lastFailure ? `, last failure: ${a.lastFailure}` : ''}`,
      ),
    );
  lines.push(...outcomeLines(r.result));
  if (r.failure) lines.push(row('failure', r.failure));
  lines.push(row('started', r.startTime));
  if (r.closeTime) lines.push(row('closed', r.closeTime));
  lines.push(row('ui', r.uiUrl));
  return lines.join('\n');
}

/** One line per campaign, for `run --follow`. */
export function campaignLine(id: string, s: CampaignStatus): string {
  const flags = [s.paused ? 'PAUSED' : '', s.cancelling ? 'CANCELLING' : ''].filter(Boolean).join(' ');
  return `[campaign ${id}] ${s.stage}: ${s.step} | ideas ${s.ideas} | papers done ${s.papersDone}, running ${s.papersRunning.length} | ${usd(s.costUsd)} of $${s.budgetUsd}${flags ? ` | ${flags}` : ''}`;
}

/** One line per paper, for `run --follow`. */
export function paperLine(label: string, s: PaperStatus): string {
  const flags = [s.paused ? 'PAUSED' : '', s.cancelling ? 'CANCELLING' : ''].filter(Boolean).join(' ');
  return `  [paper ${label}] ${s.stage}: ${s.step} | runs ${s.runsDone}/${s.maxRuns} | ${usd(s.costUsd)}${flags ? ` | ${flags}` : ''}`;
}
