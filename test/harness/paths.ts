import path from 'node:path';
import type { Config } from '../../lib/config';

export function workflowBundlePath(config: Config): string {
  return path.join(config.dataDir, 'test', 'workflow-bundle.js');
}
