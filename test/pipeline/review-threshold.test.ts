/**
 * A paper's decision records the threshold it was calibrated on and the benchmark run that
 * threshold came from: from the config's review settings (SCIENTIST_REVIEW_THRESHOLD and its
 * source, as `scientist bench-reviewer apply-threshold` writes them) through the campaign
 * settings to the paper workflow's review outcome. Paper workflow on the real dev server, stub
 * activities.
 */
import { campaignSettings } from '../../cli/run';
import { loadConfig } from '../../lib/config';
import type { PaperOutcome } from '../../workflows';
import { suiteConfig, uniqueId } from '../harness';
import { fakePorts } from './fake-ports';
import { withStubPaper } from './stub-paper';

const config = suiteConfig('review-threshold');

async function runPaper(review: ReturnType<typeof loadConfig>['review'], overall: number) {
  const settings = {
    ...campaignSettings({ template: 'grokking', quick: true, fast: true }, review).paper,
    maxRuns: 1,
  };
  return withStubPaper(
    config,
    fakePorts({ overall }),
    settings,
    async (client, input) =>
      (await client.workflow.execute('paperWorkflow', {
        workflowId: uniqueId('paper-threshold'),
        taskQueue: config.temporal.taskQueue,
        args: [input],
      })) as PaperOutcome,
  );
}

describe('the review decision threshold a paper used', () => {
  it('is the fitted one from the review settings, with the benchmark run it came from', async () => {
    const review = loadConfig({
      SCIENTIST_REVIEW_THRESHOLD: '7.5',
      SCIENTIST_REVIEW_THRESHOLD_SOURCE: 'bench-reviewer-offline-smollm2-30',
    }).review;
    const outcome = await runPaper(review, 7);
    expect(outcome.state).toBe('completed');
    // 7 is below the fitted 7.5: Reject (at the default 6 it would have been Accept).
    expect(outcome.review).toMatchObject({
      overall: 7,
      decision: 'Reject',
      threshold: 7.5,
      thresholdSource: 'bench-reviewer-offline-smollm2-30',
    });
  });

  it('is the default with no source when nothing was fitted', async () => {
    const outcome = await runPaper(loadConfig({}).review, 7);
    expect(outcome.review).toMatchObject({ overall: 7, decision: 'Accept', threshold: 6 });
    expect(outcome.review).not.toHaveProperty('thresholdSource');
  });
});
