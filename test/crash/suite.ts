/**
 * The settings of one crash suite: its own task queues and key prefix, given to its worker
 * processes as environment and to the test as config, so suites never see each other's work.
 */
import { loadProcessConfig, type Config } from '../../lib/config';
import { S3ArtifactStore } from '../../lib/store';
import { uniqueId } from '../harness';

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
