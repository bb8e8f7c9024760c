/**
 * Replays histories recorded from a real end-to-end campaign (test/replay/histories) against the
 * current workflow code: a change that would break running workflows fails here, before deploy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { installRuntimeLogger } from '../../lib/temporal';
import { workflowBundlePath } from '../harness/paths';

const ids = JSON.parse(readFileSync(path.join(__dirname, 'histories', 'ids.json'), 'utf8')) as Record<
  string,
  string
>;
const history = (name: string): unknown =>
  JSON.parse(readFileSync(path.join(__dirname, 'histories', name), 'utf8'));

describe('replay of recorded histories', () => {
  beforeAll(() => installRuntimeLogger('WARN'));

  it.each([
    ['campaignWorkflow', 'campaign.json'],
    ['paperWorkflow', 'paper-1.json'],
  ])('%s replays %s deterministically', async (_type, file) => {
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: workflowBundlePath() } },
      history(file),
      ids[file],
    );
  });
});
