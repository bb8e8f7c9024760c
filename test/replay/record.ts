/**
 * Records the histories of a finished campaign and its first paper into test/replay/histories
 * (the CLI's JSON format), for the replay test:
 *   npx tsx test/replay/record.ts <campaign workflow id>
 * Record again, and commit, only with a workflow change that is meant to be incompatible and is
 * guarded by `patched()` for the runs already in flight.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadProcessConfig } from '../../lib/config';
import { TOOLS_BIN } from '../../infra/dev/services';

const config = loadProcessConfig();
const show = (id: string): string =>
  execFileSync(
    path.join(TOOLS_BIN, 'temporal'),
    ['workflow', 'show', '-w', id, '-o', 'json', '--address', config.temporal.address],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  ).toString();

const campaignId = process.argv[2];
if (!campaignId) throw new Error('usage: record.ts <campaign workflow id>');
const campaign = show(campaignId);
const child = /"workflowId":\s*"(paper-[^"]+)"/.exec(campaign)?.[1];
if (!child) throw new Error(`${campaignId} started no paper`);
writeFileSync(path.join(__dirname, 'histories', 'campaign.json'), campaign);
writeFileSync(path.join(__dirname, 'histories', 'paper-1.json'), show(child));
// Replay needs the original ids: child workflow ids derive from the campaign's.
writeFileSync(
  path.join(__dirname, 'histories', 'ids.json'),
  JSON.stringify({ 'campaign.json': campaignId, 'paper-1.json': child }, null, 2) + '\n',
);
console.log(`recorded ${campaignId} and ${child}`);
