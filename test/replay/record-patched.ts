/**
 * Records a campaign and its paper that take the patched paths added since campaign.json and
 * paper-1.json were recorded, into test/replay/histories, for the replay test:
 *   npx tsx test/replay/record-patched.ts             (runs the campaign, then records it)
 *   npx tsx test/replay/record-patched.ts --from <id>  (records a campaign that ran before)
 * It writes campaign-patched-2.json and paper-patched-2.json (and their ids in ids.json); a
 * recorded history is never written again: campaign-patched.json and paper-patched.json are this
 * script's first recording (commit fd6fbce), before the seeds, the citation check, the fix round
 * that degrades and paper-no-prepare-workspace.
 * The campaign runs on the real services (the dev services must be up: `npm run services up`)
 * with the e2e suite's scripted model and the local literature server, on a copy of grokking
 * whose template.json says `"gpu": true`:
 * - campaign-template-preflight: the preflight (LaTeX skeleton, baseline) before any model call;
 * - campaign-gpu-routing: the template needs a GPU, so the preflight asks whether a worker polls
 *   the GPU queue's @cuda queue and the runs go there (a SCIENTIST_GPU_COUNT=1 worker group over a
 *   sandbox that drops the GPU request: this machine has none);
 * - campaign-run-undecided: both novelty rounds only search, so the idea stays undecided and
 *   runs because the settings allow it (runUndecided);
 * - paper-no-prepare-workspace: the paper starts from the template's key;
 * - paper-seeds: 2 seeds, so the baseline and run_1 run once more each and their seeds are merged;
 * - template-plots-fallback, figure-critique: no edit of plot.py applies ("No edit."), so the
 *   template's plot.py makes the figures, and the critique (skipped: the local model takes no
 *   images) still runs;
 * - paper-integrity, integrity-citations, integrity-fix-degrades: the setup section names a V100
 *   the runs never had, the claim check flags it, and the fix round's model call is refused, so
 *   the paper degrades instead of failing;
 * - paper-degradations, review-threshold-recorded: the compile loop and the review.
 * Record with committed workflow code (e.g. from `git archive HEAD`), so that what the history
 * proves is what the repository holds.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import type { LlmProvider } from '../../activities/llm/types';
import { storeTemplate } from '../../activities/experiments/template-source';
import { DEFAULT_PAPER_SETTINGS } from '../../contracts';
import { TOOLS_BIN } from '../../infra/dev/services';
import { loadProcessConfig, type Config } from '../../lib/config';
import { InvalidInputError } from '../../lib/errors';
import { PROJECT_ROOT } from '../../lib/paths';
import { connectClient, installRuntimeLogger } from '../../lib/temporal';
import { createWorker, realDeps } from '../../workers/create-worker';
import type { CampaignOutcome } from '../../workflows';
import { suiteStore, uniqueId } from '../harness';
import { oneIdeaCampaign, scholarSuiteConfig } from '../harness/campaign';
import { warmupScript } from '../harness/warmup-script';
import { ScriptedProvider } from '../llm/scripted-provider';
import { FakeScholarServer } from '../literature/fake-scholar-server';
import { HISTORY_MARKERS, patchIds } from './patches';

const HISTORIES = path.join(__dirname, 'histories');

/** What this recording's model says where the e2e suite's says otherwise: it is asked first. */
const OWN_STEPS = /plots\/edit-\d|writeup\/experimental_setup\//;

/**
 * The e2e suite's script, except that novelty never decides (the idea stays undecided), no edit
 * of plot.py applies, the setup section claims a GPU and the integrity fix round is refused.
 */
function script(): LlmProvider {
  const warmup = warmupScript({
    novelty: [
      {
        step: /novelty\/warmup_grokking\/round-\d/,
        reply: { thought: 'Search more.', decision: 'search', query: 'grokking warmup' },
        times: Infinity,
      },
    ],
    integrity: [
      {
        step: /integrity\/citations/,
        reply: { verdicts: [{ id: 1, verdict: 'supported' }] },
        times: Infinity,
      },
      {
        step: /integrity\/.*fix/,
        reply: () => {
          throw new InvalidInputError('the model server refused the request (planted by record-patched.ts)');
        },
        times: Infinity,
      },
    ],
  });
  const own = new ScriptedProvider([
    { step: /plots\/edit-\d/, reply: 'No edit.', times: Infinity },
    {
      step: /writeup\/experimental_setup\//,
      reply: 'All runs were trained on an NVIDIA V100 GPU.',
      times: Infinity,
    },
  ]);
  return {
    name: warmup.name,
    complete: (req) => (OWN_STEPS.test(req.meta.step ?? '') ? own.complete(req) : warmup.complete(req)),
  };
}

/** Deps whose sandbox runs a GPU-slot run without its GPU request (this machine has no GPU). */
function withoutGpuRequests(deps: ActivityDeps): ActivityDeps {
  const sandbox = deps.sandbox;
  return {
    ...deps,
    sandbox: {
      run: (spec) => sandbox.run({ ...spec, gpuDeviceIds: undefined }),
      reapOrphans: () => sandbox.reapOrphans(),
      ...(sandbox.describeImage ? { describeImage: (image) => sandbox.describeImage!(image) } : {}),
    },
  };
}

