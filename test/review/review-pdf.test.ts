/**
 * `scientist review <pdf>` end to end: a real PDF compiled by pdflatex in the LaTeX sandbox, the
 * real CLI as a child process (pdftotext, the store, its in-process worker, reviewPdfWorkflow on
 * the dev server), and the review and area-chair models served by the fake OpenAI-compatible
 * server. One reviewer's answers stay broken after the repair round: it is left out, and the
 * scores are averaged and the decision calibrated over the valid reviews by code.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileLatex } from '../../activities/latex';
import { NUMERIC_FIELDS, ReviewForm } from '../../activities/review';
import { PriceTable } from '../../activities/llm';
import { loadProcessConfig } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { S3ArtifactStore } from '../../lib/store';
import { connectClient } from '../../lib/temporal';
import { realDeps } from '../../workers/create-worker';
import { uniqueId } from '../harness';
import { FakeLlmServer, reply, type RecordedRequest } from '../llm/fake-llm-server';
import { doc } from '../latex/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const MODEL = 'review-test-model';
const PRICES = { [MODEL]: { input: 3, output: 15, contextTokens: 128_000 } };
const USAGE = { input: 1200, output: 300 };
/** A sentence only this PDF has: the reviewers must have read it. */
const MARKER = 'Weight decay of 0.37 makes the delayed generalization arrive four times sooner.';

const review = (overall: number, extra: Partial<ReviewForm> = {}): ReviewForm => ({
  summary: `A study of delayed generalization; overall ${overall}.`,
  strengths: ['clear question'],
  weaknesses: ['one seed only'],
  originality: 2,
  quality: 2,
  clarity: 3,
  significance: 2,
  questions: ['how many seeds?'],
  limitations: ['toy task'],
  ethicalConcerns: false,
  soundness: 2,
  presentation: 3,
  contribution: 2,
  overall,
  confidence: 3,
  // The reviewers' own words say Accept; the calibrated decision is made by code.
  decision: 'Accept',
  ...extra,
});

type Message = { role: string; content: string | { type: string; text?: string }[] };
const contentOf = (m: Message | undefined) =>
  typeof m?.content === 'string' ? m.content : (m?.content ?? []).map((p) => p.text ?? '').join('\n');
const messagesOf = (r: RecordedRequest) => (r.body.messages as Message[] | undefined) ?? [];
/** Everything the model was sent, as plain text. */
const textOf = (r: RecordedRequest) => messagesOf(r).map(contentOf).join('\n');
const lastUser = (r: RecordedRequest) => contentOf(messagesOf(r).at(-1));

/** Reviewer 1: 5, raised to 7 by its reflection; reviewer 2: 4; reviewer 3: broken twice. */
function answer(state: { reviews: number }) {
  return (r: RecordedRequest) => {
    if (textOf(r).includes('area chair'))
      return reply.json(review(9, { summary: 'META: consensus on a small, careful study.' }), USAGE);
    if (lastUser(r).includes('did not match the required JSON schema'))
      return reply.text('Still a great paper, I think.', USAGE);
    if (lastUser(r).includes('Your review so far')) {
      const overall = Number(/"overall": (\d+)/.exec(lastUser(r))?.[1]);
      return reply.json({ ...review(overall === 5 ? 7 : overall), done: true }, USAGE);
    }
    state.reviews += 1;
    if (state.reviews === 1) return reply.json(review(5), USAGE);
    if (state.reviews === 2) return reply.json(review(4), USAGE);
    return reply.text('A great paper, I liked it.', USAGE);
  };
}

