/**
 * A production-shaped cluster on one machine, all on loopback: PostgreSQL (Debian's server, a
 * private cluster under <data>/cluster/pg, not the system service), Temporal's schemas applied by
 * its own schema tool, two Temporal server processes (each with every role) in one membership
 * ring, a frontend balancer in front of them, the Temporal UI server, and MinIO with the access
 * keys of the config. Binaries are built once with `go install` at pinned versions into
 * .tools/cluster/<name>-<version>/ and reused.
 *
 *   tsx infra/cluster/cluster.ts install|up|down|status|env
 *   tsx infra/cluster/cluster.ts start|stop|kill <component>   (postgres, temporal-0, temporal-1, proxy, ui, minio)
 *
 * Why every role in each server: on a few machines, two full replicas keep all four roles
 * (frontend, history, matching, worker) alive when either process dies — history shards and
 * task-queue partitions move to the survivor through the ring. Split roles would need two
 * processes per role (eight) for the same property.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadProcessConfig, type Config } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/log';
import { PROJECT_ROOT } from '../../lib/paths';
import { ensureNamespace } from '../../lib/namespace';
import { minioClient } from '../../lib/store';
import { readPid, spawnDetached, stopRecorded, TOOLS_BIN, waitFor } from '../dev/services';

// v1.32.1+ needs Go ≥ 1.26.10; v1.32.0 builds with this machine's Go 1.26.8 and matches the dev server's.
export const TEMPORAL_VERSION = 'v1.32.0';
export const UI_SERVER_VERSION = 'v2.54.1';
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const CLUSTER_TOOLS = path.join(PROJECT_ROOT, '.tools', 'cluster');

export const BINARIES = {
  temporal: {
    dir: path.join(CLUSTER_TOOLS, `temporal-${TEMPORAL_VERSION}`),
    files: ['server', 'sql'],
    packages: [`go.temporal.io/server/cmd/server`, `go.temporal.io/server/cmd/tools/sql`],
    version: TEMPORAL_VERSION,
  },
  ui: {
    dir: path.join(CLUSTER_TOOLS, `ui-server-${UI_SERVER_VERSION}`),
    files: ['server'],
    packages: ['github.com/temporalio/ui-server/v2/cmd/server'],
    version: UI_SERVER_VERSION,
  },
  minio: {
    dir: path.join(CLUSTER_TOOLS, `minio-${MINIO_VERSION}`),
    files: ['minio'],
    packages: ['github.com/minio/minio'],
    version: MINIO_VERSION,
  },
} as const;
export type BinaryName = keyof typeof BINARIES;

/** A built binary's path; missing, it says how to build it. */
export function bin(name: BinaryName, file: string = BINARIES[name].files[0]): string {
  const f = path.join(BINARIES[name].dir, file);
  if (!existsSync(f))
    throw new Error(`${f} is not built: run bash infra/setup.sh (or tsx infra/cluster/cluster.ts install)`);
  return f;
}

