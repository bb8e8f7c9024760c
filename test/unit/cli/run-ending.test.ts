import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { SA } from '../../../contracts';
import { pagesOfText } from '../../../cli/paper-files';
import { endingExitCode, formatEnding, type RunEnding } from '../../../cli/run-ending';
import { formatDuration, stageTimes } from '../../../cli/stage-times';
import type { CampaignOutcome, PaperOutcome } from '../../../workflows';

const T0 = Date.UTC(2026, 11, 2, 0, 0, 0);
const stageFields = (stage: string) => ({
  indexedFields: { [SA.stage.name]: defaultPayloadConverter.toPayload(stage) },
});
const started = (s: number, stage: string) => ({
  eventTime: msToTs(T0 + s * 1000),
  workflowExecutionStartedEventAttributes: { searchAttributes: stageFields(stage) },
});
const upsert = (s: number, stage: string) => ({
  eventTime: msToTs(T0 + s * 1000),
  upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: stageFields(stage) },
});
const other = (s: number) => ({ eventTime: msToTs(T0 + s * 1000) });
const completed = (s: number) => ({
  eventTime: msToTs(T0 + s * 1000),
  workflowExecutionCompletedEventAttributes: {},
});

describe('stage times from a history', () => {
  it('times each stage from its upsert to the next, and gives the final mark no time', () => {
    const times = stageTimes([
      started(0, 'baseline'),
      other(5),
      upsert(30, 'experiments'),
      upsert(40, 'experiments'), // a cost update in the same stage
      upsert(100, 'writeup'),
      upsert(160, 'done'),
      completed(161),
    ]);
    expect(times).toEqual([
      { stage: 'baseline', ms: 30_000 },
      { stage: 'experiments', ms: 70_000 },
      { stage: 'writeup', ms: 60_000 },
    ]);
  });

  it('adds up a stage entered twice, and runs an open workflow until now', () => {
    const times = stageTimes(
      [started(0, 'review'), upsert(10, 'improve'), upsert(25, 'review')],
      T0 + 40_000,
    );
    expect(times).toEqual([
      { stage: 'review', ms: 25_000 },
      { stage: 'improve', ms: 15_000 },
    ]);
  });

  it('ends the last stage at the close when no final mark was made', () => {
    expect(stageTimes([started(0, 'compile'), { ...completed(12) }])).toEqual([
      { stage: 'compile', ms: 12_000 },
    ]);
  });

  it('formats durations as a person reads them', () => {
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(65_000)).toBe('1 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
  });
});

describe('the ending of scientist run', () => {
  it('counts pages by pdftotext form feeds', () => {
    expect(pagesOfText('page one\fpage two\fpage three\f')).toBe(3);
    expect(pagesOfText('')).toBe(0);
  });

  const paper = (over: Partial<PaperOutcome> = {}): PaperOutcome => ({
    paperId: 'paper-x',
    idea: { name: 'warmup', title: 'Warmup and grokking' } as PaperOutcome['idea'],
    state: 'completed',
    runs: [],
    review: { overall: 3, decision: 'Reject', scores: { originality: 2 }, metaKey: 'k' },
    cost: { costUsd: 0, calls: 25, inputTokens: 71_275, outputTokens: 8_855 },
    costByStage: {},
    degraded: [{ part: 'abstract', reason: 'typeset as plain text' }],
    ...over,
  });
  const campaign = (
    papers: PaperOutcome[],
    state: CampaignOutcome['state'] = 'completed',
  ): CampaignOutcome => ({
    campaignId: 'campaign-x',
    template: 'grokking',
    ideas: [],
    papers,
    cost: { costUsd: 0, calls: 30, inputTokens: 1, outputTokens: 1 },
    costByStage: {},
    state,
  });
  const ending = (pdf: string | undefined, outcome = paper()): RunEnding => ({
    campaignTimes: [{ stage: 'ideation', ms: 65_000 }],
    papers: [
      {
        outcome,
        files: { dir: '/o/paper-x', pdf, figures: ['val_loss.png'], pages: 8 },
        times: [{ stage: 'experiments', ms: 300_000 }],
      },
    ],
  });

  it('prints where the PDF is, its pages, the review, cost, stage times and what degraded', () => {
    const text = formatEnding('campaign-x', campaign([paper()]), ending('/o/paper-x/paper.pdf'));
    expect(text).toContain('/o/paper-x/paper.pdf (8 pages, 1 figure(s) in figures/)');
    expect(text).toContain('overall 3 → Reject; originality 2');
    expect(text).toContain('25 model calls, 71275 in / 8855 out tokens');
    expect(text).toContain('experiments 5 min');
    expect(text).toContain('ideation 1 min 5 s');
    expect(text).toContain('degraded  abstract: typeset as plain text');
  });

  it('says what the figure critique did, or why it was skipped', () => {
    const note = 'figure critique skipped: local:smollm2-135m-instruct-q4_1 takes no images';
    const skipped = paper({ figureCritique: { status: 'skipped', note, needsFix: 0, critiqued: 0 } });
    const text = formatEnding('campaign-x', campaign([skipped]), ending('/o/p.pdf', skipped));
    expect(text).toContain(`figures   ${note}`);
    expect(formatEnding('campaign-x', campaign([paper()]), ending('/o/p.pdf'))).not.toContain(
      'figure critique',
    );
  });

  it('exits 0 only when the campaign completed and every paper has a PDF', () => {
    expect(endingExitCode(campaign([paper()]), ending('/o/p.pdf'))).toBe(0);
    expect(endingExitCode(campaign([paper()]), ending(undefined))).toBe(1);
    expect(endingExitCode(campaign([paper()], 'over-budget'), ending('/o/p.pdf'))).toBe(1);
    expect(endingExitCode(campaign([]), { campaignTimes: [], papers: [] })).toBe(1);
  });
});
