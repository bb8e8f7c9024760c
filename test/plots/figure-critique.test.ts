/**
 * The figure critique through the real `openai` and `@anthropic-ai/sdk` clients against the
 * local fake server, with the real S3 store: the server must receive each figure as an image
 * part in its provider's wire format, with its caption and the run data; the critique must reach
 * the next plot.py edit's prompt and every reviewer's input; a model that takes no images skips
 * it with no call and says so.
 */
import { createAsk } from '../../activities/llm';
import { createPlotEditActivities, critiqueFigures, type FigureCritiqueReport } from '../../activities/plots';
import { createReviewActivities, FIGURE_CRITIQUE_HEADING } from '../../activities/review';
import { encodePng } from '../../activities/review-bench/png';
import { saveWorkspace } from '../../activities/workspace';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { recordingLogger } from '../llm/helpers';
import { FakeLlmServer, reply, type RecordedRequest } from '../llm/fake-llm-server';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await FakeLlmServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const CAPTION = 'Validation accuracy of the baseline and the lower learning rate over training.';
const FIX = 'label the y axis "Validation accuracy (%)"';

/** A 40×30 white PNG with a black diagonal: real PNG bytes the critique may send. */
function figurePng(): Buffer {
  const w = 40;
  const h = 30;
  const rgb = new Uint8Array(w * h * 3).fill(255);
  for (let x = 0; x < Math.min(w, h); x++) rgb.fill(0, (x * w + x) * 3, (x * w + x) * 3 + 3);
  return encodePng(w, h, rgb);
}

/** A float64 .npy array (what np.save writes for np.array([...])). */
function npy(values: number[]): Buffer {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${values.length},), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => data.writeDoubleLE(v, i * 8));
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

const REVIEW = {
  summary: 'A study of learning rates.',
  strengths: ['clear'],
  weaknesses: ['figure axis unlabeled'],
  originality: 2,
  quality: 2,
  clarity: 2,
  significance: 2,
  questions: [],
  limitations: [],
  ethicalConcerns: false,
  soundness: 2,
  presentation: 2,
  contribution: 2,
  overall: 4,
  confidence: 3,
  decision: 'Reject',
};

const CRITIQUE = {
  legibility: 'The tick labels are readable.',
  labelsAndLegend: 'The y axis has no label; the legend names the runs.',
  matchesCaption: true,
  captionCheck: 'It shows the two runs the caption names.',
  fixes: [FIX],
  verdict: 'needs-fix',
};

/** Scripted by what is asked: the critique, the plot edit, the review. */
function answerByRole(req: RecordedRequest) {
  const body = JSON.stringify(req.body);
  if (body.includes('reviewer of figures')) return reply.json(CRITIQUE);
  if (body.includes('reviewing a paper')) return reply.json(REVIEW);
  return reply.text(
    'plot.py\n<<<<<<< SEARCH\nplt.ylabel(ylabel)\n=======\nplt.ylabel(ylabel)\n>>>>>>> REPLACE',
  );
}

async function paperSetup(env: Record<string, string>) {
  const config = suiteConfig('figure-critique', { SCIENTIST_LOG_LEVEL: 'warn', ...env });
  const store = suiteStore(config);
  const paperId = uniqueId('paper-critique');
  const png = figurePng();
  const workspace = await saveWorkspace(store, {
    'plot.py': Buffer.from('import matplotlib\nplt.ylabel(ylabel)\nplt.savefig("val_acc.png")\n'),
    'notes.txt': Buffer.from('# Title: lower learning rates\n'),
    'figures.json': Buffer.from(JSON.stringify({ 'val_acc.png': CAPTION, 'broken.png': 'Not a figure.' })),
    'run_0/final_info.json': Buffer.from(JSON.stringify({ x_plus_y: { means: { val_acc: 0.412 } } })),
    'run_1/final_info.json': Buffer.from(JSON.stringify({ x_plus_y: { means: { val_acc: 0.937 } } })),
    'run_1/curve.npy': npy([0.1, 0.5, 0.937]),
  });
  const figureKey = (await store.put(`papers/${paperId}/figures/val_acc.png`, png)).key;
  // A .png name over bytes that are no PNG: checked before sending, never sent.
  const brokenKey = (await store.put(`papers/${paperId}/figures/broken.png`, Buffer.from('<svg>no</svg>')))
    .key;
  const deps = { config, log: recordingLogger(), store };
  const ask = createAsk(deps);
  return { config, store, ask, paperId, png, workspace, figureKeys: [brokenKey, figureKey] };
}

