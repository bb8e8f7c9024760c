import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { Config } from '../../lib/config';
import { PROJECT_ROOT } from '../../lib/paths';
import { artifactKey, type ArtifactStore } from '../../lib/store';
import { connectWorker } from '../../lib/temporal';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** Uploads a fixture template (plus extra files) and returns its workspace manifest. */
export async function uploadWorkspace(
  store: ArtifactStore,
  id: string,
  files: Record<string, string | Buffer>,
): Promise<Record<string, string>> {
  const manifest: Record<string, string> = {};
  for (const [rel, body] of Object.entries(files)) {
    manifest[rel] = (await store.put(artifactKey('test-workspaces', id, ...rel.split('/')), body)).key;
  }
  return manifest;
}

export function toyFiles(extra: Record<string, string> = {}): Record<string, string | Buffer> {
  return { 'experiment.py': readFileSync(path.join(FIXTURES, 'toy', 'experiment.py')), ...extra };
}

/** Every file of a shipped template (templates/<name>), as a workspace to upload. */
export function templateFiles(name: string): Record<string, Buffer> {
  const root = path.join(PROJECT_ROOT, 'templates', name);
  const out: Record<string, Buffer> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.pyc')) continue;
    const abs = path.join(entry.parentPath, entry.name);
    out[path.relative(root, abs).split(path.sep).join('/')] = readFileSync(abs);
  }
  return out;
}

let bundle: Promise<string> | undefined;

/** A main-queue worker that runs the test workflows in ./workflows.ts. */
export async function testWorkflowWorker(
  config: Config,
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  }).then((b) => b.code);
  const connection = await connectWorker(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: { code: await bundle },
  });
  return { worker, close: () => connection.close() };
}
