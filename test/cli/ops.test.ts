/**
 * The operator CLI as a person runs it: `bin/scientist …` as a real child process, against the
 * real dev server and S3 store, talking to the production campaign and paper workflows served by
 * stub-activity workers in this process. A stub activity (the first experiment run) blocks until
 * the test lets it go, so the workflows stay running while the CLI inspects and steers them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PROJECT_ROOT } from '../../lib/paths';
import {
  type CampaignStatus,
  DEFAULT_CAMPAIGN_SETTINGS,
  DEFAULT_PAPER_SETTINGS,
  type PaperStatus,
  SA,
} from '../../contracts';
import type { CampaignInput, PaperInput, PaperOutcome } from '../../workflows';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { gatedStubWorkers, waitFor, type GatedWorkers } from './helpers';

const config = suiteConfig('cli');
const store = suiteStore(config);
/** What the CLI child gets: the suite's queues and key prefix, as the harness gives its workers. */
const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  SCIENTIST_TASK_QUEUE: config.temporal.taskQueue,
  SCIENTIST_GPU_TASK_QUEUE: config.temporal.gpuTaskQueue,
  SCIENTIST_S3_PREFIX: config.s3.prefix,
  SCIENTIST_LOG_LEVEL: 'warn',
};

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}
const timings: { args: string; ms: number }[] = [];

/** Runs `bin/scientist args…` and collects its output (asynchronously: the workers here keep polling). */
function cli(args: string[], env: NodeJS.ProcessEnv = childEnv): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PROJECT_ROOT, 'bin', 'scientist'), args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Date.now() - started;
      timings.push({ args: args.join(' '), ms });
      resolve({ code, stdout, stderr, ms });
    });
  });
}

