/**
 * The progress display of `scientist run --follow`: one block per campaign, a line per paper
 * (stage, run, cost, step), redrawn in place with ANSI cursor moves when stdout is a terminal,
 * and plain lines (one whenever something changes) when it is not.
 */
import type { CampaignStatus, PaperStatus } from '../contracts';
import { campaignLine, paperLine, usd } from './format';

/** What the display knows about one paper. */
export interface PaperProgress {
  id: string;
  /** Short name for the line: the idea name. */
  label: string;
  status?: PaperStatus;
  /** Set once the paper left the campaign's running list. */
  finished?: { execution: string; stage?: string; score?: number; decision?: string; costUsd?: number };
}

export interface FollowState {
  campaignId: string;
  campaign?: CampaignStatus;
  /** In the order the papers started. */
  papers: PaperProgress[];
  startedAt: number;
  now: number;
  /** Set when the last status query failed (e.g. the first workflow task has not run yet). */
  waiting?: string;
}

/** The idea name from `paper-<campaign>-<idea>`. */
export function paperLabel(campaignId: string, paperId: string): string {
  const prefix = `paper-${campaignId}-`;
  return paperId.startsWith(prefix) ? paperId.slice(prefix.length) : paperId;
}

function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  return h
    ? `${h}h${String(m % 60).padStart(2, '0')}m`
    : m
      ? `${m}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

/** The block a terminal shows: a header line and one aligned line per paper. */
export function renderBlock(st: FollowState): string[] {
  const c = st.campaign;
  const flags = c
    ? [c.paused ? 'PAUSED' : '', c.cancelling ? 'CANCELLING' : ''].filter(Boolean).join(' ')
    : '';
  const head = c
    ? `campaign ${st.campaignId}  ${c.stage}: ${c.step} · papers ${c.papersRunning.length} running, ${c.papersDone} done · ${usd(c.costUsd)} of $${c.budgetUsd} · ${elapsed(st.now - st.startedAt)}${flags ? ` · ${flags}` : ''}`
    : `campaign ${st.campaignId}  ${st.waiting ?? 'starting'} · ${elapsed(st.now - st.startedAt)}`;
  const width = Math.max(6, ...st.papers.map((p) => p.label.length));
  const lines = [head];
  for (const p of st.papers) {
    const name = p.label.padEnd(width);
    if (p.finished) {
      const f = p.finished;
      const score =
        f.score === undefined ? '' : ` · score ${f.score.toFixed(1)}${f.decision ? ` ${f.decision}` : ''}`;
      lines.push(
        `  ${name}  ${(f.stage ?? f.execution).padEnd(11)}  ${f.execution}${score}  ${usd(f.costUsd ?? p.status?.costUsd)}`,
      );
    } else if (p.status) {
      const s = p.status;
      const run =
        s.run === undefined
          ? `runs ${s.runsDone}/${s.maxRuns}`
          : `run ${s.run}/${s.maxRuns}${s.attempt ? ` #${s.attempt}` : ''}`;
      const flag = s.cancelling ? ' CANCELLING' : s.paused ? ' PAUSED' : '';
      lines.push(`  ${name}  ${s.stage.padEnd(11)}  ${run.padEnd(11)}  ${usd(s.costUsd)}  ${s.step}${flag}`);
    } else {
      lines.push(`  ${name}  starting`);
    }
  }
  if (c?.awaitingApproval)
    lines.push(
      `  waiting for approval: scientist approve ${st.campaignId} <idea...>  (${c.ranked.map((r) => r.name).join(', ')})`,
    );
  return lines;
}

/** The lines a log shows (not a terminal): one per workflow, printed when it changes. */
export function renderLines(st: FollowState): Map<string, string> {
  const out = new Map<string, string>();
  if (st.campaign) out.set(st.campaignId, campaignLine(st.campaignId, st.campaign));
  for (const p of st.papers) {
    if (p.finished)
      out.set(
        p.id,
        `  [paper ${p.label}] finished (${p.finished.execution}): ${p.finished.stage ?? '?'}${p.finished.score === undefined ? '' : `, score ${p.finished.score}${p.finished.decision ? ` ${p.finished.decision}` : ''}`}`,
      );
    else if (p.status) out.set(p.id, paperLine(p.label, p.status));
  }
  return out;
}

/** The part of a stream the display uses (process.stdout, or a fake in tests). */
export interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export const ESC = {
  /** Cursor to the start of the line `n` lines up. */
  up: (n: number) => `\x1b[${n}F`,
  clearLine: '\x1b[2K',
  /** Clear from the cursor to the end of the screen. */
  clearDown: '\x1b[J',
};

/** Redraws a block of lines in place: up to the block's first line, overwrite, clear the rest. */
export class LiveBlock {
  private drawn = 0;
  private last = '';

  constructor(private readonly out: Out) {}

  render(lines: string[]): void {
    const width = Math.max(20, (this.out.columns || 100) - 1);
    // A line wider than the terminal would wrap and break the count of lines to go up.
    const fitted = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    const text = fitted.join('\n');
    if (text === this.last) return;
    this.last = text;
    let s = this.drawn ? ESC.up(this.drawn) : '';
    for (const l of fitted) s += `${ESC.clearLine}${l}\n`;
    s += ESC.clearDown;
    this.out.write(s);
    this.drawn = fitted.length;
  }
}

/** Prints a workflow's line whenever it differs from the last one printed. */
export class ChangedLines {
  private readonly last = new Map<string, string>();

  constructor(private readonly out: Out) {}

  render(lines: Map<string, string>): void {
    for (const [id, line] of lines) {
      if (this.last.get(id) === line) continue;
      this.last.set(id, line);
      this.out.write(`${line}\n`);
    }
  }
}

/**
 * Runs `tick` every `everyMs` until stopped; `stop()` ends the wait at once and takes one last
 * look (bounded to 3 s), so a display ends on the final state.
 */
export function pollUntilStopped(tick: () => Promise<void>, everyMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let wake: () => void = () => undefined;
  const loop = (async () => {
    while (!stopped) {
      await tick();
      await new Promise<void>((r) => {
        const t = setTimeout(r, everyMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
      await Promise.race([tick(), new Promise((r) => setTimeout(r, 3000).unref())]);
    },
  };
}
