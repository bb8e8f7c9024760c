/**
 * Cluster bench: activity dispatch on the production-shaped cluster (infra/cluster: two Temporal
 * servers on PostgreSQL behind the frontend balancer) next to the dev server (SQLite), in the same
 * run, with the dispatch bench's workflow and worker (bench/dispatch.ts).
 *   npx tsx bench/cluster.ts [N=50] [K=25]
 */
import { cluster, clusterEnv, up } from '../infra/cluster/cluster';
import { loadProcessConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { main as dispatch } from './dispatch';

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const [count = '50', batch = '25'] = argv;
  const config = loadProcessConfig();
  const c = cluster(config);
  const t0 = Date.now();
  await up(c, createLogger('bench-cluster', 'warn'));
  console.log(`cluster up (or found up) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`\n-- dev server (${config.temporal.address}) --`);
  await dispatch([count, batch]);
  // The dispatch bench reads its settings from the environment, as a worker process does.
  const saved = { ...process.env };
  Object.assign(process.env, clusterEnv(c));
  try {
    console.log(`\n-- cluster (${clusterEnv(c).SCIENTIST_TEMPORAL_ADDRESS}, 2 servers on PostgreSQL) --`);
    await dispatch([count, batch]);
  } finally {
    for (const k of Object.keys(clusterEnv(c))) process.env[k] = saved[k];
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
