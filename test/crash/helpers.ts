/**
 * Shared by the crash tests (test/crash/*.test.ts) and bench/crash.ts: real worker processes
 * (workers/main.ts, workers/gpu.ts) that are killed for real, private Temporal and S3 servers
 * (own ports, own data) that can be stopped without disturbing anyone else's, a fake
 * OpenAI-compatible LLM that answers every pipeline step by what the request asks, and audits of
 * a paper's artifacts and costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { createMainActivities } from '../../activities';
import { PriceTable } from '../../activities/llm/prices';
import type { Transcript } from '../../activities/llm/recorded';
import { startTemporal, stop as stopService, TOOLS_BIN } from '../../infra/dev/services';
import { loadProcessConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { PROJECT_ROOT } from '../../lib/paths';
import { minioClient, S3ArtifactStore } from '../../lib/store';
import { realDeps } from '../../workers/create-worker';
import { QUICK_PAPER_SETTINGS, type PaperSettings } from '../../contracts';
import type { PaperInput, PaperOutcome } from '../../workflows';
import { FakeLlmServer, type FakeReply, type FakeUsage, type RecordedRequest } from '../llm/fake-llm-server';
import { waitUntil } from './history';
import { editBlock, reviewForm } from '../harness/replies';

export { activitiesOf, completedByType, sleep, waitUntil, type ActivityRecord } from './history';

export function uniqueId(label: string): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

// ------------------------------------------------------------------ suite settings

/**
 * The quick profile in fast mode (`scientist run --quick --fast`), with every section refined
 * and one more compile round: more activities for the crash tests to kill a worker in.
 */
export const QUICK_PAPER: PaperSettings = {
  ...QUICK_PAPER_SETTINGS,
  fast: true,
  refineSections: true,
  compileRounds: 3,
};

export interface CrashSuite {
  /** The settings every process of the suite gets (worker processes read them from their env). */
  env: Record<string, string>;
  config: Config;
  store: S3ArtifactStore;
}

/**
 * Own task queues and key prefix (as test/harness suiteConfig), plus `overrides` (the fake LLM,
 * a private server's address), as environment for worker processes and as config for the test.
 */
export function crashSuite(name: string, overrides: Record<string, string> = {}): CrashSuite {
  const id = uniqueId(name);
  const env: Record<string, string> = {
    SCIENTIST_TASK_QUEUE: `test-${id}-main`,
    SCIENTIST_GPU_TASK_QUEUE: `test-${id}-gpu`,
    SCIENTIST_S3_PREFIX: `test/${id}/`,
    SCIENTIST_GPU_COUNT: '0',
    SCIENTIST_LOG_LEVEL: 'info',
    ...overrides,
  };
  const config = loadProcessConfig({ ...process.env, ...env, SCIENTIST_LOG_LEVEL: 'warn' });
  return { env, config, store: S3ArtifactStore.fromConfig(config) };
}

// ------------------------------------------------------------------ worker processes

export interface WorkerProc {
  name: string;
  role: 'main' | 'gpu';
  child: ChildProcess;
  /** Resolves once the worker polls its task queue. */
  polling: Promise<void>;
  exited: Promise<number | null>;
  output(): string;
}

const live = new Set<WorkerProc>();

/** Starts `workers/<role>.ts` as its own process group (node + tsx, as in production). */
export function startWorker(
  role: 'main' | 'gpu',
  env: Record<string, string>,
  name: string = role,
): WorkerProc {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('workers', `${role}.ts`)], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const append = (b: Buffer) => {
    out += b.toString();
    // Keep the tail only: a long test must not hold megabytes of worker logs.
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const w: WorkerProc = {
    name,
    role,
    child,
    exited,
    output: () =>
      out
        .split('\n')
        .map((l) => `[${name}] ${l}`)
        .join('\n'),
    polling: new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/polling \S+ on /.test(out)) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`${name} exited before polling (${code}):\n${out.slice(-3000)}`));
      });
    }),
  };
  void w.polling.catch(() => undefined);
  live.add(w);
  void exited.then(() => live.delete(w));
  return w;
}

