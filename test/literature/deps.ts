import type { ActivityDeps } from '../../activities';
import type { Config } from '../../lib/config';
import { realDeps } from '../../workers/create-worker';

/** The deps a worker builds (real store, real Docker client; nothing is contacted until used). */
export function workersDeps(config: Config): ActivityDeps {
  return realDeps(config, 'literature-test');
}