/** The critique, then the next plot edit with its feedback, then a reviewer with its report. */
async function critiqueThenFixThenReview(env: Record<string, string>) {
  const setup = await paperSetup(env);
  const { config, store, ask, paperId, workspace, figureKeys } = setup;
  server.fallback = answerByRole;
  const critique = await critiqueFigures(
    { config, store, ask },
    { paperId, attempt: 1, workspace, figureKeys, runNames: ['run_0', 'run_1'] },
  );
  const critiqueRequests = [...server.requests];
  await createPlotEditActivities({ store, ask }).editPlot({
    paperId,
    attempt: 2,
    workspace,
    runNames: ['run_0', 'run_1'],
    feedback: critique.feedback,
  });
  const textKey = (await store.put(`papers/${paperId}/paper.txt`, 'The paper text.')).key;
  await createReviewActivities({ store, ask }).reviewPaper({
    paperId,
    round: 'initial',
    reviewer: 1,
    textKey,
    reflections: 0,
    figureCritiqueKey: critique.critiqueKey,
  });
  const [editRequest, reviewRequest] = server.requests.slice(critiqueRequests.length);
  return { ...setup, critique, critiqueRequests, editRequest: editRequest!, reviewRequest: reviewRequest! };
}

function expectCritiqueDownstream(r: Awaited<ReturnType<typeof critiqueThenFixThenReview>>) {
  expect(r.critique).toMatchObject({ status: 'critiqued', critiqued: 1, needsFix: 2 });
  // The fix prompt carries the model's fix and the broken figure's reason.
  expect(r.critique.feedback).toContain(FIX);
  expect(r.critique.feedback).toContain('broken.png: not shown to the model: not a PNG');
  expect(JSON.stringify(r.editRequest.body)).toContain(FIX.replace(/"/g, '\\"'));
  // The reviewer reads the critique beside the paper.
  const review = JSON.stringify(r.reviewRequest.body);
  expect(review).toContain(FIGURE_CRITIQUE_HEADING);
  expect(review).toContain(FIX.replace(/"/g, '\\"'));
  expect(review).toContain('with the critique of its figures');
}

async function expectStoredReport(r: Awaited<ReturnType<typeof critiqueThenFixThenReview>>) {
  const report = await r.store.getJson<FigureCritiqueReport>(r.critique.critiqueKey!);
  expect(report.figures.map((f) => [f.file, f.notSent?.slice(0, 8), f.critique?.verdict])).toEqual([
    ['broken.png', 'not a PN', undefined],
    ['val_acc.png', undefined, 'needs-fix'],
  ]);
  // The transcript names the image by size and hash; its bytes are in the store once, as the figure.
  const transcript = await r.store.getText(r.critique.transcriptKey!);
  expect(transcript).toContain(`<${r.png.length} bytes, sha256 `);
  expect(transcript).not.toContain(r.png.toString('base64'));
}

test('OpenAI: each figure goes as an image_url data-URL part with its caption and the run data', async () => {
  const r = await critiqueThenFixThenReview({
    SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o',
    SCIENTIST_OPENAI_API_KEY: 'sk-test',
    SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
  });
  // One request: the figure that is a PNG (the broken one was never sent).
  expect(r.critiqueRequests).toHaveLength(1);
  const body = r.critiqueRequests[0]!.body as {
    model: string;
    messages: { role: string; content: unknown }[];
  };
  expect(body.model).toBe('gpt-4o');
  const user = body.messages.find((m) => m.role === 'user')!;
  expect(Array.isArray(user.content)).toBe(true);
  const parts = user.content as { type: string; text?: string; image_url?: { url: string } }[];
  expect(parts.filter((p) => p.type === 'image_url')).toEqual([
    { type: 'image_url', image_url: { url: `data:image/png;base64,${r.png.toString('base64')}` } },
  ]);
  expect(parts.find((p) => p.type === 'text')!.text).toContain(CAPTION);
  // The run data it plots: the metrics and the array's range, summarised.
  const all = JSON.stringify(body);
  expect(all).toContain('0.937');
  expect(all).toContain('curve.npy (');
  expect(all).toContain('dtype <f8, shape (3): first 0.1, last 0.937');
  expectCritiqueDownstream(r);
  await expectStoredReport(r);
});

test('Anthropic: each figure goes as a base64 image block with its caption', async () => {
  const r = await critiqueThenFixThenReview({
    SCIENTIST_LLM_DEFAULT: 'anthropic:claude-sonnet-4-5',
    SCIENTIST_ANTHROPIC_API_KEY: 'sk-ant-test',
    SCIENTIST_ANTHROPIC_BASE_URL: server.anthropicBaseUrl,
  });
  expect(r.critiqueRequests).toHaveLength(1);
  const body = r.critiqueRequests[0]!.body as { messages: { role: string; content: unknown }[] };
  const user = body.messages.at(-1)!;
  expect(user.role).toBe('user');
  const blocks = user.content as { type: string; text?: string; source?: unknown }[];
  expect(blocks.filter((b) => b.type === 'image')).toEqual([
    {
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: r.png.toString('base64') },
    },
  ]);
  expect(blocks.find((b) => b.type === 'text')!.text).toContain(CAPTION);
  expectCritiqueDownstream(r);
  await expectStoredReport(r);
});

test('an OpenAI-compatible model takes images only when SCIENTIST_LLM_IMAGE_MODELS names it', async () => {
  const env = {
    SCIENTIST_LLM_DEFAULT: 'openai:my-vlm:7b',
    SCIENTIST_OPENAI_API_KEY: 'sk-test',
    SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
  };
  server.fallback = answerByRole;
  const without = await paperSetup(env);
  const skipped = await critiqueFigures(
    { config: without.config, store: without.store, ask: without.ask },
    { ...without, attempt: 1, runNames: ['run_0', 'run_1'] },
  );
  expect(skipped).toMatchObject({
    status: 'skipped',
    note: 'figure critique skipped: openai:my-vlm:7b takes no images',
  });
  expect(server.requests).toHaveLength(0);

  const named = await paperSetup({ ...env, SCIENTIST_LLM_IMAGE_MODELS: 'llava, my-vlm' });
  const done = await critiqueFigures(
    { config: named.config, store: named.store, ask: named.ask },
    { ...named, attempt: 1, runNames: ['run_0', 'run_1'] },
  );
  expect(done).toMatchObject({ status: 'critiqued', critiqued: 1 });
  expect(server.requests).toHaveLength(1);
  expect(JSON.stringify(server.requests[0]!.body)).toContain(
    `"url":"data:image/png;base64,${named.png.toString('base64')}"`,
  );
});

test('the offline default takes no images: the critique is skipped with no call, and says so', async () => {
  const setup = await paperSetup({ SCIENTIST_LLM_DEFAULT: 'local', SCIENTIST_LLM_REVIEW: '' });
  const r = await critiqueFigures(
    { config: setup.config, store: setup.store, ask: setup.ask },
    { ...setup, attempt: 1, runNames: ['run_0', 'run_1'] },
  );
  expect(r).toEqual({
    status: 'skipped',
    note: 'figure critique skipped: local:smollm2-135m-instruct-q4_1 takes no images',
    needsFix: 0,
    critiqued: 0,
    spend: { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 },
  });
  expect(server.requests).toHaveLength(0);
  expect(await setup.store.exists(`papers/${setup.paperId}/plots/critique-1.json`)).toBe(false);
});