/** A GPU worker and a main worker, once both poll: how every crash test starts. */
export async function startPollingWorkers(
  env: Record<string, string>,
  mainName = 'main',
): Promise<{ gpu: WorkerProc; main: WorkerProc }> {
  const gpu = startWorker('gpu', env, 'gpu');
  const main = startWorker('main', env, mainName);
  await Promise.all([gpu.polling, main.polling]);
  return { gpu, main };
}

/** SIGKILL to the worker's whole process group: no graceful shutdown, nothing flushed. */
export async function killWorker(w: WorkerProc): Promise<number> {
  const at = Date.now();
  try {
    process.kill(-w.child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await w.exited;
  return at;
}

/** SIGTERM (graceful shutdown); SIGKILL after `graceMs`. */
export async function stopWorker(w: WorkerProc, graceMs = 40_000): Promise<void> {
  try {
    process.kill(-w.child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-w.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await w.exited;
  clearTimeout(timer);
}

/** Kills every worker process this module started that is still running (test teardown). */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...live].map((w) => killWorker(w)));
}

// ------------------------------------------------------------------ private services

/**
 * A TCP port nobody listens on now, below the kernel's ephemeral range (32768 and up): a server
 * we stop and start again must find its port free, and an outgoing connection never takes one
 * of these meanwhile.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port below 32768');
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A Temporal dev server of our own (own ports, own SQLite file), started and stopped through
 * the same code as `npm run services` (infra/dev/services.ts).
 */
export class PrivateTemporal {
  private constructor(
    readonly config: Config,
    readonly dataDir: string,
  ) {}

  static async start(): Promise<PrivateTemporal> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ds-crash-temporal-'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const config = loadProcessConfig({
      ...process.env,
      SCIENTIST_DATA_DIR: dataDir,
      SCIENTIST_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      SCIENTIST_TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
    });
    const t = new PrivateTemporal(config, dataDir);
    await t.up();
    return t;
  }

  get address(): string {
    return this.config.temporal.address;
  }

  get dbFile(): string {
    return path.join(this.dataDir, 'temporal', 'temporal.db');
  }

  /** Starts the server on the same DB file; resolves once it answers (and its UI does). */
  async up(): Promise<void> {
    await startTemporal(this.config, createLogger('private-temporal', 'warn'));
  }

  /** Stops the server: SIGKILL (a crash) by default. */
  async down(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!(await stopService(this.config, 'temporal', signal)))
      throw new Error('the private Temporal server was not running');
  }

  async destroy(): Promise<void> {
    await stopService(this.config, 'temporal', 'SIGKILL').catch(() => false);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * An S3 server of our own: SeaweedFS started as infra/dev/services.ts starts the shared one, but
 * with every port of its own (S3, master, volume, filer, admin; gRPC ports are +10000) and its
 * own data folder, so stopping it touches nobody else's store.
 */
export class PrivateS3 {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly dir: string,
    readonly ports: { s3: number; master: number; volume: number; filer: number; admin: number },
    readonly accessKey: string,
    readonly secretKey: string,
  ) {}

  static async start(): Promise<PrivateS3> {
    const dir = mkdtempSync(path.join(tmpdir(), 'ds-crash-s3-'));
    // Five consecutive ports (and the same +10000 for gRPC) that nobody uses.
    for (let tries = 0; tries < 50; tries++) {
      // gRPC ports are +10000: all of them stay below the ephemeral range (see freePort).
      const base = 10_000 + Math.floor(Math.random() * 12_000);
      const all = [0, 1, 2, 3, 4].flatMap((i) => [base + i, base + i + 10_000]);
      if (!(await Promise.all(all.map(portFree))).every(Boolean)) continue;
      const s3 = new PrivateS3(
        dir,
        { s3: base, master: base + 1, volume: base + 2, filer: base + 3, admin: base + 4 },
        'crash-test',
        randomBytes(12).toString('hex'),
      );
      await s3.up();
      return s3;
    }
    throw new Error('no free ports for a private S3 server');
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.ports.s3}`;
  }

  /** Settings that point a process (or a config) at this server. */
  get env(): Record<string, string> {
    return {
      SCIENTIST_S3_ENDPOINT: this.endpoint,
      SCIENTIST_S3_ACCESS_KEY: this.accessKey,
      SCIENTIST_S3_SECRET_KEY: this.secretKey,
    };
  }

  get logFile(): string {
    return path.join(this.dir, 's3.log');
  }

  async up(): Promise<void> {
    const identities = path.join(this.dir, 'identities.json');
    writeFileSync(
      identities,
      JSON.stringify({
        identities: [
          {
            name: 'scientist',
            credentials: [{ accessKey: this.accessKey, secretKey: this.secretKey }],
            actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
          },
        ],
      }),
      { mode: 0o600 },
    );
    const data = path.join(this.dir, 'data');
    mkdirSync(data, { recursive: true });
    const fd = openSync(this.logFile, 'a');
    const p = this.ports;
    const child = spawn(
      path.join(TOOLS_BIN, 'weed'),
      [
        'mini',
        `-dir=${data}`,
        '-ip=127.0.0.1',
        '-ip.bind=127.0.0.1',
        `-s3.port=${p.s3}`,
        `-master.port=${p.master}`,
        `-volume.port=${p.volume}`,
        `-filer.port=${p.filer}`,
        `-admin.port=${p.admin}`,
        '-s3.port.iceberg=0',
        '-s3.port.lance=0',
        `-s3.config=${identities}`,
        '-webdav=false',
        '-admin.ui=false',
        '-master.telemetry=false',
      ],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.child = child;
    let failed: Error | undefined;
    child.once('error', (err) => (failed = err));
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const client = minioClient(
      loadProcessConfig({ ...process.env, ...this.env, SCIENTIST_S3_PREFIX: '' }).s3,
    );
    let exited = false;
    void this.exited.then(() => (exited = true));
    await waitUntil(
      `the private S3 server on ${this.endpoint} (log: ${this.logFile})`,
      async () => {
        if (failed) throw new Error(`cannot start the private S3 server: ${failed.message}`);
        if (exited)
          throw new Error(
            `the private S3 server exited:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`,
          );
        return client
          .listBuckets()
          .then(() => true)
          .catch(() => false);
      },
      90_000,
      300,
    );
  }

  /** Stops the server (SIGKILL: a crash) and waits until its process is gone. */
  async down(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child) return;
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      /* gone */
    }
    await this.exited;
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ the fake LLM, by step

/** The model every role uses in the crash tests, with a price so that costs are not zero. */
export const CRASH_MODEL = 'crash-model';
const PRICES = { [CRASH_MODEL]: { input: 3, output: 15, contextTokens: 128_000 } };

const SECTION_BY_TITLE: Record<string, string> = {
  abstract: 'abstract',
  Introduction: 'introduction',
  Background: 'background',
  Method: 'method',
  'Experimental Setup': 'experimental_setup',
  Results: 'results',
  'Conclusions and Future Work': 'conclusion',
  'Related Work': 'related_work',
};

export const PAPER_TITLE = 'Warmup Length and the Onset of Grokking';

const IDEA = {
  Name: 'warmup_length_onset',
  Title: 'Learning-Rate Warmup Length and the Onset of Grokking',
  Experiment:
    'Double the number of warmup steps and compare validation accuracy and the step of 99% accuracy.',
  Interestingness: 6,
  Feasibility: 9,
  Novelty: 6,
};

const REVIEW = reviewForm();

type Message = { role: string; content: string | { type: string; text?: string }[] };
const textOf = (m: Message | undefined) =>
  !m ? '' : typeof m.content === 'string' ? m.content : m.content.map((p) => p.text ?? '').join('\n');

/**
 * The pipeline step a chat request is for, read from its system prompt and question (the wire
 * format carries no step name): `experiments/run_1/edit`, `writeup/results/draft`, … Unknown
 * requests get `unknown` and fail loudly.
 */
export function stepOf(body: Record<string, unknown>): string {
  const messages = (body.messages ?? []) as Message[];
  // The system message is the system prompt, then the context parts (code, notes, the draft).
  const system = textOf(messages.find((m) => m.role === 'system' || m.role === 'developer')).split(
    '\n\n',
  )[0]!;
  const user = textOf([...messages].reverse().find((m) => m.role === 'user'));
  if (system.includes('change experiment code precisely'))
    return `experiments/run_${/--out_dir=run_(\d+)/.exec(user)?.[1] ?? '?'}/edit`;
  if (system.includes('precise lab notebook'))
    return `experiments/run_${/Run (\d+) just finished/.exec(user)?.[1] ?? '?'}/notes`;
  if (system.includes('clear, honest figures')) return 'plots/edit';
  if (system.includes('figure descriptions')) return 'plots/describe';
  // The final pass on title and abstract (its own system prompt, or the writer's with this ask).
  if (system.includes('polishing a paper') || /rewrite the title/i.test(user)) return 'writeup/all/refine';
  if (system.includes('writing a paper in LaTeX')) {
    const m = /\b(Write|Refine) the (.+?) section/.exec(user);
    const section = m ? (SECTION_BY_TITLE[m[2]!] ?? m[2]!) : '?';
    return `writeup/${section}/${m?.[1] === 'Refine' ? 'refine' : 'draft'}`;
  }
  if (system.includes('missing citations')) return 'writeup/citations/query';
  if (system.includes('choosing which papers to cite')) return 'writeup/citations/pick';
  if (system.includes('so that it compiles')) return 'compile/fix';
  if (system.includes('reviewing a paper'))
    return /check the review for accuracy/.test(user) ? 'review/reflection' : 'review/review';
  if (system.includes('area chair')) return 'review/meta';
  if (system.includes('checks whether an idea is novel')) return 'novelty/round';
  if (user.includes('Propose the next impactful')) return 'ideas/generate';
  if (/Round \d+ of reflection/.test(user)) return 'ideas/reflect';
  return 'unknown';
}

/** The tag (`r<n>`) a scripted reply carries, as "(r<n>)". */
export function tagOf(text: string): string | undefined {
  return /\((r\d+)\)/.exec(text)?.[1];
}

/** The scripted answer to a step; `tag` (e.g. "r17") makes every reply's text unique. */
export function answerFor(step: string, tag: string, body: Record<string, unknown>): FakeReply | undefined {
  const text = (t: string): FakeReply => ({ kind: 'text', text: t });
  const json = (v: unknown): FakeReply => ({ kind: 'text', text: JSON.stringify(v) });
  const user = textOf([...((body.messages ?? []) as Message[])].reverse().find((m) => m.role === 'user'));
  const section = /^writeup\/(\w+)\//.exec(step)?.[1];
  switch (step) {
    case 'ideas/generate':
      return json({ ...IDEA, Experiment: `${IDEA.Experiment} (${tag})` });
    case 'ideas/reflect':
      return json({ thought: `Clear and feasible (${tag}).`, idea: IDEA, done: true });
    case 'novelty/round':
      return json({ thought: `No paper varies only the warmup length (${tag}).`, decision: 'novel' });
    case 'experiments/run_1/edit':
      return text(
        `Plan (${tag}): run 1 doubles the warmup; that is the whole plan.\n\n` +
          editBlock(
            'experiment.py',
            'warmup_steps=10, steps_per_dataset=150',
            'warmup_steps=20, steps_per_dataset=150',
          ) +
          editBlock(
            'experiment.py',
            'DEFAULT_CHECKPOINT_EVERY = 50 if FAST else 1000',
            `# crash-test edit ${tag}\nDEFAULT_CHECKPOINT_EVERY = 50 if FAST else 1000`,
          ),
      );
    case 'experiments/run_1/notes':
      return text(`Run 1 doubled the warmup steps from 10 to 20 (${tag}).`);
    case 'plots/edit':
      return text(
        editBlock(
          'plot.py',
          '    "run_0": "Baseline",',
          `    "run_0": "Baseline",\n    "run_1": "Doubled warmup (${tag})",`,
        ),
      );
    case 'plots/describe':
      return text(`Each figure compares the baseline with the doubled warmup (${tag}).`);
    case 'writeup/abstract/draft':
    case 'writeup/abstract/refine':
    case 'writeup/all/refine':
      return text(
        `${PAPER_TITLE}\nWe study how the length of the learning-rate warmup changes grokking (${tag}).`,
      );
    case 'writeup/citations/query':
      return json({ done: true, description: `no important citation is missing (${tag})` });
    case 'writeup/citations/pick':
      return json({ selected: [], description: `nothing fits (${tag})` });
    case 'compile/fix':
      return text(`No change is needed (${tag}).`);
    case 'review/review':
    case 'review/meta':
      return json({ ...REVIEW, summary: `${REVIEW.summary} (${tag})` });
    case 'review/reflection':
      return json({ ...REVIEW, summary: `${REVIEW.summary} (${tag})`, done: true });
  }
  if (/^experiments\/run_\d+\/edit$/.test(step)) return text(`ALL_COMPLETED (${tag})`);
  if (section && section !== '?') {
    if (section === 'related_work') {
      const key = /exactly these keys:\n([^:\n]+):/.exec(user)?.[1];
      return text(
        key
          ? `Grokking was first reported by \\citet{${key}} (${tag}).`
          : `Related work is discussed in words (${tag}).`,
      );
    }
    return text(`We describe the ${section.replace('_', ' ')} of this study in plain words (${tag}).`);
  }
  return undefined;
}

