/**
 * `scientist review <pdf>`: the standalone reviewer. The PDF's text is extracted here
 * (pdftotext), stored, and reviewed by the reviewPdfWorkflow (workers in this process unless
 * --no-local-workers).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Config } from '../lib/config';
import { InvalidInputError } from '../lib/errors';
import { S3ArtifactStore } from '../lib/store';
import { connectClient, installRuntimeLogger } from '../lib/temporal';
import type { ReviewPdfInput, ReviewPdfOutcome, reviewPdfWorkflow } from '../workflows';
import { withLocalWorkers } from '../workers/create-worker';

export async function reviewPdf(
  config: Config,
  pdfPath: string,
  opts: { reviewers: number; reflections: number; threshold: number; localWorkers: boolean },
): Promise<{ workflowId: string; outcome: ReviewPdfOutcome; meta: unknown }> {
  const pdf = await readFile(pdfPath).catch(() => {
    throw new InvalidInputError(`cannot read ${pdfPath}`);
  });
  if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new InvalidInputError(`${pdfPath} is not a PDF`);
  const { stdout: text } = await promisify(execFile)('pdftotext', ['-layout', pdfPath, '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (text.trim().length < 200)
    throw new InvalidInputError(`${pdfPath} has almost no extractable text (scanned?)`);
  const store = S3ArtifactStore.fromConfig(config);
  const textKey = (
    await store.putContent('cas/review-input', text, { contentType: 'text/plain; charset=utf-8' })
  ).key;
  installRuntimeLogger('WARN');
  const client = await connectClient(config);
  const workflowId = `review-${textKey.slice(-12)}-${Date.now().toString(36)}`;
  try {
    const input: ReviewPdfInput = {
      textKey,
      reviewers: opts.reviewers,
      reflections: opts.reflections,
      threshold: opts.threshold,
    };
    const run = () =>
      client.workflow.execute<typeof reviewPdfWorkflow>('reviewPdfWorkflow', {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [input],
      });
    const outcome = await withLocalWorkers(config, opts.localWorkers ? ['main'] : [], run);
    return { workflowId, outcome, meta: await store.getJson(outcome.metaKey) };
  } finally {
    await client.connection.close();
  }
}
