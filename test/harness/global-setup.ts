/**
 * Runs once before all suites: makes sure the real services are up (through the same code as
 * `npm run services up`; a service that cannot start fails the run loudly) and bundles the
 * workflow code once for every suite's workers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { up } from '../../infra/dev/services';
import { loadProcessConfig } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { workflowBundlePath } from './paths';

export default async function globalSetup(): Promise<void> {
  const config = loadProcessConfig();
  await up(config, createLogger('test-setup', 'warn'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const file = workflowBundlePath();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
}
