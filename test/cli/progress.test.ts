/**
 * `scientist run --follow`'s display: the in-place redraw (ANSI cursor moves) for a terminal and
 * plain changed lines otherwise, first on fixed input, then following a real campaign (stub
 * activities, real server) through its `status` queries.
 */
import { followProgress } from '../../cli/run';
import { ChangedLines, ESC, LiveBlock, renderBlock, type FollowState } from '../../cli/progress';
import { type CampaignStatus, DEFAULT_PAPER_SETTINGS, type PaperStatus, SA } from '../../contracts';
import { suiteConfig, uniqueId } from '../harness';
import { oneIdeaCampaign } from '../harness/campaign';
import { gatedStubWorkers, waitFor } from './helpers';

/** A stream that records what was written, as a terminal (or not) of a given width. */
function fakeOut(isTTY: boolean, columns = 160) {
  const writes: string[] = [];
  return { writes, isTTY, columns, write: (s: string) => writes.push(s), text: () => writes.join('') };
}

/** What a terminal would show after the writes: applies the three escape sequences we use. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  // eslint-disable-next-line no-control-regex
  for (const tok of text.split(/(\x1b\[\d*F|\x1b\[2K|\x1b\[J|\n)/)) {
    if (!tok) continue;
    const up = /^\x1b\[(\d+)F$/.exec(tok); // eslint-disable-line no-control-regex
    if (up) row = Math.max(0, row - Number(up[1]));
    else if (tok === ESC.clearLine) lines[row] = '';
    else if (tok === ESC.clearDown) lines.length = row + 1;
    else if (tok === '\n') {
      row++;
      lines[row] ??= '';
    } else lines[row] = (lines[row] ?? '') + tok;
  }
  return lines.filter((l, i) => l !== '' || i < lines.length - 1);
}

const campaign = (over: Partial<CampaignStatus> = {}): CampaignStatus => ({
  kind: 'campaign',
  stage: 'papers',
  step: 'running papers',
  ideas: 2,
  ranked: [],
  awaitingApproval: false,
  skipped: [],
  papersDone: 0,
  papersRunning: ['paper-c1-alpha'],
  costUsd: 0.0123,
  budgetUsd: 200,
  paused: false,
  cancelling: false,
  steering: [],
  ...over,
});
const paper = (over: Partial<PaperStatus> = {}): PaperStatus => ({
  kind: 'paper',
  stage: 'experiments',
  step: 'run 2 attempt 1: train',
  runsDone: 1,
  maxRuns: 5,
  run: 2,
  attempt: 1,
  costUsd: 0.04,
  budgetUsd: 50,
  paused: false,
  cancelling: false,
  skipped: [],
  steering: [],
  ideaTitle: 'On alpha',
  ...over,
});

describe('progress display', () => {
  const state = (c: CampaignStatus, papers: FollowState['papers']): FollowState => ({
    campaignId: 'c1',
    campaign: c,
    papers,
    startedAt: 0,
    now: 75_000,
  });

  it('redraws its block in place: up to the first line, each line cleared, the rest cleared', () => {
    const out = fakeOut(true, 120);
    const block = new LiveBlock(out);
    block.render(renderBlock(state(campaign(), [{ id: 'paper-c1-alpha', label: 'alpha', status: paper() }])));
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0]!.startsWith(ESC.clearLine)).toBe(true); // nothing to go up to yet
    expect(screen(out.text())).toEqual([
      'campaign c1  papers: running papers · papers 1 running, 0 done · $0.0123 of $200 · 1m15s',
      '  alpha   experiments  run 2/5 #1   $0.0400  run 2 attempt 1: train',
    ]);
    // Same content: nothing written. New content: cursor up 2 lines, then the new block.
    block.render(renderBlock(state(campaign(), [{ id: 'paper-c1-alpha', label: 'alpha', status: paper() }])));
    expect(out.writes).toHaveLength(1);
    block.render(
      renderBlock(
        state(campaign({ papersRunning: [], papersDone: 1, paused: true }), [
          {
            id: 'paper-c1-alpha',
            label: 'alpha',
            status: paper(),
            finished: { execution: 'completed', stage: 'done', score: 6.5, decision: 'Accept', costUsd: 0.2 },
          },
        ]),
      ),
    );
    expect(out.writes[1]!.startsWith(`${ESC.up(2)}${ESC.clearLine}`)).toBe(true);
    expect(out.writes[1]!.endsWith(ESC.clearDown)).toBe(true);
    expect(screen(out.text())).toEqual([
      'campaign c1  papers: running papers · papers 0 running, 1 done · $0.0123 of $200 · 1m15s · PAUSED',
      '  alpha   done         completed · score 6.5 Accept  $0.2000',
    ]);
  });

  it('cuts lines to the terminal width so that wrapping never breaks the redraw', () => {
    const out = fakeOut(true, 40);
    new LiveBlock(out).render(['x'.repeat(100), 'short']);
    expect(screen(out.text())).toEqual([`${'x'.repeat(38)}…`, 'short']);
  });

  it('prints a plain line per workflow only when it changed', () => {
    const out = fakeOut(false);
    const lines = new ChangedLines(out);
    lines.render(
      new Map([
        ['a', 'one'],
        ['b', 'two'],
      ]),
    );
    lines.render(
      new Map([
        ['a', 'one'],
        ['b', 'three'],
      ]),
    );
    expect(out.text()).toBe('one\ntwo\nthree\n');
  });
});

describe('run --follow on a real campaign', () => {
  const config = suiteConfig('cli-follow');

  async function followCampaign(isTTY: boolean) {
    const workers = await gatedStubWorkers(config, ['alpha']);
    const campaignId = uniqueId('follow');
    const paperId = `paper-${campaignId}-alpha`;
    try {
      const input = oneIdeaCampaign(
        config,
        { ...DEFAULT_PAPER_SETTINGS, seeds: 1, maxRuns: 3, citationRounds: 1, reviewers: 1, fast: true },
        { parallelism: 1 },
      );
      const handle = await workers.client.workflow.start('campaignWorkflow', {
        workflowId: campaignId,
        taskQueue: config.temporal.taskQueue,
        args: [input],
        typedSearchAttributes: [{ key: SA.kind, value: 'campaign' }],
      });
      const out = fakeOut(isTTY);
      const follow = followProgress(workers.client, campaignId, false, out, 200);
      // While the paper waits in its first run, the display shows it there.
      await workers.waitHeld(paperId);
      const atRun1 = await waitFor('the paper at run 1 on the display', async () => {
        const text = isTTY ? screen(out.text()).join('\n') : out.text();
        return /alpha.*experiments.*run 1/.test(text) ? text : undefined;
      });
      workers.release(paperId);
      await handle.result();
      await follow.stop();
      return { atRun1, final: out.text() };
    } finally {
      await workers.close();
    }
  }

  it('in a terminal: one block, redrawn, ending on the finished paper', async () => {
    const { atRun1, final } = await followCampaign(true);
    expect(atRun1).toMatch(/^campaign follow-\S+ {2}papers: /);
    expect(atRun1).toMatch(/\n {2}alpha {3}experiments {2}run 1\/3 #1 {3}\$0\.\d{4} {2}run 1/);
    const shown = screen(final);
    // The block stayed two lines: redrawn in place, never appended.
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatch(/^campaign follow-\S+ {2}done: completed · papers 0 running, 1 done/);
    expect(shown[1]).toMatch(/^ {2}alpha {3}done {9}completed/);
    expect(final).toContain(ESC.up(2));
  });

  it('not a terminal: plain lines, no escape sequences', async () => {
    const { atRun1, final } = await followCampaign(false);
    expect(atRun1).toMatch(/\[paper alpha\] experiments: .*run 1.* \| runs 0\/3 \| \$0\.\d{4}/);
    expect(final).not.toContain('\x1b');
    expect(final).toMatch(/\[campaign follow-\S+\] done: completed/);
    expect(final).toMatch(/\[paper alpha\] finished \(completed\): done/);
  });
});