/** Builds the pinned binaries that are missing (go install; the go caches make a rebuild cheap). */
export function install(names: BinaryName[], log: Logger): void {
  for (const name of names) {
    const b = BINARIES[name];
    if (b.files.every((f) => existsSync(path.join(b.dir, f)))) continue;
    const t0 = Date.now();
    log.info(`building ${b.packages.join(' ')}@${b.version} into ${b.dir} (minutes, once)`);
    const r = spawnSync('go', ['install', ...b.packages.map((p) => `${p}@${b.version}`)], {
      env: { ...process.env, GOBIN: b.dir, GOFLAGS: '-trimpath' },
      stdio: 'inherit',
    });
    if (r.status !== 0)
      throw new Error(
        `go install of ${name} failed (exit ${r.status}); is Go installed and the module proxy reachable?`,
      );
    log.info(`built ${name} in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
}

/** Ports of every component, from one base; nothing listens off loopback. */
export interface Layout {
  host: '127.0.0.1';
  postgres: number;
  /** The address clients use: a TCP balancer over the servers' frontends. */
  frontend: number;
  servers: {
    frontend: number;
    frontendHttp: number;
    frontendMembership: number;
    history: number;
    historyMembership: number;
    matching: number;
    matchingMembership: number;
    worker: number;
    workerMembership: number;
    metrics: number;
  }[];
  ui: number;
  minio: number;
  minioConsole: number;
}

export function layout(base = 17000, servers = 2): Layout {
  return {
    host: '127.0.0.1',
    postgres: base + 432,
    frontend: base + 233,
    servers: Array.from({ length: servers }, (_, i) => {
      const o = base + 300 + i * 20;
      return {
        frontend: o,
        frontendHttp: o + 1,
        frontendMembership: o + 2,
        history: o + 3,
        historyMembership: o + 4,
        matching: o + 5,
        matchingMembership: o + 6,
        worker: o + 7,
        workerMembership: o + 8,
        metrics: o + 9,
      };
    }),
    ui: base + 280,
    minio: base + 900,
    minioConsole: base + 901,
  };
}

/** The cluster's own folder; its logs and pid files are under it (logs/, run/). */
export interface Cluster {
  config: Config;
  /** `config` with dataDir = the cluster folder, for the process helpers of infra/dev. */
  local: Config;
  dir: string;
  layout: Layout;
}

export function cluster(
  config: Config,
  l: Layout = layout(),
  dir = path.join(config.dataDir, 'cluster'),
): Cluster {
  return { config, local: { ...config, dataDir: dir }, dir, layout: l };
}

/** The settings that point workers and the CLI at this cluster (keys and the rest from config). */
export function clusterEnv(c: Cluster): Record<string, string> {
  const h = c.layout.host;
  return {
    SCIENTIST_TEMPORAL_ADDRESS: `${h}:${c.layout.frontend}`,
    SCIENTIST_TEMPORAL_UI_URL: `http://${h}:${c.layout.ui}`,
    SCIENTIST_S3_ENDPOINT: `http://${h}:${c.layout.minio}`,
  };
}

/** The config of a process that uses this cluster. */
export function clusterConfig(c: Cluster): Config {
  const e = clusterEnv(c);
  return {
    ...c.config,
    temporal: {
      ...c.config.temporal,
      address: e.SCIENTIST_TEMPORAL_ADDRESS!,
      uiUrl: e.SCIENTIST_TEMPORAL_UI_URL!,
    },
    s3: { ...c.config.s3, endpoint: e.SCIENTIST_S3_ENDPOINT! },
  };
}

const p = (c: Cluster, ...parts: string[]) => path.join(c.dir, ...parts);
const logOf = (c: Cluster, name: string) => p(c, 'logs', `${name}.log`);

// ---------------------------------------------------------------- PostgreSQL

const PG_USER = 'temporal';

/** Root may not run PostgreSQL: it runs as Debian's `postgres` user, owning only its folder. */
function asPgUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]];
}

