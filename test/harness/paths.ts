import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';

/** The workflow bundle that global setup builds once for every suite (independent of data dirs). */
export function workflowBundlePath(): string {
  return path.join(PROJECT_ROOT, 'node_modules', '.cache', 'durable-scientist', 'workflow-bundle.js');
}