export interface LabelledRequest {
  /** 1-based order of arrival at the server. */
  n: number;
  step: string;
  /** The reply's tag (`r<n>`), found in every artifact made from this reply. */
  tag: string;
  request: RecordedRequest;
  /** Characters of the reply text it was given (set once the answer is chosen). */
  replyChars?: number;
}

export interface Hold {
  /** Resolves when the held request arrives. */
  arrived: Promise<LabelledRequest>;
  /** Lets a held-back reply go (it is dropped if its client is gone). */
  release(): void;
}

/**
 * The fake OpenAI-compatible server (test/llm/fake-llm-server.ts) scripted for the paper
 * pipeline: each request is labelled with its step (stepOf) and answered (answerFor). `hold`
 * makes the next request of a step wait (`before`: no byte until released) or stream very
 * slowly (`stream`: one chunk a second), so a worker can be killed while it waits for a model.
 */
export class PipelineLlm {
  readonly calls: LabelledRequest[] = [];
  private readonly holds: {
    match: RegExp;
    mode: 'before' | 'stream';
    fired: boolean;
    resolve: (r: LabelledRequest) => void;
    released: Promise<void>;
  }[] = [];
  private releasers: (() => void)[] = [];
  readonly prices = new PriceTable(JSON.stringify(PRICES), createLogger('crash-prices', 'warn'));

