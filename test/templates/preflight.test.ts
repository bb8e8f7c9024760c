/**
 * Templates written the AI Scientist's way (test/templates/fixtures/user), named by path and
 * stored as the CLI stores them, through the campaign's preflight on the real services
 * (Temporal, S3, Docker, the LaTeX sandbox) with the model behind a local OpenAI-compatible
 * server: a template that works passes the preflight (its LaTeX skeleton compiles, its baseline
 * runs, in fast mode where it has one) and only then is the model asked; a broken one ends the
 * campaign `preflight-failed` with its own error, at $0, and the model server sees no request.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { storeTemplate } from '../../activities/experiments/template-source';
import { sandboxImage } from '../../sandbox';
import { derivedTag } from '../../sandbox/images/derived';
import { DEFAULT_CAMPAIGN_SETTINGS, DEFAULT_PAPER_SETTINGS, artifactsQuery } from '../../contracts';
import type { CampaignInput, CampaignOutcome, campaignWorkflow } from '../../workflows';
import { startTestWorkers, suiteConfig, suiteStore, uniqueId, type TestWorkers } from '../harness';
import { FakeLlmServer, reply } from '../llm/fake-llm-server';
import { fakeModelSuiteConfig } from './fake-model';
import { FIXTURES, TEMPLATES_DIR } from './helpers';

const USER = path.join(FIXTURES, 'user');
const MODEL = 'preflight-model';
const tmpDirs: string[] = [];

let llm: FakeLlmServer;
let config: ReturnType<typeof suiteConfig>;
/** Model requests wait here until the test has looked (the campaign is terminated meanwhile). */
const waiting: (() => void)[] = [];

beforeAll(async () => {
  llm = await FakeLlmServer.start();
  llm.fallback = () => new Promise((resolve) => waiting.push(() => resolve(reply.contextLength())));
  config = fakeModelSuiteConfig('preflight', llm, MODEL);
});

/** Fresh workers for each campaign (a worker that has shut down does not start again). */
async function withWorkers<T>(fn: (w: TestWorkers) => Promise<T>): Promise<T> {
  const workers = await startTestWorkers(config);
  try {
    return await workers.run(() => fn(workers));
  } finally {
    await workers.close();
  }
}

afterAll(async () => {
  waiting.forEach((go) => go());
  await llm?.close();
  tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A copy of a fixture in a temp folder (outside the checkout), optionally changed. */
function copyOf(fixture: string, change?: (dir: string) => void): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tpl-preflight-'));
  tmpDirs.push(root);
  const dir = path.join(root, path.basename(fixture));
  cpSync(path.isAbsolute(fixture) ? fixture : path.join(USER, fixture), dir, { recursive: true });
  change?.(dir);
  return dir;
}

function input(template: string, templateKey: string, fast = true): CampaignInput {
  return {
    template,
    templateKey,
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings: {
      ...DEFAULT_CAMPAIGN_SETTINGS,
      ideas: 1,
      papers: 1,
      paper: { ...DEFAULT_PAPER_SETTINGS, seeds: 1, fast },
    },
  };
}

/** A broken template: the campaign's outcome, and how many model requests it caused. */
async function brokenCampaign(dir: string): Promise<{ outcome: CampaignOutcome; requests: number }> {
  const before = llm.requests.length;
  const stored = await storeTemplate(suiteStore(config), dir);
  // The template's identity: the content hash of its stored copy.
  expect(stored.templateKey).toMatch(/^cas\/workspace\/[0-9a-f]{64}$/);
  const outcome = await withWorkers((workers) =>
    workers.client.workflow.execute<typeof campaignWorkflow>('campaignWorkflow', {
      workflowId: `campaign-${stored.info.name}-${uniqueId('broken')}`,
      taskQueue: config.temporal.taskQueue,
      args: [input(stored.info.name, stored.templateKey)],
    }),
  );
  return { outcome, requests: llm.requests.length - before };
}

/**
 * A working template: the campaign passes its preflight and asks the model for its first idea;
 * returns the baseline's final_info.json (from the campaign's artifacts) and the first request.
 */
async function workingCampaign(
  dir: string,
  fast = true,
): Promise<{
  finalInfo: Record<string, { means: Record<string, number> }>;
  firstStep: string;
}> {
  const store = suiteStore(config);
  const stored = await storeTemplate(store, dir);
  const before = llm.requests.length;
  const workflowId = `campaign-${stored.info.name}-${uniqueId('ok')}`;
  return withWorkers(async (workers) => {
    const handle = await workers.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input(stored.info.name, stored.templateKey, fast)],
    });
    const deadline = Date.now() + 240_000;
    while (llm.requests.length === before) {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING')
        throw new Error(`${workflowId} ended ${d.status.name}: ${JSON.stringify(await handle.result())}`);
      if (Date.now() > deadline) throw new Error(`${workflowId}: no model request after the preflight`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const { keys } = await handle.query(artifactsQuery);
    await handle.terminate('test: the preflight passed and the model was asked');
    const first = llm.requests[before]!;
    return {
      finalInfo: await store.getJson(keys.baseline!),
      firstStep: JSON.stringify(first.body).slice(0, 20_000),
    };
  });
}