const show = (config: Config, id: string): string =>
  execFileSync(
    path.join(TOOLS_BIN, 'temporal'),
    ['workflow', 'show', '-w', id, '-o', 'json', '--address', config.temporal.address],
    { maxBuffer: 256 * 1024 * 1024 },
  ).toString();

/** The files this recording writes, and the patch markers each history must hold. */
const RECORDING = {
  campaign: { file: 'campaign-patched-2.json', markers: [...HISTORY_MARKERS['campaign-patched-2.json']] },
  paper: { file: 'paper-patched-2.json', markers: [...HISTORY_MARKERS['paper-patched-2.json']] },
};

/** Writes the campaign's history and its first paper's, after checking they hold the patches. */
function record(config: Config, workflowId: string, paperId: string): void {
  const histories: [string, string, { file: string; markers: string[] }][] = [
    [workflowId, show(config, workflowId), RECORDING.campaign],
    [paperId, show(config, paperId), RECORDING.paper],
  ];
  const idsFile = path.join(HISTORIES, 'ids.json');
  const ids = JSON.parse(readFileSync(idsFile, 'utf8')) as Record<string, string>;
  for (const [id, history, { file, markers }] of histories) {
    if (existsSync(path.join(HISTORIES, file)))
      throw new Error(`${file} is recorded already: a recorded history is never written again`);
    const found = patchIds(history);
    const missing = markers.filter((m) => !found.includes(m));
    if (missing.length)
      throw new Error(`${id}: no ${missing.join(', ')} marker (it has ${found.join(', ')})`);
    console.log(`${id}: patches ${found.join(', ')}`);
  }
  for (const [id, history, { file }] of histories) {
    writeFileSync(path.join(HISTORIES, file), history);
    ids[file] = id;
  }
  writeFileSync(idsFile, JSON.stringify(ids, null, 2) + '\n');
  console.log(`recorded ${workflowId} and ${paperId}`);
}

async function main(): Promise<void> {
  installRuntimeLogger('WARN');
  const from = process.argv.indexOf('--from');
  if (from > 0) {
    const id = process.argv[from + 1];
    if (!id) throw new Error('usage: record-patched.ts [--from <campaign workflow id>]');
    const config = loadProcessConfig();
    const child = /"workflowId":\s*"(paper-[^"]+)"/.exec(show(config, id))?.[1];
    if (!child) throw new Error(`${id} started no paper`);
    return record(config, id, child);
  }
  const scholar = new FakeScholarServer();
  await scholar.start();
  const config = scholarSuiteConfig('record-patched', scholar);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-record-'));
  const closers: (() => Promise<void>)[] = [];
  try {
    const bundle = path.join(tmp, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(PROJECT_ROOT, 'workflows') });
    writeFileSync(bundle, code);

    // grokking, as a user's copy that says it needs a GPU.
    const dir = path.join(tmp, 'grokking');
    cpSync(path.join(PROJECT_ROOT, 'templates', 'grokking'), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'template.json'), 'utf8')) as object;
    writeFileSync(path.join(dir, 'template.json'), JSON.stringify({ ...manifest, gpu: true }, null, 2));
    const stored = await storeTemplate(suiteStore(config), dir);

    const deps = { ...realDeps(config), llmProvider: script() };
    const hostConfig: Config = { ...config, gpu: { count: 1, cpuSlots: 1 } };
    const made = [
      await createWorker({ config, role: 'main', deps, workflowBundlePath: bundle }),
      await createWorker({ config, role: 'gpu', deps }),
      await createWorker({ config: hostConfig, role: 'gpu', deps: withoutGpuRequests(realDeps(hostConfig)) }),
    ];
    for (const m of made) closers.push(() => m.connection.close());
    const client = await connectClient(config);
    closers.push(() => client.connection.close());

    const workflowId = `campaign-grokking-${uniqueId('patched')}`;
    const input = {
      ...oneIdeaCampaign(
        config,
        {
          ...DEFAULT_PAPER_SETTINGS,
          seeds: 2,
          maxRuns: 2,
          maxRunAttempts: 2,
          maxPlotAttempts: 2,
          citationRounds: 2,
          compileRounds: 3,
          reviewers: 2,
          reviewReflections: 1,
          fast: true,
        },
        { noveltyRounds: 2, runUndecided: true },
      ),
      templateKey: stored.templateKey,
    };
    const t0 = Date.now();
    const outcome = await made.reduce<() => Promise<CampaignOutcome>>(
      (inner, m) => () => m.worker.runUntil(inner),
      () =>
        client.workflow.execute('campaignWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
        }),
    )();
    const paper = outcome.papers[0];
    console.log(
      `${workflowId}: ${outcome.state} in ${Math.round((Date.now() - t0) / 1000)} s; paper ${paper?.paperId} ${paper?.state} (${paper?.reason ?? ''})`,
    );
    if (outcome.state !== 'completed' || !paper || paper.state !== 'completed')
      throw new Error(`the campaign did not complete a paper: ${JSON.stringify(outcome).slice(0, 2000)}`);

    record(config, workflowId, paper.paperId);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await scholar.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