  private constructor(readonly server: FakeLlmServer) {
    server.fallback = (req) => this.answer(req);
  }

  static async start(): Promise<PipelineLlm> {
    return new PipelineLlm(await FakeLlmServer.start());
  }

  /** Settings that route every role to this server. */
  get env(): Record<string, string> {
    return {
      SCIENTIST_LLM_DEFAULT: `openai:${CRASH_MODEL}`,
      SCIENTIST_OPENAI_BASE_URL: this.server.openaiBaseUrl,
      SCIENTIST_OPENAI_API_KEY: 'sk-crash-test',
      SCIENTIST_LLM_PRICES: JSON.stringify(PRICES),
      SCIENTIST_LLM_TIMEOUT_S: '600',
    };
  }

  hold(match: RegExp, mode: 'before' | 'stream' = 'before'): Hold {
    let resolve!: (r: LabelledRequest) => void;
    const arrived = new Promise<LabelledRequest>((r) => (resolve = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    this.releasers.push(release);
    this.holds.push({ match, mode, fired: false, resolve, released });
    return { arrived, release };
  }

  /** Lets every held reply go (teardown). */
  releaseAll(): void {
    this.releasers.forEach((r) => r());
  }

  /** Requests of a step (RegExp on the label). */
  of(step: RegExp): LabelledRequest[] {
    return this.calls.filter((c) => step.test(c.step));
  }

  /** What the provider would bill: the usage of every reply that was delivered whole. */
  billed(): { calls: number; inputTokens: number; outputTokens: number; costUsd: number } {
    const done = this.calls.filter((c) => c.request.outcome === 'completed');
    const sum = (f: (u: FakeUsage) => number) => done.reduce((s, c) => s + f(c.request.usage!), 0);
    return {
      calls: done.length,
      inputTokens: sum((u) => u.input),
      outputTokens: sum((u) => u.output),
      costUsd: done.reduce((s, c) => s + this.costOf(c.request.usage!), 0),
    };
  }

  costOf(u: FakeUsage): number {
    return this.prices.cost(
      { provider: 'openai', model: CRASH_MODEL },
      {
        inputTokens: u.input,
        cachedInputTokens: u.cached,
        cacheWriteTokens: u.cacheWrite,
        outputTokens: u.output,
      },
    );
  }

  async close(): Promise<void> {
    this.releaseAll();
    await this.server.close();
  }

  private async answer(req: RecordedRequest): Promise<FakeReply> {
    const n = this.calls.length + 1;
    const step = stepOf(req.body);
    const call: LabelledRequest = { n, step, tag: `r${n}`, request: req };
    this.calls.push(call);
    const reply = answerFor(step, call.tag, req.body);
    if (!reply)
      return {
        kind: 'error',
        status: 400,
        message: `the crash tests' LLM script has no answer for step "${step}": ${JSON.stringify(req.body.messages).slice(0, 300)}`,
      };
    if (reply.kind === 'text') call.replyChars = reply.text.length;
    const hold = this.holds.find((h) => !h.fired && h.match.test(step));
    if (!hold) return reply;
    hold.fired = true;
    hold.resolve(call);
    if (hold.mode === 'stream' && reply.kind === 'text') {
      // Long enough to stream for minutes at one 8-character chunk a second.
      // The tag goes first, so the part that arrives before the kill carries it.
      const text = `(${call.tag}) ${reply.text}\n${'We discuss this at length. '.repeat(30)}`;
      call.replyChars = text.length;
      return { ...reply, text, chunkDelayMs: 1000 };
    }
    await hold.released;
    return reply;
  }
}

// ------------------------------------------------------------------ the paper to run

/** A paper on the grokking template with its first seed idea, as a campaign would start it. */
export async function paperInput(config: Config, settings: PaperSettings = QUICK_PAPER): Promise<PaperInput> {
  const acts = createMainActivities(realDeps(config, 'crash-setup'));
  const campaignId = uniqueId('crash-campaign');
  const { templateKey } = await acts.loadTemplate({ campaignId, template: 'grokking' });
  const [idea] = await acts.seedIdeas({ campaignId, templateKey });
  return {
    campaignId,
    template: 'grokking',
    templateKey,
    idea: idea!,
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings,
  };
}

export async function startPaper(client: Client, config: Config, input: PaperInput): Promise<WorkflowHandle> {
  return client.workflow.start('paperWorkflow', {
    workflowId: uniqueId('paper-crash'),
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowExecutionTimeout: '40 minutes',
  });
}

// ------------------------------------------------------------------ artifact and cost audit

export interface PaperAudit {
  /** Every key under papers/<paperId>/, relative to it. */
  paperKeys: string[];
  /** LLM transcripts of the paper (key relative to papers/<paperId>/ → what they record). */
  transcripts: {
    key: string;
    costUsd: number;
    inputTokens: number;
    outputTokens: number;
    text: string;
    /** The tag of the reply it recorded (`r<n>`: the n-th request the fake LLM answered). */
    tag?: string;
    /** Attempts of this step cut off mid-reply, estimated by the retry that recorded it. */
    interrupted?: Transcript['interrupted'];
  }[];
  /** Distinct versions of each workspace file across every workspace snapshot of the suite. */
  fileVersions: Record<string, string[]>;
  /** Text of each draft version, by key relative to papers/<paperId>/. */
  drafts: Record<string, string>;
}

/**
 * Reads back what a paper left in the store. Content-addressed workspace snapshots make a step
 * that ran twice visible: every reply is unique (its tag), so a second edit, notes or figure
 * description would be a second version of that file.
 */
export async function auditPaper(store: S3ArtifactStore, paperId: string): Promise<PaperAudit> {
  const root = `papers/${paperId}/`;
  const paperKeys = (await store.list(root)).map((o) => o.key.slice(root.length)).sort();
  const transcripts: PaperAudit['transcripts'] = [];
  const drafts: Record<string, string> = {};
  for (const key of paperKeys.filter((k) => k.endsWith('.json'))) {
    const doc = await store.getJson<Record<string, unknown>>(root + key);
    if (typeof doc.requestHash === 'string') {
      const t = doc as unknown as Transcript;
      transcripts.push({
        key,
        costUsd: t.response.costUsd,
        inputTokens: t.response.usage.inputTokens,
        outputTokens: t.response.usage.outputTokens,
        text: t.response.text,
        tag: tagOf(t.response.text),
        interrupted: t.interrupted,
      });
    } else if (key.startsWith('writeup/') && 'sections' in doc) {
      drafts[key] = JSON.stringify(doc);
    }
  }
  const fileVersions: Record<string, Set<string>> = {};
  for (const m of await store.list('cas/workspace/')) {
    const manifest = await store.getJson<{ files: Record<string, string> }>(m.key);
    for (const [rel, blob] of Object.entries(manifest.files)) (fileVersions[rel] ??= new Set()).add(blob);
  }
  return {
    paperKeys,
    transcripts,
    drafts,
    fileVersions: Object.fromEntries(Object.entries(fileVersions).map(([k, v]) => [k, [...v]])),
  };
}

/** Sum of the transcripts' own replies (interrupted attempts not included): each counted once. */
export function transcriptSpend(a: PaperAudit): {
  calls: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
} {
  return {
    calls: a.transcripts.length,
    costUsd: a.transcripts.reduce((s, t) => s + t.costUsd, 0),
    inputTokens: a.transcripts.reduce((s, t) => s + t.inputTokens, 0),
    outputTokens: a.transcripts.reduce((s, t) => s + t.outputTokens, 0),
  };
}

/** The text of a file version (a cas/file key). */
export async function blobText(store: S3ArtifactStore, key: string): Promise<string> {
  return store.getText(key);
}

/** The outcome of a paper, with the worker logs attached when it failed. */
export async function paperResult(handle: WorkflowHandle, workers: WorkerProc[]): Promise<PaperOutcome> {
  try {
    return (await handle.result()) as PaperOutcome;
  } catch (err) {
    throw new Error(
      `paper ${handle.workflowId} failed: ${String(err)}\n${workers.map((w) => w.output().slice(-6000)).join('\n')}`,
    );
  }
}