function pgPassword(c: Cluster): string {
  const file = p(c, 'run', 'pg-password');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

function psql(c: Cluster, db: string, sql: string): { ok: boolean; out: string } {
  const r = spawnSync(
    'psql',
    ['-h', c.layout.host, '-p', String(c.layout.postgres), '-U', PG_USER, '-d', db, '-tAc', sql],
    { env: { ...process.env, PGPASSWORD: pgPassword(c), PGCONNECT_TIMEOUT: '2' }, encoding: 'utf8' },
  );
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

function postgresUp(c: Cluster): Promise<boolean> {
  return Promise.resolve(psql(c, 'postgres', 'select 1').ok);
}

export async function startPostgres(c: Cluster, log: Logger): Promise<void> {
  if (await postgresUp(c)) return;
  const data = p(c, 'pg');
  const owner = process.getuid?.() === 0 ? 'postgres' : undefined;
  // The postgres user must reach its folder through ours.
  mkdirSync(c.dir, { recursive: true });
  if (owner) chmodSync(c.dir, 0o755);
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    if (!existsSync(path.join(PG_BIN, 'postgres')))
      throw new Error(
        `PostgreSQL 15 is not installed (${PG_BIN}/postgres); run bash infra/setup.sh (Debian package postgresql-15)`,
      );
    log.info(`creating a private PostgreSQL cluster in ${data}`);
    mkdirSync(data, { recursive: true, mode: 0o700 });
    const pwfile = p(c, 'run', 'pg-password');
    pgPassword(c);
    if (owner) {
      const pw = spawnSync('id', ['-u', owner], { encoding: 'utf8' });
      const gw = spawnSync('id', ['-g', owner], { encoding: 'utf8' });
      chownSync(data, Number(pw.stdout), Number(gw.stdout));
      // initdb reads the password file as the postgres user: a private copy it owns.
      chownSync(pwfile, Number(pw.stdout), Number(gw.stdout));
    }
    const [cmd, args] = asPgUser(path.join(PG_BIN, 'initdb'), [
      '-D',
      data,
      '-U',
      PG_USER,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--no-instructions',
    ]);
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(data, { recursive: true, force: true });
      throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
    }
  }
  const sockets = p(c, 'run', 'pg-socket');
  mkdirSync(sockets, { recursive: true });
  if (owner) {
    const uid = Number(spawnSync('id', ['-u', owner], { encoding: 'utf8' }).stdout);
    chownSync(sockets, uid, -1);
  }
  chmodSync(p(c, 'run'), 0o755);
  log.info(`starting PostgreSQL on ${c.layout.host}:${c.layout.postgres}`);
  const [cmd, args] = asPgUser(path.join(PG_BIN, 'postgres'), [
    '-D',
    data,
    '-p',
    String(c.layout.postgres),
    '-c',
    `listen_addresses=${c.layout.host}`,
    '-c',
    `unix_socket_directories=${sockets}`,
    '-c',
    'max_connections=200',
  ]);
  spawnDetached(c.local, 'postgres', cmd, args);
  await waitFor(
    'PostgreSQL',
    () => postgresUp(c),
    60_000,
    `See ${logOf(c, 'postgres')}; is port ${c.layout.postgres} free, and can the postgres user reach ${data}?`,
  );
}