function scientist(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(path.join(ROOT, 'bin/scientist'), args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: FakeLlmServer;
let dir: string;
const id = uniqueId('review-pdf');
let env: Record<string, string>;

beforeAll(async () => {
  server = await FakeLlmServer.start();
  dir = await mkdtemp(path.join(tmpdir(), 'review-pdf-'));
  // The suite's own queues and key prefix (as suiteConfig makes them), shared with the CLI process.
  env = {
    SCIENTIST_TASK_QUEUE: `test-${id}-main`,
    SCIENTIST_GPU_TASK_QUEUE: `test-${id}-gpu`,
    SCIENTIST_S3_PREFIX: `test/${id}/`,
    SCIENTIST_LOG_LEVEL: 'warn',
    SCIENTIST_LLM_DEFAULT: `openai:${MODEL}`,
    SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
    SCIENTIST_OPENAI_API_KEY: 'sk-review-test',
    SCIENTIST_LLM_PRICES: JSON.stringify(PRICES),
  };
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('scientist review <pdf>', () => {
  it('reviews a compiled PDF: scores averaged over the valid reviews, decision calibrated, cost counted', async () => {
    const config = loadProcessConfig({ ...process.env, ...env });
    const store = S3ArtifactStore.fromConfig(config);
    // A real PDF, compiled by pdflatex in the LaTeX sandbox.
    const paperId = `${id}-paper`;
    const tex = doc(
      [
        '\\title{Weight Decay and Grokking}\\author{Durable Scientist}\\maketitle',
        '\\section{Introduction}',
        'Small transformers trained on modular arithmetic first memorize the training set and only',
        'much later generalize to held-out pairs, a phenomenon called grokking.',
        '\\section{Results}',
        MARKER,
        'Across the runs the final validation accuracy was 0.99 and the training loss 0.01, while',
        'the baseline without weight decay reached 0.41 after the same number of steps.',
        '\\section{Conclusion}',
        'Regularization strength controls when generalization happens on this task.',
      ].join('\n'),
    );
    const texKey = (await store.put(`papers/${paperId}/writeup/src/main.tex`, tex)).key;
    const compiled = await compileLatex(realDeps(config, 'review-pdf-test'), {
      paperId,
      round: 0,
      files: { 'main.tex': texKey },
    });
    expect(compiled.ok).toBe(true);
    const pdfPath = path.join(dir, 'paper.pdf');
    await writeFile(pdfPath, await store.get(compiled.pdfKey!));

    const state = { reviews: 0 };
    server.fallback = answer(state);
    const t0 = Date.now();
    const run = await scientist(
      ['review', pdfPath, '--reviewers', '3', '--reflections', '1', '--threshold', '6', '--json'],
      env,
    );
    const ms = Date.now() - t0;
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout.slice(run.stdout.indexOf('{\n'))) as {
      workflowId: string;
      metaKey: string;
      reviewKeys: string[];
      overall: number;
      decision: string;
      scores: Record<string, number>;
      costUsd: number;
      meta: Record<string, unknown> & { aggregate: { validReviews: number; requestedReviews: number } };
    };

    console.log(
      `scientist review: ${ms} ms (process start to exit), ${server.requests.length} model calls, $${out.costUsd.toFixed(4)}`,
    );

    // Every reviewer read the PDF's own text (pdftotext → store → activity → model).
    const firstReads = server.requests.filter((r) => lastUser(r).includes('Review the paper above'));
    expect(firstReads).toHaveLength(3);
    for (const r of firstReads) expect(textOf(r).replace(/-\n/g, '').replace(/\s+/g, ' ')).toContain(MARKER);

    // Reviewer 3 stayed broken after its repair round: two valid reviews, the first after reflection.
    expect(out.reviewKeys).toHaveLength(2);
    const forms = await Promise.all(out.reviewKeys.map((k) => store.getJson<ReviewForm>(k)));
    expect(forms.map((f) => ReviewForm.parse(f).overall)).toEqual([7, 4]);

    // Scores: every numeric field, the mean over the valid reviews; the decision calibrated on
    // the mean overall (5.5 < 6), not on the reviewers' "Accept" or the area chair's 9.
    expect(Object.keys(out.scores).sort()).toEqual([...NUMERIC_FIELDS].sort());
    expect(out.overall).toBe(5.5);
    expect(out.scores).toMatchObject({ overall: 5.5, clarity: 3, soundness: 2, confidence: 3 });
    expect(out.decision).toBe('Reject');
    expect(out.meta).toMatchObject({
      decision: 'Reject',
      overall: 5.5,
      summary: 'META: consensus on a small, careful study.',
      aggregate: { validReviews: 2, requestedReviews: 2, threshold: 6 },
    });
    expect(await store.getJson(out.metaKey)).toEqual(out.meta);

    // Cost: the replies that were used, at the configured prices (reviews, reflections, meta).
    const prices = new PriceTable(JSON.stringify(PRICES), createLogger('review-test', 'warn'));
    const perCall = prices.cost(
      { provider: 'openai', model: MODEL },
      { inputTokens: USAGE.input, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: USAGE.output },
    );
    expect(perCall).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(7);
    expect(out.costUsd).toBeGreaterThanOrEqual(5 * perCall - 1e-9);
    expect(out.costUsd).toBeLessThanOrEqual(7 * perCall + 1e-9);

    // It ran as a workflow on the dev server, on the suite's queue.
    const client = await connectClient(config);
    try {
      const desc = await client.workflow.getHandle(out.workflowId).describe();
      expect(desc.status.name).toBe('COMPLETED');
      expect(desc.taskQueue).toBe(env.SCIENTIST_TASK_QUEUE);
    } finally {
      await client.connection.close();
    }
  }, 300_000);

  it('refuses a file that is not a PDF, before starting anything', async () => {
    const notPdf = path.join(dir, 'notes.pdf');
    await writeFile(notPdf, 'just text, no PDF header\n'.repeat(20));
    const before = server.requests.length;
    const run = await scientist(['review', notPdf], env);
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).toContain('is not a PDF');
    expect(server.requests.length).toBe(before);
  }, 120_000);
});
