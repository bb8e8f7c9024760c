/** `scientist status` for a paper: the figure critique's note, when the paper has one. */
import { formatStatus } from '../../../cli/format';
import type { StatusReport } from '../../../cli/status-report';
import type { PaperStatus } from '../../../contracts';

const status = (over: Partial<PaperStatus> = {}): PaperStatus => ({
  kind: 'paper',
  stage: 'writeup',
  step: 'abstract: draft',
  runsDone: 1,
  maxRuns: 2,
  costUsd: 0,
  budgetUsd: 5,
  paused: false,
  cancelling: false,
  skipped: [],
  steering: [],
  ideaTitle: 'Warmup and grokking',
  ...over,
});
const report = (s: PaperStatus): StatusReport => ({
  workflowId: 'paper-x',
  runId: 'r',
  type: 'paperWorkflow',
  execution: 'running',
  startTime: '2026-12-02T00:00:00Z',
  status: s,
  searchAttributes: {},
  pendingActivities: [],
  uiUrl: 'http://ui',
});

test('a paper’s status says what the figure critique did, or why it was skipped', () => {
  const note = 'figure critique skipped: local:smollm2-135m-instruct-q4_1 takes no images';
  expect(
    formatStatus(report(status({ figureCritique: { status: 'skipped', note, needsFix: 0, critiqued: 0 } }))),
  ).toContain(`figures     ${note}`);
  expect(formatStatus(report(status()))).not.toContain('figure critique');
});
