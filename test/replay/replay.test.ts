/**
 * Replays histories recorded from real end-to-end campaigns (test/replay/histories) against the
 * current workflow code: a change that would break running workflows fails here, before deploy.
 * campaign.json and paper-1.json were recorded before the patches below, so they prove that the
 * unpatched paths still replay; campaign-patched.json and paper-patched.json (record-patched.ts,
 * first recording) took the patched paths of their day, and campaign-patched-2.json and
 * paper-patched-2.json (its second) those added since: the seeds, the citation check, the fix
 * round that degrades, the template's plots as fallback and a paper started without
 * prepareWorkspace. A recorded history is never re-recorded: each proves a version of the code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { installRuntimeLogger } from '../../lib/temporal';
import { workflowBundlePath } from '../harness/paths';
import { HISTORY_MARKERS, patchIds } from './patches';

const ids = JSON.parse(readFileSync(path.join(__dirname, 'histories', 'ids.json'), 'utf8')) as Record<
  string,
  string
>;
const text = (name: string): string => readFileSync(path.join(__dirname, 'histories', name), 'utf8');

describe('replay of recorded histories', () => {
  beforeAll(() => installRuntimeLogger('WARN'));

  it.each([
    ['campaignWorkflow', 'campaign.json'],
    ['paperWorkflow', 'paper-1.json'],
    ['campaignWorkflow', 'campaign-patched.json'],
    ['paperWorkflow', 'paper-patched.json'],
    ['campaignWorkflow', 'campaign-patched-2.json'],
    ['paperWorkflow', 'paper-patched-2.json'],
  ])('%s replays %s deterministically', async (_type, file) => {
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: workflowBundlePath() } },
      JSON.parse(text(file)) as unknown,
      ids[file],
    );
  });

  it.each(Object.entries(HISTORY_MARKERS))(
    '%s took the patched paths it was recorded for',
    (file, markers) => {
      expect(patchIds(text(file))).toEqual(expect.arrayContaining([...markers]));
    },
  );

  it('the older histories predate the patches they must not take', () => {
    expect(patchIds(text('campaign.json'))).toEqual([]);
    expect(patchIds(text('paper-1.json'))).not.toContain('paper-integrity');
    expect(patchIds(text('paper-patched.json'))).not.toContain('paper-seeds');
    // The old paper history still calls prepareWorkspace; the new one does not.
    expect(text('paper-patched.json')).toContain('"prepareWorkspace"');
    expect(text('paper-patched-2.json')).not.toContain('"prepareWorkspace"');
  });
});
