/**
 * A private cluster for the cluster suites: infra/cluster brought up on a port range of its own
 * in a folder of its own, so that a test may kill its servers and stop its MinIO without touching
 * anyone else's; and the wait for a host's worker to poll.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cluster, layout, up, type Cluster, type Layout } from '../../infra/cluster/cluster';
import type { Host } from '../../infra/cluster/hosts';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/log';
import { freePort } from '../crash/private-services';

/** A base port whose whole layout is free. */
export async function freeLayout(): Promise<Layout> {
  for (let tries = 0; tries < 20; tries++) {
    const base = (await freePort()) - 950;
    if (base < 10_000) continue;
    const l = layout(base);
    const ports = [
      l.postgres,
      l.frontend,
      l.ui,
      l.minio,
      l.minioConsole,
      ...l.servers.flatMap((s) => Object.values(s)),
    ];
    const free = await Promise.all(
      ports.map(
        (port) =>
          new Promise<boolean>((resolve) => {
            const srv = createServer();
            srv.once('error', () => resolve(false));
            srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return l;
  }
  throw new Error('no free port range for a private cluster');
}

/**
 * Brings a private cluster up twice (the second `up` finds everything running) in a new folder
 * under the system's temp folder; returns it with both times in seconds.
 */
export async function upPrivateCluster(
  config: Config,
  log: Logger,
): Promise<{ c: Cluster; dir: string; firstUpS: number; secondUpS: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ds-cluster-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user and must reach its folder
  const c = cluster(config, await freeLayout(), dir);
  let t0 = Date.now();
  await up(c, log);
  const firstUpS = (Date.now() - t0) / 1000;
  t0 = Date.now();
  await up(c, log);
  return { c, dir, firstUpS, secondUpS: (Date.now() - t0) / 1000 };
}

/** True once the host's worker `name` logged that it polls its task queue. */
export const polling = (h: Host, name: string) => () =>
  existsSync(path.join(h.dataDir, 'logs', `${name}.log`)) &&
  /polling \S+ on /.test(readFileSync(path.join(h.dataDir, 'logs', `${name}.log`), 'utf8'));