/** `cli(…)` that must succeed, with its stdout parsed as JSON. */
async function cliJson<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`scientist ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

let workers: GatedWorkers;
let client: Client;
const started: string[] = [];

const campaignId = uniqueId('cli-campaign');
const paperSettings = {
  ...DEFAULT_PAPER_SETTINGS,
  seeds: 1,
  maxRuns: 3,
  citationRounds: 1,
  reviewers: 1,
  fast: true,
};

/** A paper started the way a campaign starts it: search attributes and memo included. */
async function startPaper(name: string): Promise<string> {
  const workflowId = `paper-${campaignId}-${name}-${uniqueId('p').slice(-6)}`;
  const input: PaperInput = {
    campaignId,
    template: 'grokking',
    templateKey: 'templates/grokking/manifest.json',
    idea: {
      name,
      title: `On ${name}`,
      key: `ideas/${name}.json`,
      interestingness: 6,
      feasibility: 7,
      novelty: 5,
    },
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings: paperSettings,
  };
  await client.workflow.start('paperWorkflow', {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: SA.kind, value: 'paper' },
      { key: SA.template, value: 'grokking' },
      { key: SA.campaign, value: campaignId },
    ],
    memo: { ideaTitle: input.idea.title },
  });
  started.push(workflowId);
  return workflowId;
}

const paperStatus = (id: string) => client.workflow.getHandle(id).query<PaperStatus>('status');

beforeAll(async () => {
  workers = await gatedStubWorkers(config);
  client = workers.client;
  // The baseline's log, at the key the stub run reports, so `logs` and `get` have bytes to fetch.
  await store.put('runs/run_0/log', 'step 1 loss 2.31\nstep 2 loss 1.97\nbaseline done\n');
});

afterAll(async () => {
  for (const id of started)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await workers?.close();
  const slowest = [...timings].sort((a, b) => b.ms - a.ms)[0];
  const mean = timings.reduce((s, t) => s + t.ms, 0) / Math.max(1, timings.length);
  console.log(
    `scientist CLI: ${timings.length} invocations, mean ${(mean / 1000).toFixed(1)} s, slowest ${((slowest?.ms ?? 0) / 1000).toFixed(1)} s (${slowest?.args})`,
  );
}, 60_000);

describe('scientist CLI against running workflows', () => {
  let paperId: string;

  beforeAll(async () => {
    paperId = await startPaper('alpha');
    await workers.waitHeld(paperId);
  }, 60_000);

  it('ls finds the paper by campaign, kind and stage (a visibility query), and a score filter excludes it', async () => {
    // Visibility is eventually consistent: wait until the server's index has the stage.
    const query = `ScientistCampaign = '${campaignId}' AND ScientistStage = 'experiments'`;
    await waitFor('the paper in visibility', async () =>
      (await client.workflow.count(query)).count > 0 ? true : undefined,
    );
    // Independent invocations run side by side (each is a Node process start).
    const [r, rows, scored] = await Promise.all([
      cli(['ls', '--campaign', campaignId, '--kind', 'paper', '--stage', 'experiments', '--verbose']),
      cliJson<{ workflowId: string; stage: string; status: string }[]>([
        'ls',
        '--campaign',
        campaignId,
        '--template',
        'grokking',
      ]),
      cliJson<unknown[]>(['ls', '--campaign', campaignId, '--min-score', '6']),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `query: ScientistKind = 'paper' AND ScientistCampaign = '${campaignId}' AND ScientistStage = 'experiments'`,
    );
    const row = r.stdout.split('\n').find((l) => l.startsWith(paperId));
    expect(row).toMatch(/paper\s+experiments\s+-\s+-\s+\$0\.\d{4}\s+running$/);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+KIND\s+STAGE\s+SCORE\s+DECISION\s+COST\s+STATUS$/);

    expect(rows.find((w) => w.workflowId === paperId)).toMatchObject({
      stage: 'experiments',
      status: 'running',
    });
    expect(scored).toEqual([]);
  });

  it('status shows stage, step, runs and cost; --json carries the query answer', async () => {
    const [r, j] = await Promise.all([
      cli(['status', paperId]),
      cliJson<{ status: PaperStatus; execution: string }>(['status', paperId]),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${paperId}  (paper, running)`);
    expect(r.stdout).toMatch(/stage\s+experiments: .*run 1/);
    expect(r.stdout).toMatch(/runs\s+run 1 of 3 \(attempt 1\), 0 of 3 done/);
    expect(r.stdout).toMatch(/cost\s+\$0\.\d{4} of \$50 budget/);
    expect(r.stdout).toMatch(/ui\s+http:\/\/.*\/workflows\//);
    expect(j.execution).toBe('running');
    expect(j.status).toMatchObject({
      kind: 'paper',
      stage: 'experiments',
      run: 1,
      attempt: 1,
      paused: false,
    });
  });

  it('pause, resume and steer change what the status query answers', async () => {
    let r = await cli(['pause', paperId, 'overnight', 'maintenance']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pause sent');
    await waitFor('paused', async () => ((await paperStatus(paperId)).paused ? true : undefined));
    const shown = await cli(['status', paperId]);
    expect(shown.stdout).toMatch(/paused\s+yes/);

    r = await cli(['resume', paperId]);
    expect(r.code).toBe(0);
    await waitFor('resumed', async () => ((await paperStatus(paperId)).paused ? undefined : true));

    const steer = await cliJson<{ signal: string }>([
      'steer',
      paperId,
      'stop tuning the learning rate,',
      'try weight decay',
    ]);
    expect(steer.signal).toBe('steer');
    const notes = await waitFor('the steering note', async () => {
      const s = await paperStatus(paperId);
      return s.steering.length ? s.steering : undefined;
    });
    expect(notes).toEqual([
      {
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        text: 'stop tuning the learning rate, try weight decay',
      },
    ]);
    expect((await cli(['status', paperId])).stdout).toContain(
      'stop tuning the learning rate, try weight decay',
    );
  });

  it('budget sets the budget through an update; a bad amount is a usage error', async () => {
    const [answer, bad] = await Promise.all([
      cliJson<{ budgetUsd: number; spentUsd: number }>(['budget', paperId, '12.5']),
      cli(['budget', paperId, 'ten']),
    ]);
    expect(answer.budgetUsd).toBe(12.5);
    expect(answer.spentUsd).toBeGreaterThan(0);
    expect((await paperStatus(paperId)).budgetUsd).toBe(12.5);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected a number > 0, got "ten"/);
  });

  it('skip records the stage; a stage that is not skippable is refused by commander', async () => {
    const [r, bad] = await Promise.all([cli(['skip', paperId, 'plots']), cli(['skip', paperId, 'baseline'])]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${paperId}: skips plots`);
    expect((await paperStatus(paperId)).skipped).toEqual(['plots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are experiments, plots, citations, review, improve/);
  });

  it("logs prints a run's log from the store; get downloads it and presigns URLs", async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'scientist-get-'));
    try {
      const [r, missing, got, urls] = await Promise.all([
        cli(['logs', paperId, '0']),
        cli(['logs', paperId, '7']),
        cliJson<{ items: { label: string; file?: string }[] }>([
          'get',
          paperId,
          '--only',
          'run_0/log',
          '--out',
          out,
        ]),
        cliJson<{ items: { label: string; url: string }[] }>([
          'get',
          paperId,
          '--only',
          'run_0/log',
          '--urls',
        ]),
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('step 1 loss 2.31\nstep 2 loss 1.97\nbaseline done\n');
      expect(r.stderr).toContain('run_0/log (runs/run_0/log)');
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/has no log for "7" yet; logs: run_0\/log/);
      expect(got.items).toEqual([
        { label: 'run_0/log', key: 'runs/run_0/log', file: path.join(out, paperId, 'run_0', 'log') },
      ]);
      expect(readFileSync(path.join(out, paperId, 'run_0', 'log'), 'utf8')).toContain('baseline done');
      const url = urls.items[0]!.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:8333\/.*X-Amz-Signature=/);
      expect(await (await fetch(url)).text()).toContain('baseline done');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('ui prints the Web UI link of the run', async () => {
    const r = await cliJson<{ url: string; runId: string }>(['ui', paperId]);
    expect(r.url).toBe(`${config.temporal.uiUrl}/namespaces/default/workflows/${paperId}/${r.runId}/history`);
  });

  it('cancel ends the paper `cancelled` once the running activity finishes; then messages are refused', async () => {
    // `cancel --wait` answers once the paper has ended: let its running activity finish meanwhile.
    const cancelling = cli(['cancel', paperId, 'enough', 'of this', '--wait', '--json']);
    await waitFor('cancelling', async () => ((await paperStatus(paperId)).cancelling ? true : undefined));
    workers.release(paperId);
    const r = await cancelling;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      workflowId: paperId,
      state: 'cancelling',
      stage: 'experiments',
      final: { state: 'cancelled' },
    });
    const outcome = (await client.workflow.getHandle(paperId).result()) as PaperOutcome;
    expect(outcome.state).toBe('cancelled');
    expect(outcome.reason).toContain('enough of this');

    const after = await cliJson<{ execution: string; result: { state: string } }>(['status', paperId]);
    expect(after.execution).toBe('completed');
    expect(after.result.state).toBe('cancelled');
    const late = await cli(['pause', paperId]);
    expect(late.code).toBe(5);
    expect(late.stderr).toContain(`${paperId} has already ended (completed)`);
  });
});

describe('scientist approve and skip on a campaign waiting at its approval gate', () => {
  it('rejects an unknown idea with the validator’s message, approves a known one, fans skip out', async () => {
    const input: CampaignInput = {
      template: 'grokking',
      gpuTaskQueue: config.temporal.gpuTaskQueue,
      settings: {
        ...DEFAULT_CAMPAIGN_SETTINGS,
        ideas: 2,
        ideaReflections: 1,
        noveltyRounds: 2,
        papers: 2,
        parallelism: 1,
        requireApproval: true,
        paper: paperSettings,
      },
    };
    await client.workflow.start('campaignWorkflow', {
      workflowId: campaignId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: SA.kind, value: 'campaign' },
        { key: SA.template, value: 'grokking' },
        { key: SA.campaign, value: campaignId },
      ],
    });
    started.push(campaignId);
    const handle = client.workflow.getHandle(campaignId);
    await waitFor('the approval gate', async () =>
      (await handle.query<CampaignStatus>('status')).awaitingApproval ? true : undefined,
    );
    const shown = await cli(['status', campaignId]);
    expect(shown.stdout).toMatch(/to approve\s+beta, alpha|to approve\s+alpha, beta/);

    const rejected = await cli(['approve', campaignId, 'gamma']);
    expect(rejected.code).toBe(5);
    expect(rejected.stderr).toContain(`${campaignId} rejected \`approveIdeas\`: unknown idea(s): gamma`);
    const rejectedJson = await cli(['approve', campaignId, 'gamma', '--json']);
    expect(JSON.parse(rejectedJson.stdout)).toMatchObject({ code: 'rejected' });

    const approved = await cliJson<{ approved: string[]; ignored: string[] }>([
      'approve',
      campaignId,
      'alpha',
    ]);
    expect(approved).toMatchObject({ approved: ['alpha'], ignored: [] });

    const paper = `paper-${campaignId}-alpha`;
    await waitFor('the approved paper at run 1', async () => (workers.held.has(paper) ? true : undefined));
    started.push(paper);
    const skip = await cliJson<{ answers: { workflowId: string; ok: boolean }[] }>([
      'skip',
      campaignId,
      'review',
    ]);
    expect(skip.answers).toEqual([
      expect.objectContaining({ workflowId: campaignId, ok: true }),
      expect.objectContaining({ workflowId: paper, ok: true }),
    ]);
    expect((await handle.query<CampaignStatus>('status')).skipped).toEqual(['review']);
    expect((await paperStatus(paper)).skipped).toEqual(['review']);
    workers.release(paper);
  });
});

describe('scientist errors', () => {
  it('an unknown id: a clear message and exit code 3', async () => {
    const id = uniqueId('no-such-paper');
    const [r, j] = await Promise.all([cli(['status', id]), cli(['pause', id, '--json'])]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(`scientist: no workflow with id ${id}; \`scientist ls\` lists them`);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout)).toEqual({
      error: `no workflow with id ${id}; \`scientist ls\` lists them`,
      code: 'notFound',
    });
  });

  it('a server that is down: says where it looked and how to start it, exit code 4', async () => {
    const port = await closedPort();
    const r = await cli(['ls'], { ...childEnv, SCIENTIST_TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`Temporal is not reachable at 127.0.0.1:${port}`);
    expect(r.stderr).toContain('npm run services -- up');
  });

  it('bad arguments: exit code 2 before anything is sent', async () => {
    const [r, id] = await Promise.all([cli(['ls', '--min-score', 'high']), cli(['status', "x' OR 1=1"])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected a number ≥ 0, got "high"');
    expect(id.code).toBe(2);
    expect(id.stderr).toContain('is not a workflow id');
  });
});

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
