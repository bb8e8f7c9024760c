/**
 * The reviewer benchmark run (workflows/reviewer-benchmark.ts), started as `scientist
 * bench-reviewer run --follow` starts it (cli/bench-run.ts), on 20 papers of the real benchmark
 * data, reviewed through the review stage's activities by real worker processes against the fake
 * OpenAI-compatible server. The main worker is SIGKILLed while a review request waits at the
 * model; a new one takes over. Every paper's every step is answered once (only the killed request
 * is asked again), no finished paper is reviewed twice, the cost is what the server billed, and
 * the report, the ROC curve and the histograms are artifacts `scientist get` finds. A second run
 * with the same configuration reviews nothing: it finds every paper in the store. `apply-threshold`
 * then writes the run's fitted threshold and its id into an env file the config reads.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { readHumanRatings, resolveBenchDir } from '../../activities/review-bench';
import { artifactKeys } from '../../cli/artifacts';
import { applyFittedThreshold, runBenchmark, type BenchRunOptions } from '../../cli/bench-run';
import type { Out } from '../../cli/progress';
import { artifactsQuery } from '../../contracts';
import { PriceTable } from '../../activities/llm/prices';
import { loadConfig, parseEnvFile } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { connectClient } from '../../lib/temporal';
import { uniqueId } from '../harness';
import { reviewForm } from '../harness/replies';
import { FakeLlmServer, reply, type FakeReply, type RecordedRequest } from '../llm/fake-llm-server';
import { activitiesOf, completedByType } from './history';
import { crashSuite, type CrashSuite } from './suite';
import { killAllWorkers, killWorker, startWorker } from './worker-processes';

const DATA = path.resolve(__dirname, '../../../shared/review-bench');
const MODEL = 'bench-model';
const PRICES = { [MODEL]: { input: 3, output: 15, contextTokens: 16_000 } };
const PAPERS = 20;

type Message = { role: string; content: string | { type: string; text?: string }[] };
const textOf = (m: Message) =>
  typeof m.content === 'string' ? m.content : m.content.map((p) => p.text ?? '').join('\n');

interface Call {
  n: number;
  paperId: string;
  step: 'review' | 'reflection' | 'meta';
  request: RecordedRequest;
}

describe('reviewer benchmark run', () => {
  let server: FakeLlmServer;
  let suite: CrashSuite;
  let client: Client;
  const calls: Call[] = [];
  /** The first 60 characters of each paper's text → its id (how a request names its paper). */
  const fingerprints = new Map<string, string>();
  const accepted = new Map<string, boolean>();
  /** Papers in the order their first request arrived. */
  const order: string[] = [];
  /** The first review request of the `at`-th paper waits until released. */
  let hold: { at: number; arrived: (c: Call) => void; released: Promise<void> } | undefined;

  /** A deterministic score per paper that mostly agrees with the decision. */
  const scoreOf = (paperId: string) => {
    const h = createHash('sha256').update(paperId).digest()[0]!;
    return accepted.get(paperId) ? 5 + (h % 4) : 2 + (h % 5);
  };

  async function answer(req: RecordedRequest): Promise<FakeReply> {
    const messages = (req.body.messages ?? []) as Message[];
    const all = messages.map(textOf).join('\n');
    const system = textOf(messages[0]!);
    const step = system.includes('area chair')
      ? 'meta'
      : /check the review for accuracy/.test(all)
        ? 'reflection'
        : 'review';
    let paperId = /Review of paper (\S+?)\./.exec(all)?.[1];
    if (!paperId) for (const [fp, id] of fingerprints) if (all.includes(fp)) paperId = id;
    if (!paperId) return { kind: 'error', status: 400, message: `unknown paper: ${all.slice(0, 200)}` };
    const call: Call = { n: calls.length + 1, paperId, step, request: req };
    calls.push(call);
    const overall = scoreOf(paperId);
    const form = reviewForm({
      summary: `Review of paper ${paperId}. (${step} r${call.n})`,
      overall,
      decision: overall >= 6 ? 'Accept' : 'Reject',
    });
    if (!order.includes(paperId)) order.push(paperId);
    const h = hold;
    if (
      h &&
      order.length === h.at &&
      order[h.at - 1] === paperId &&
      calls.filter((c) => c.paperId === paperId).length === 1
    ) {
      hold = undefined;
      h.arrived(call);
      await h.released;
    }
    return reply.text(JSON.stringify(step === 'reflection' ? { ...form, done: true } : form));
  }

  beforeAll(async () => {
    server = await FakeLlmServer.start();
    server.fallback = (req) => answer(req);
    suite = crashSuite('bench-reviewer', {
      SCIENTIST_LLM_DEFAULT: `openai:${MODEL}`,
      SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
      SCIENTIST_OPENAI_API_KEY: 'sk-bench-test',
      SCIENTIST_LLM_PRICES: JSON.stringify(PRICES),
    });
    client = await connectClient(suite.config);
    const benchDir = resolveBenchDir(DATA);
    for (const p of (await readHumanRatings(benchDir)).papers) {
      accepted.set(p.paperId, p.accepted);
      const text = await readFile(path.join(benchDir, 'iclr_parsed', `${p.paperId}.txt`), 'utf8').catch(
        () => '',
      );
      if (text) fingerprints.set(text.slice(0, 60), p.paperId);
    }
  });
  afterAll(async () => {
    await killAllWorkers();
    await server?.close();
    await client?.connection.close();
  });

  const options = (name: string): BenchRunOptions => ({
    data: DATA,
    papers: PAPERS,
    reviewers: 2,
    reflections: 1,
    threshold: 6,
    concurrency: 3,
    name: uniqueId(`bench-${name}`),
    seed: '1',
    trainFraction: 0.5,
    follow: true,
    model: `openai:${MODEL}`,
  });

  it(
    'reviews 20 papers, survives a worker SIGKILL without reviewing a finished paper twice, and stores the report and figures',
    async () => {
      const t0 = Date.now();
      const printed: string[] = [];
      const out: Out = { write: (s: string) => printed.push(s), isTTY: false };
      const main1 = startWorker('main', suite.env, 'main-1');
      await main1.polling;

      // The 8th paper's first review request waits at the model; the worker dies meanwhile.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const heldCall = new Promise<Call>((arrived) => (hold = { at: 8, arrived, released }));
      const run = runBenchmark(suite.config, options('crash'), out);
      const held = await Promise.race([
        heldCall,
        run.then(() => {
          throw new Error('the run ended before the 8th paper was reviewed');
        }),
      ]);
      const finishedBeforeKill = await suite.store.list('papers/bench-');
      const recordedBefore = new Set(
        finishedBeforeKill
          .filter((o) => o.key.endsWith('/review/bench/result.json'))
          .map((o) => /papers\/bench-[0-9a-f]{12}-(.+)\/review\/bench\/result\.json$/.exec(o.key)![1]!),
      );
      await killWorker(main1);
      const callsAtKill = calls.length;
      release();
      const main2 = startWorker('main', suite.env, 'main-2');
      const { workflowId, outcome } = await run;
      expect(outcome).toBeDefined();
      const o = outcome!;
      const wallS = (Date.now() - t0) / 1000;

      // ---- the run completed, every paper reviewed once
      expect(o.state).toBe('completed');
      expect(o.papers).toBe(PAPERS);
      expect(o.done).toBe(PAPERS);
      expect(o.reused).toBe(0);
      expect(o.failed).toEqual([]);
      expect(o.model).toBe(`openai:${MODEL}`);
      expect(recordedBefore.size).toBeGreaterThan(0);
      expect(recordedBefore.has(held.paperId)).toBe(false);

      // ---- per paper at the fake server: 2 reviews, 2 reflections and 1 meta-review answered. A
      // paper finished before the kill was asked nothing again; only the papers under review at
      // the kill were asked a step again (the held request, and any reply that reached the
      // killed worker before it could store it).
      const byPaper = new Map<string, Call[]>();
      for (const c of calls) byPaper.set(c.paperId, [...(byPaper.get(c.paperId) ?? []), c]);
      expect(byPaper.size).toBe(PAPERS);
      const inFlight = new Set(
        calls
          .slice(0, callsAtKill)
          .map((c) => c.paperId)
          .filter((id) => !recordedBefore.has(id)),
      );
      expect(inFlight.has(held.paperId)).toBe(true);
      expect(inFlight.size).toBeLessThanOrEqual(3);
      const steps = (cs: Call[]) => [...new Set(cs.map((c) => c.step))].sort();
      for (const [paperId, cs] of byPaper) {
        const answered = cs.filter((c) => c.request.outcome === 'completed');
        expect([paperId, steps(answered)]).toEqual([paperId, ['meta', 'reflection', 'review']]);
        if (!inFlight.has(paperId))
          expect([paperId, answered.map((c) => c.step).sort()]).toEqual([
            paperId,
            ['meta', 'reflection', 'reflection', 'review', 'review'],
          ]);
        if (recordedBefore.has(paperId)) expect([paperId, cs.length]).toEqual([paperId, 5]);
      }
      const notAnswered = calls.filter((c) => c.request.outcome !== 'completed');
      expect(notAnswered.map((c) => c.paperId)).toEqual([held.paperId]);
      // Requests after the kill for papers under review then: at most the steps their killed activities had reached.
      const repeated = [...byPaper.values()].reduce((n, cs) => n + cs.length - 5, 0);
      console.log(`in flight at the kill: ${[...inFlight].join(', ')}; ${repeated} request(s) asked again`);
      expect(repeated).toBeGreaterThanOrEqual(1);
      expect(repeated).toBeLessThanOrEqual(2 * inFlight.size);

      // ---- history: one lookup, one record per paper; the killed review activity retried once
      const handle = client.workflow.getHandle(workflowId);
      const done = completedByType(await activitiesOf(handle));
      expect(done).toMatchObject({
        benchReviewConfig: 1,
        findBenchReview: PAPERS,
        reviewPaper: 2 * PAPERS,
        metaReview: PAPERS,
        recordBenchReview: PAPERS,
        benchReviewReport: 1,
      });

      // ---- cost: what the server billed, once per answered request
      const prices = new PriceTable(JSON.stringify(PRICES), createLogger('bench-prices', 'warn'));
      const answeredAll = calls.filter((c) => c.request.outcome === 'completed');
      const billed = answeredAll.reduce(
        (s, c) =>
          s +
          prices.cost(
            { provider: 'openai', model: MODEL },
            {
              inputTokens: c.request.usage!.input,
              cachedInputTokens: c.request.usage!.cached,
              cacheWriteTokens: c.request.usage!.cacheWrite,
              outputTokens: c.request.usage!.output,
            },
          ),
        0,
      );
      // Every step's reply is counted once (its transcript); a reply that reached the killed worker
      // before it was stored may be counted as well (the retry estimates it), never more.
      console.log(
        `ledger ${o.cost.calls} calls $${o.cost.costUsd}; server answered ${answeredAll.length}, billed $${billed}`,
      );
      expect(o.cost.calls).toBeGreaterThanOrEqual(5 * PAPERS);
      expect(o.cost.calls).toBeLessThanOrEqual(answeredAll.length);
      expect(o.cost.costUsd).toBeLessThanOrEqual(billed + 1e-12);
      expect(o.cost.costUsd).toBeGreaterThan(0);
      expect(o.costPerPaperUsd).toBeCloseTo(o.cost.costUsd / PAPERS, 12);

      // ---- the report and both figures, found as `scientist get` finds them
      const r = o.report!;
      expect(r.balancedAccuracy).toBeGreaterThan(0.5);
      const listed = await artifactKeys(client, suite.config, workflowId, (p) => suite.store.list(p));
      expect(listed.source).toBe('query');
      const q = await handle.query(artifactsQuery);
      expect(q.keys).toEqual(listed.keys);
      expect(Object.keys(listed.keys)).toEqual(
        expect.arrayContaining(['report', 'report.json', 'reviews.csv', 'roc.png', 'hist-human.png']),
      );
      const ours = Object.keys(listed.keys).filter((k) => /^hist-ours-openai-bench-model_/.test(k));
      expect(ours).toHaveLength(1);
      for (const png of ['roc.png', ours[0]!]) {
        const bytes = await suite.store.get(listed.keys[png]!);
        expect(bytes.subarray(1, 4).toString()).toBe('PNG');
        expect(bytes.length).toBeGreaterThan(2000);
      }
      const md = await suite.store.getText(listed.keys.report!);
      expect(md).toContain(`${PAPERS} papers (0 reused`);
      expect(md).toContain('| ours-openai-bench-model');
      expect(md).toContain('](roc.png)');
      expect(md).toMatch(/gpt-4o-2024-05-13 t0\.1 fs1 r5 e5/);
      const csv = await suite.store.getText(listed.keys['reviews.csv']!);
      expect(csv.trim().split('\n')).toHaveLength(PAPERS + 1);

      // ---- --follow printed the progress, ending at 20/20
      const progress = printed.join('');
      expect(progress).toContain(`started ${workflowId}`);
      expect(progress).toMatch(/reviewing: .* \d+\/20 done/);
      expect(progress).toMatch(/done: completed · 20\/20 done/);

      // ---- a second run with the same configuration reviews nothing: every paper is in the store
      const before = calls.length;
      const again = await runBenchmark(suite.config, options('again'), { write: () => true });
      expect(again.outcome).toMatchObject({
        state: 'completed',
        done: PAPERS,
        reused: PAPERS,
        configHash: o.configHash,
      });
      expect(again.outcome!.cost.calls).toBe(0);
      expect(calls.length).toBe(before);
      expect(again.outcome!.report!.balancedAccuracy).toBe(r.balancedAccuracy);

      // ---- apply-threshold writes the run's fitted threshold and the run's id into the env file
      const envFile = path.join(await mkdtemp(path.join(tmpdir(), 'bench-env-')), 'scientist.env');
      await writeFile(envFile, 'SCIENTIST_LOG_LEVEL=warn\n');
      const applied = await applyFittedThreshold(suite.config, workflowId, envFile);
      expect(applied.threshold).toBe(r.fittedThreshold);
      const written = parseEnvFile(await readFile(envFile, 'utf8'));
      expect(written).toEqual({
        SCIENTIST_LOG_LEVEL: 'warn',
        SCIENTIST_REVIEW_THRESHOLD: String(r.fittedThreshold),
        SCIENTIST_REVIEW_THRESHOLD_SOURCE: workflowId,
      });
      expect(loadConfig({}, written).review).toEqual({
        threshold: r.fittedThreshold,
        thresholdSource: workflowId,
      });

      console.log(
        `crash/reviewer-benchmark: ${wallS.toFixed(0)} s wall for ${PAPERS} papers with a SIGKILL; ` +
          `${answeredAll.length} model calls, $${o.cost.costUsd.toFixed(4)}; balanced accuracy ${r.balancedAccuracy.toFixed(2)}`,
      );
      await killWorker(main2);
    },
    20 * 60_000,
  );
});
