/**
 * The production-shaped cluster of infra/cluster, brought up privately (own ports, own folder):
 * PostgreSQL with Temporal's schemas, two all-role Temporal servers in one membership ring behind
 * the frontend balancer, advanced visibility on PostgreSQL with our search attributes, the UI
 * server, and MinIO. Real worker processes on two hosts (cgroups) run the health check through
 * it; one server is SIGKILLed and the work goes on through the other, then it rejoins the ring.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  clusterConfig,
  clusterEnv,
  down,
  ringMembers,
  ringRecords,
  start,
  status,
  stop,
  type Cluster,
} from '../../infra/cluster/cluster';
import { createHost, removeHost, startHostWorker, type Host } from '../../infra/cluster/hosts';
import { dockerClient } from '../../infra/dev/services';
import { SEARCH_ATTRIBUTE_TYPES } from '../../contracts';
import { createLogger } from '../../lib/log';
import { connectClient } from '../../lib/temporal';
import { S3ArtifactStore } from '../../lib/store';
import type { HealthCheckResult } from '../../workflows';
import { uniqueId } from '../harness';
import { crashSuite, type CrashSuite } from '../crash/suite';
import { waitUntil } from '../crash/history';
import { polling, upPrivateCluster } from './private-cluster';

const log = createLogger('cluster-test', 'warn');

describe('the production-shaped cluster (infra/cluster), on real processes', () => {
  let c: Cluster;
  let suite: CrashSuite;
  let dir: string;
  const hosts: Host[] = [];
  const times: Record<string, number> = {};

  beforeAll(async () => {
    // The second `up` is idempotent: everything is already there.
    const made = await upPrivateCluster(crashSuite('cluster').config, log);
    ({ c, dir } = made);
    times.firstUp = made.firstUpS;
    times.secondUp = made.secondUpS;
    suite = crashSuite('cluster', clusterEnv(c));
  }, 600_000);

  afterAll(async () => {
    for (const h of hosts) await removeHost(h, dockerClient(suite.config)).catch(() => undefined);
    if (c) await down(c);
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(
      `cluster: first up ${times.firstUp?.toFixed(1)} s, second up ${times.secondUp?.toFixed(1)} s; ` +
        `server kill → next workflow done ${times.killToDone?.toFixed(1)} s; rejoin ${times.rejoin?.toFixed(1)} s`,
    );
  });

  it('is up: PostgreSQL, two servers whose four roles form one ring, the balancer, the UI, MinIO', async () => {
    const all = await status(c);
    expect(all.filter((s) => !s.up)).toEqual([]);
    const ring = ringMembers(c);
    expect(Object.keys(ring).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    for (const members of Object.values(ring)) expect(members).toHaveLength(2);
    // A second `up` found everything running and changed nothing.
    expect(times.secondUp).toBeLessThan(times.firstUp!);
  });

  it('has our search attributes with their types, and answers visibility queries on them from PostgreSQL', async () => {
    const client = await connectClient(clusterConfig(c));
    try {
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
        namespace: suite.config.temporal.namespace,
      });
      const T = temporal.api.enums.v1.IndexedValueType;
      for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES))
        expect(customAttributes?.[name]).toBe(
          type === 'Double' ? T.INDEXED_VALUE_TYPE_DOUBLE : T.INDEXED_VALUE_TYPE_KEYWORD,
        );
      // A workflow nobody runs, found by its attributes (an advanced-visibility query).
      const workflowId = uniqueId('visibility');
      const handle = await client.workflow.start('healthCheckWorkflow', {
        workflowId,
        taskQueue: `${suite.config.temporal.taskQueue}-unpolled`,
        args: [{ gpuTaskQueue: 'none', numbers: [] }],
        searchAttributes: { ScientistTemplate: ['grokking'], ScientistScore: [6.5] },
      });
      const found = await waitUntil(
        'the workflow in a visibility query',
        async () => {
          for await (const w of client.workflow.list({
            query: `ScientistTemplate = "grokking" AND ScientistScore >= 6 AND WorkflowId = "${workflowId}"`,
          }))
            return w;
          return undefined;
        },
        30_000,
        500,
      );
      expect(found.workflowId).toBe(workflowId);
      await handle.terminate('visibility checked');
    } finally {
      await client.connection.close();
    }
  });

  it('serves the Web UI for the cluster (the UI server, its API answering from the frontend)', async () => {
    const uiUrl = clusterEnv(c).SCIENTIST_TEMPORAL_UI_URL!;
    const page = await fetch(uiUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = await fetch(`${uiUrl}/api/v1/namespaces/${suite.config.temporal.namespace}`);
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain(suite.config.temporal.namespace);
  });

  it('runs work from worker hosts through it; a SIGKILLed server loses nothing and rejoins the ring', async () => {
    const main = createHost(path.basename(dir), 'main', path.join(dir, 'hosts', 'main'));
    const gpu = createHost(path.basename(dir), 'gpu-a', path.join(dir, 'hosts', 'gpu-a'));
    hosts.push(main, gpu);
    startHostWorker(main, 'main', suite.env);
    startHostWorker(gpu, 'gpu', suite.env);
    await waitUntil(
      'both workers polling',
      () => polling(main, 'main-worker')() && polling(gpu, 'gpu-worker')(),
      120_000,
      200,
    );

    const client = await connectClient(suite.config);
    const check = async () =>
      (await client.workflow.execute('healthCheckWorkflow', {
        workflowId: uniqueId('cluster-health'),
        taskQueue: suite.config.temporal.taskQueue,
        args: [{ gpuTaskQueue: suite.config.temporal.gpuTaskQueue, numbers: [3, 4, 5.5] }],
        workflowExecutionTimeout: '5 minutes',
      })) as HealthCheckResult;
    try {
      const first = await check();
      expect(first.sum).toBe(12.5);
      // Its artifacts are in MinIO.
      const store = S3ArtifactStore.fromConfig(suite.config);
      expect(suite.config.s3.endpoint).toBe(clusterEnv(c).SCIENTIST_S3_ENDPOINT);
      expect(await store.getJson(first.outputKey)).toMatchObject({ sum: 12.5 });

      const server0 = Object.values(c.layout.servers[0]!).map(String);
      const before = new Set(ringRecords(c).map((m) => m.host));
      const killedAt = Date.now();
      expect(await stop(c, 'temporal-0', 'SIGKILL')).toBe(true);
      const second = await check();
      times.killToDone = (Date.now() - killedAt) / 1000;
      expect(second.sum).toBe(12.5);

      const restartAt = Date.now();
      await start(c, 'temporal-0', log);
      // A new incarnation of server 0 heartbeats in the ring of each of its four roles.
      await waitUntil(
        'temporal-0 back in every ring',
        () =>
          new Set(
            ringRecords(c)
              .filter((m) => !before.has(m.host) && server0.includes(m.address.split(':')[1]!))
              .map((m) => m.role),
          ).size === 4 || undefined,
        120_000,
        500,
      );
      expect(Object.values(ringMembers(c)).map((m) => m.length)).toEqual([2, 2, 2, 2]);
      times.rejoin = (Date.now() - restartAt) / 1000;
      expect((await check()).sum).toBe(12.5);
    } finally {
      await client.connection.close();
    }
  });

  it('answers on each server directly too (the balancer is not the only way in)', async () => {
    for (const s of c.layout.servers) {
      const conn = await Connection.connect({ address: `${c.layout.host}:${s.frontend}` });
      try {
        const ns = await conn.workflowService.describeNamespace({
          namespace: suite.config.temporal.namespace,
        });
        expect(ns.namespaceInfo?.name).toBe(suite.config.temporal.namespace);
      } finally {
        await conn.close();
      }
    }
  });
});