describe('preflight: a broken template costs nothing', () => {
  test('hard-coded CUDA on a worker without a GPU: "needs a GPU", $0, no model request', async () => {
    const { outcome, requests } = await brokenCampaign(copyOf('cuda-only'));
    expect(outcome.state).toBe('preflight-failed');
    expect(outcome.reason).toContain(
      `template cuda-only needs a GPU; no worker serving ${config.temporal.gpuTaskQueue} has one`,
    );
    expect(outcome.cost.costUsd).toBe(0);
    expect(outcome.cost.calls).toBe(0);
    expect(outcome.ideas).toEqual([]);
    expect(requests).toBe(0);
  }, 300_000);

  test('a template the worker cannot load (no such folder in templates/): its problem, $0, no model request', async () => {
    const before = llm.requests.length;
    const outcome = await withWorkers((workers) =>
      workers.client.workflow.execute<typeof campaignWorkflow>('campaignWorkflow', {
        workflowId: `campaign-missing-${uniqueId('broken')}`,
        taskQueue: config.temporal.taskQueue,
        args: [{ ...input('no-such-template-anywhere', ''), templateKey: undefined }],
      }),
    );
    expect(outcome.state).toBe('preflight-failed');
    expect(outcome.reason).toContain('the folder does not exist or is not a directory');
    expect(outcome.cost.calls).toBe(0);
    expect(llm.requests.length - before).toBe(0);
  }, 300_000);

  test('a LaTeX skeleton that does not compile: TeX’s own error, $0, no model request', async () => {
    const dir = copyOf('no-fast', (d) => {
      const tex = path.join(d, 'latex', 'template.tex');
      writeFileSync(
        tex,
        readFileSync(tex, 'utf8').replace('\\maketitle', '\\maketitle\n\\notACommandAnywhere'),
      );
    });
    const { outcome, requests } = await brokenCampaign(dir);
    expect(outcome.state).toBe('preflight-failed');
    expect(outcome.reason).toContain('its LaTeX skeleton latex/template.tex does not compile');
    expect(outcome.reason).toContain('notACommandAnywhere');
    expect(outcome.cost.costUsd).toBe(0);
    expect(requests).toBe(0);
  }, 300_000);

  test('a baseline that crashes: its own traceback, $0, no model request', async () => {
    const dir = copyOf('no-fast', (d) =>
      writeFileSync(
        path.join(d, 'experiment.py'),
        readFileSync(path.join(d, 'experiment.py'), 'utf8').replace(
          'STEPS = 150',
          'STEPS = 150\nraise SystemExit("the baseline refuses: " + str(1 / 0))',
        ),
      ),
    );
    const { outcome, requests } = await brokenCampaign(dir);
    expect(outcome.state).toBe('preflight-failed');
    expect(outcome.reason).toContain("the template's baseline failed");
    expect(outcome.reason).toContain('ZeroDivisionError');
    expect(requests).toBe(0);
  }, 300_000);
});