/** Creates both databases and applies Temporal's schemas with its own tool (to the latest version). */
export function applySchemas(c: Cluster, log: Logger): void {
  const tool = bin('temporal', 'sql');
  const common = [
    '--plugin',
    'postgres12',
    '--ep',
    c.layout.host,
    '-p',
    String(c.layout.postgres),
    '-u',
    PG_USER,
    '--pw',
    pgPassword(c),
  ];
  const run = (args: string[]) => {
    const r = spawnSync(tool, [...common, ...args], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`temporal-sql-tool ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  };
  for (const [db, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    if (!psql(c, 'postgres', `select 1 from pg_database where datname='${db}'`).out.includes('1')) {
      log.info(`creating database ${db}`);
      run(['--db', db, 'create-database']);
    }
    if (!psql(c, db, 'select 1 from schema_version limit 1').ok)
      run(['--db', db, 'setup-schema', '-v', '0.0']);
    run(['--db', db, 'update-schema', '--schema-name', schema]);
  }
}

// ---------------------------------------------------------------- Temporal servers

/** Dynamic config every server reads: what the dev server turns on, and SA changes seen at once. */
const DYNAMIC_CONFIG = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
frontend.activityAPIsEnabled:
  - value: true
`;

function serverConfig(c: Cluster, i: number): string {
  const s = c.layout.servers[i]!;
  const h = c.layout.host;
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "${h}:${c.layout.postgres}"
        connectProtocol: tcp
        user: ${PG_USER}
        password: "${pgPassword(c)}"
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const svc = (name: string, grpc: number, membership: number, http?: number) => `
  ${name}:
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnIP: ${h}${http ? `\n      httpPort: ${http}` : ''}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 8
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 5)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: ${h}
  metrics:
    prometheus:
      framework: tally
      listenAddress: "${h}:${s.metrics}"
services:${svc('frontend', s.frontend, s.frontendMembership, s.frontendHttp)}${svc('history', s.history, s.historyMembership)}${svc('matching', s.matching, s.matchingMembership)}${svc('worker', s.worker, s.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "${h}:${s.frontend}"
      httpAddress: "${h}:${s.frontendHttp}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "${p(c, 'temporal', 'dynamicconfig.yaml')}"
  pollInterval: 10s
`;
}

async function frontendUp(address: string): Promise<boolean> {
  const conn = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await conn.workflowService.getSystemInfo({});
    return true;
  } finally {
    await conn.close();
  }
}

export const serverName = (i: number) => `temporal-${i}`;

export async function startServer(c: Cluster, i: number, log: Logger): Promise<void> {
  const s = c.layout.servers[i]!;
  if (
    readPid(c.local, serverName(i)) !== undefined &&
    (await frontendUp(`${c.layout.host}:${s.frontend}`).catch(() => false))
  )
    return;
  mkdirSync(p(c, 'temporal'), { recursive: true });
  writeFileSync(p(c, 'temporal', 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
  const file = p(c, 'temporal', `${serverName(i)}.yaml`);
  writeFileSync(file, serverConfig(c, i), { mode: 0o600 });
  log.info(`starting Temporal server ${i} (all roles) on ${c.layout.host}:${s.frontend}`);
  spawnDetached(
    c.local,
    serverName(i),
    bin('temporal', 'server'),
    ['--config-file', file, '--allow-no-auth', 'start'],
    {
      TEMPORAL_VERSION_CHECK_DISABLED: '1',
    },
  );
  await waitFor(
    `Temporal server ${i}`,
    () => frontendUp(`${c.layout.host}:${s.frontend}`),
    120_000,
    `See ${logOf(c, serverName(i))}; are ports ${s.frontend}–${s.metrics} free and PostgreSQL up (tsx infra/cluster/cluster.ts status)?`,
  );
}

const ROLE_NAMES: Record<string, string> = {
  '1': 'frontend',
  '2': 'history',
  '3': 'matching',
  '4': 'worker',
};

/**
 * Ring members that heartbeat into the membership table, one row per role and process
 * incarnation (`host`: a restarted server joins with a new one). Records live 48 h; a member
 * counts as live while it heartbeats (every 10 s; Temporal's own cut-off is 20 s).
 */
export function ringRecords(c: Cluster): { host: string; role: string; address: string }[] {
  const r = psql(
    c,
    'temporal',
    "select encode(host_id, 'hex'), role, rpc_address || ':' || rpc_port from cluster_membership " +
      "where last_heartbeat > now() at time zone 'utc' - interval '20 seconds' order by 2, 3",
  );
  if (!r.ok) return [];
  return r.out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [host, role, address] = line.split('|');
      return { host: host!, role: ROLE_NAMES[role!] ?? role!, address: address! };
    });
}

/** Live ring members by role: their membership addresses. */
export function ringMembers(c: Cluster): Record<string, string[]> {
  const roles: Record<string, string[]> = {};
  for (const m of ringRecords(c)) {
    const list = (roles[m.role] ??= []);
    if (!list.includes(m.address)) list.push(m.address);
  }
  return roles;
}

// ---------------------------------------------------------------- frontend balancer, UI

export async function startProxy(c: Cluster, log: Logger): Promise<void> {
  const address = `${c.layout.host}:${c.layout.frontend}`;
  if (readPid(c.local, 'proxy') !== undefined && (await frontendUp(address).catch(() => false))) return;
  const backends = c.layout.servers.map((s) => `${c.layout.host}:${s.frontend}`);
  log.info(`starting the frontend balancer on ${address} → ${backends.join(', ')}`);
  spawnDetached(c.local, 'proxy', process.execPath, [
    path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    path.join(__dirname, 'frontend-proxy.ts'),
    address,
    ...backends,
  ]);
  await waitFor('the frontend balancer', () => frontendUp(address), 30_000, `See ${logOf(c, 'proxy')}.`);
}

async function uiUp(c: Cluster): Promise<boolean> {
  const res = await fetch(`http://${c.layout.host}:${c.layout.ui}/api/v1/namespaces`, {
    signal: AbortSignal.timeout(2000),
  });
  return res.ok;
}

export async function startUi(c: Cluster, log: Logger): Promise<void> {
  if (await uiUp(c).catch(() => false)) return;
  mkdirSync(p(c, 'ui'), { recursive: true });
  const file = p(c, 'ui', 'production.yaml');
  writeFileSync(
    file,
    `temporalGrpcAddress: ${c.layout.host}:${c.layout.frontend}
host: ${c.layout.host}
port: ${c.layout.ui}
enableUi: true
disableNewsFetch: true
defaultNamespace: ${c.config.temporal.namespace}
auth:
  enabled: false
`,
  );
  log.info(`starting the Temporal UI server on http://${c.layout.host}:${c.layout.ui}`);
  spawnDetached(c.local, 'ui', bin('ui', 'server'), [
    '--root',
    p(c, 'ui'),
    '--config',
    '.',
    '--env',
    'production',
    'start',
  ]);
  await waitFor(
    'the Temporal UI',
    () => uiUp(c),
    60_000,
    `See ${logOf(c, 'ui')}; is port ${c.layout.ui} free?`,
  );
}

// ---------------------------------------------------------------- MinIO

export async function minioUp(c: Cluster): Promise<boolean> {
  const res = await fetch(`http://${c.layout.host}:${c.layout.minio}/minio/health/ready`, {
    signal: AbortSignal.timeout(2000),
  });
  if (!res.ok) return false;
  await minioClient(clusterConfig(c).s3).listBuckets();
  return true;
}

/** MinIO, unmodified, as its own process; its root user and password are the config's S3 keys. */
export async function startMinio(c: Cluster, log: Logger): Promise<void> {
  if (await minioUp(c).catch(() => false)) return;
  mkdirSync(p(c, 'minio'), { recursive: true });
  log.info(`starting MinIO on http://${c.layout.host}:${c.layout.minio}`);
  spawnDetached(
    c.local,
    'minio',
    bin('minio'),
    [
      'server',
      p(c, 'minio'),
      '--address',
      `${c.layout.host}:${c.layout.minio}`,
      '--console-address',
      `${c.layout.host}:${c.layout.minioConsole}`,
      '--quiet',
    ],
    {
      MINIO_ROOT_USER: c.config.s3.accessKey,
      MINIO_ROOT_PASSWORD: c.config.s3.secretKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      MINIO_CI_CD: '1',
    },
  );
  await waitFor(
    'MinIO',
    () => minioUp(c),
    60_000,
    `See ${logOf(c, 'minio')}; is port ${c.layout.minio} free? SCIENTIST_S3_ACCESS_KEY needs ≥ 3 and SCIENTIST_S3_SECRET_KEY ≥ 8 characters.`,
  );
}

// ---------------------------------------------------------------- all together

export const COMPONENTS = ['postgres', 'temporal-0', 'temporal-1', 'proxy', 'ui', 'minio'] as const;

export async function start(c: Cluster, name: string, log: Logger): Promise<void> {
  if (name === 'postgres') return startPostgres(c, log);
  if (name === 'proxy') return startProxy(c, log);
  if (name === 'ui') return startUi(c, log);
  if (name === 'minio') return startMinio(c, log);
  const m = /^temporal-(\d+)$/.exec(name);
  if (m && Number(m[1]) < c.layout.servers.length) return startServer(c, Number(m[1]), log);
  throw new Error(`unknown component "${name}"; one of: ${COMPONENTS.join(', ')}`);
}

/** Stops a component this script started; SIGKILL simulates a crash. */
export function stop(c: Cluster, name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  return stopRecorded(c.local, name, signal, 20_000);
}

export async function up(c: Cluster, log: Logger): Promise<void> {
  install(['temporal', 'ui', 'minio'], log);
  await Promise.all([
    (async () => {
      await startPostgres(c, log);
      applySchemas(c, log);
      // The first server creates the cluster metadata; the others join its ring.
      await startServer(c, 0, log);
      for (let i = 1; i < c.layout.servers.length; i++) await startServer(c, i, log);
      await waitFor(
        'the membership ring',
        () =>
          Promise.resolve(
            Object.keys(ringMembers(c)).length === 4 &&
              Object.values(ringMembers(c)).every((m) => m.length === c.layout.servers.length),
          ),
        60_000,
        `See ${logOf(c, serverName(0))}: every server must reach the others' membership ports.`,
      );
      await startProxy(c, log);
      await ensureClusterNamespace(c, log);
      await startUi(c, log);
    })(),
    startMinio(c, log),
  ]);
  writeFileSync(
    p(c, 'cluster.env'),
    Object.entries(clusterEnv(c))
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
}

/** The namespace (a real cluster has none at first), then our search attributes and retention. */
async function ensureClusterNamespace(c: Cluster, log: Logger): Promise<void> {
  const config = clusterConfig(c);
  const ns = config.temporal.namespace;
  const conn = await Connection.connect({ address: config.temporal.address });
  try {
    const known = await conn.workflowService.describeNamespace({ namespace: ns }).then(
      () => true,
      () => false,
    );
    if (!known) {
      log.info(`registering namespace ${ns}`);
      const r = spawnSync(
        path.join(TOOLS_BIN, 'temporal'),
        [
          'operator',
          'namespace',
          'create',
          '--address',
          config.temporal.address,
          '-n',
          ns,
          '--retention',
          `${config.temporal.retentionDays}d`,
        ],
        { encoding: 'utf8', env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' } },
      );
      if (r.status !== 0 && !/already/i.test(r.stderr)) throw new Error(`namespace ${ns}: ${r.stderr}`);
    }
    // A namespace is usable on every frontend once its cache refreshes (up to 10 s).
    await waitFor(
      `namespace ${ns}`,
      async () => {
        for (const s of c.layout.servers) {
          const each = await Connection.connect({ address: `${c.layout.host}:${s.frontend}` });
          try {
            // Served from the namespace cache (describeNamespace reads the DB and passes sooner).
            await each.operatorService.listSearchAttributes({ namespace: ns });
          } finally {
            await each.close();
          }
        }
        return true;
      },
      30_000,
      'the namespace was registered but a frontend does not see it',
    );
  } finally {
    await conn.close();
  }
  const added = await ensureNamespace(config);
  if (added.length) log.info(`registered search attributes: ${added.join(', ')}`);
}

export async function down(c: Cluster): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of ['ui', 'proxy', ...c.layout.servers.map((_, i) => serverName(i)), 'minio'])
    if (await stop(c, name)) stopped.push(name);
  // SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
  if (await stop(c, 'postgres', 'SIGINT')) stopped.push('postgres');
  return stopped;
}

export async function status(c: Cluster): Promise<{ name: string; up: boolean; detail: string }[]> {
  const h = c.layout.host;
  const ring = ringMembers(c);
  const rows = [
    { name: 'postgres', up: await postgresUp(c), detail: `${h}:${c.layout.postgres}` },
    ...(await Promise.all(
      c.layout.servers.map(async (s, i) => ({
        name: serverName(i),
        up: await frontendUp(`${h}:${s.frontend}`).catch(() => false),
        detail: `${h}:${s.frontend}`,
      })),
    )),
    {
      name: 'ring',
      up: Object.keys(ring).length === 4,
      detail: Object.entries(ring)
        .map(([role, m]) => `${role} ${m.length}`)
        .join(', '),
    },
    {
      name: 'proxy',
      up: await frontendUp(`${h}:${c.layout.frontend}`).catch(() => false),
      detail: `${h}:${c.layout.frontend}`,
    },
    { name: 'ui', up: await uiUp(c).catch(() => false), detail: `http://${h}:${c.layout.ui}` },
    { name: 'minio', up: await minioUp(c).catch(() => false), detail: `http://${h}:${c.layout.minio}` },
  ];
  return rows;
}

async function main(argv: string[]): Promise<void> {
  const config = loadProcessConfig();
  const log = createLogger('cluster', config.logLevel);
  const c = cluster(config);
  const [verb = 'status', target] = argv;
  switch (verb) {
    case 'install':
      return install(['temporal', 'ui', 'minio'], log);
    case 'up': {
      const t0 = Date.now();
      await up(c, log);
      console.log(
        `cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s; settings for its clients: ${p(c, 'cluster.env')}`,
      );
      return;
    }
    case 'down':
      console.log(`stopped: ${(await down(c)).join(', ') || 'nothing (none started by this script)'}`);
      return;
    case 'start':
      return start(c, target ?? '', log);
    case 'stop':
    case 'kill':
      console.log(
        `${target}: ${(await stop(c, target ?? '', verb === 'kill' ? 'SIGKILL' : 'SIGTERM')) ? 'stopped' : 'not running'}`,
      );
      return;
    case 'env':
      for (const [k, v] of Object.entries(clusterEnv(c))) console.log(`${k}=${v}`);
      return;
    case 'status': {
      const all = await status(c);
      for (const s of all) console.log(`${s.up ? 'up  ' : 'DOWN'} ${s.name.padEnd(11)} ${s.detail}`);
      if (all.some((s) => !s.up)) process.exitCode = 1;
      return;
    }
    default:
      throw new Error(
        `unknown verb "${verb}": install | up | down | status | env | start|stop|kill <component>`,
      );
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