describe('preflight: templates written for the AI Scientist pass it, then the model is asked', () => {
  test('argparse in a helper module; fast mode from template.json (--steps 25)', async () => {
    const { finalInfo, firstStep } = await workingCampaign(copyOf('helper-args'));
    expect(finalInfo.noisy_line!.means.steps).toBe(25);
    expect(finalInfo.noisy_line!.means.final_loss).toBeLessThan(0.5);
    expect(firstStep).toContain('research idea');
  }, 300_000);

  test('a data file over 2 MiB is stored, mounted read-only and read by the baseline', async () => {
    const points = (3 * 1024 * 1024) / 8; // float32 (x, y) pairs: 3 MiB
    const dir = copyOf('large-data', (d) => {
      const xy = new Float32Array(points * 2);
      for (let i = 0; i < points; i++) {
        xy[2 * i] = (i / points) * 2 - 1;
        xy[2 * i + 1] = 3 * xy[2 * i]! - 1;
      }
      writeFileSync(path.join(d, 'data', 'points.f32'), Buffer.from(xy.buffer));
    });
    const { finalInfo } = await workingCampaign(dir);
    expect(finalInfo.points!.means.n_points).toBe(points);
    expect(finalInfo.points!.means.slope).toBeCloseTo(3, 3);
    // Mounted read-only from the worker's data cache, not copied into /work.
    expect(finalInfo.points!.means.data_read_only).toBe(1);
  }, 300_000);

  test('the shipped nanogpt: its data folder mounted read-only, the fast baseline trains on it', async () => {
    const { finalInfo } = await workingCampaign(copyOf(path.join(TEMPLATES_DIR, 'nanogpt')));
    expect(finalInfo.fables!.means.final_val_loss).toBeGreaterThan(0);
    expect(finalInfo.fables!.means.final_val_loss).toBeLessThan(
      finalInfo.fables!.means.final_train_loss! * 3,
    );
  }, 400_000);

  test('no fast mode: runs with its own defaults', async () => {
    const { finalInfo } = await workingCampaign(copyOf('no-fast'));
    expect(finalInfo.noisy_line!.means.steps).toBe(150);
  }, 300_000);
});

describe('preflight: a template that needs a package the base image lacks', () => {
  test('einops in requirements.txt: the derived image is built once and a second campaign does not rebuild it', async () => {
    const docker = new Docker({ socketPath: config.docker.socketPath });
    const baseId = ((await docker.getImage(sandboxImage(config)).inspect()) as { Id: string }).Id;
    const tag = derivedTag(baseId, ['einops'], config.sandbox.pipIndexUrl);
    // Our own image (named by the hash of our fixture's requirements): removed so the first campaign builds it.
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
    const first = await workingCampaign(copyOf('einops-needed'), true);
    expect(first.finalInfo.line!.means.slope).toBeCloseTo(2, 6);
    const built = (await docker.getImage(tag).inspect()) as { Id: string };
    const buildLog = await suiteStore(config).getText(`cache/images/${tag.replace(/[:/]/g, '-')}/build.log`);
    expect(buildLog).toContain('Successfully installed einops');
    // Base packages satisfy their names: nothing but pip and einops was downloaded.
    expect(
      [...buildLog.matchAll(/Saved \S*\/([^/\s]+\.whl)/g)].map((m) => m[1]!.split('-')[0]).sort(),
    ).toEqual(['einops', 'pip']);
    console.log(`derived image: ${/built \S+ in [\d.]+ s/.exec(buildLog)?.[0]}`);

    // Not fast this time: the baseline is not in the cache, so it runs, in the same image.
    const second = await workingCampaign(copyOf('einops-needed'), false);
    expect(second.finalInfo.line!.means.slope).toBeCloseTo(2, 6);
    expect(((await docker.getImage(tag).inspect()) as { Id: string }).Id).toBe(built.Id);
  }, 600_000);
});
