/**
 * Dev services: the Docker engine, the Temporal dev server and the S3 server, each started as a
 * detached process with its data and log under the data folder, and waited for with a timeout.
 *
 *   tsx infra/dev/services.ts up|down|status
 *   tsx infra/dev/services.ts start|stop|restart temporal|s3|docker
 *
 * The same functions are used by the test harness (global setup) and the crash tests.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { Connection } from '@temporalio/client';
import { loadProcessConfig, type Config } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/log';
import { PROJECT_ROOT } from '../../lib/paths';
import { ensureNamespace } from '../../lib/namespace';
import { minioClient } from '../../lib/store';
import { ensureLatexImage, ensureSandboxImage } from '../../sandbox/images';

export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');
export type ServiceName = 'docker' | 'temporal' | 's3';
export const SERVICE_NAMES: ServiceName[] = ['docker', 'temporal', 's3'];

export interface ServiceStatus {
  name: ServiceName;
  up: boolean;
  detail: string;
}

const dirs = (config: Config) => ({
  logs: path.join(config.dataDir, 'logs'),
  run: path.join(config.dataDir, 'run'),
  temporal: path.join(config.dataDir, 'temporal'),
  s3: path.join(config.dataDir, 's3'),
});

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

function hostOf(hostPort: string): string {
  return hostPort.slice(0, hostPort.lastIndexOf(':'));
}

/** Waits until `probe` resolves true, or fails after `timeoutMs` with `hint`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  hint: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s. ${hint}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts `cmd` detached, stdout/stderr appended to logs/<name>.log, pid in run/<name>.pid. */
export function spawnDetached(
  config: Config,
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): number {
  const d = dirs(config);
  mkdirSync(d.logs, { recursive: true });
  mkdirSync(d.run, { recursive: true });
  const logFile = path.join(d.logs, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  child.unref();
  writeFileSync(path.join(d.run, `${name}.pid`), String(child.pid));
  return child.pid;
}

export function readPid(config: Config, name: string): number | undefined {
  const file = path.join(dirs(config).run, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Stops the process recorded in run/<name>.pid: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopRecorded(
  config: Config,
  name: string,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<boolean> {
  const pid = readPid(config, name);
  if (pid === undefined) return false;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  rmSync(path.join(dirs(config).run, `${name}.pid`), { force: true });
  return true;
}

// ---------------------------------------------------------------- Docker engine

export function dockerClient(config: Config): Docker {
  return new Docker({ socketPath: config.docker.socketPath });
}

async function dockerUp(config: Config): Promise<boolean> {
  return dockerClient(config)
    .ping()
    .then(() => true)
    .catch(() => false);
}

const DAEMON_JSON = '/etc/docker/daemon.json';
const RUNSC = '/usr/bin/runsc';

/**
 * Registers gVisor's runsc with the engine when it is installed (SCIENTIST_SANDBOX_RUNTIME=runsc).
 * `--network=none` is required: without it runsc refuses to start in the root network
 * namespace. Existing daemon.json settings are kept. Returns true when the file changed.
 */
function registerRunsc(): boolean {
  if (!existsSync(RUNSC)) return false;
  let current: { runtimes?: Record<string, unknown> } = {};
  if (existsSync(DAEMON_JSON)) {
    try {
      current = JSON.parse(readFileSync(DAEMON_JSON, 'utf8')) as typeof current;
    } catch {
      throw new Error(`${DAEMON_JSON} is not valid JSON; fix it or remove it`);
    }
  }
  if (current.runtimes?.runsc) return false;
  const next = {
    ...current,
    runtimes: { ...current.runtimes, runsc: { path: RUNSC, runtimeArgs: ['--network=none'] } },
  };
  mkdirSync(path.dirname(DAEMON_JSON), { recursive: true });
  writeFileSync(DAEMON_JSON, JSON.stringify(next, null, 2) + '\n');
  return true;
}

export async function startDocker(config: Config, log: Logger): Promise<void> {
  const changed = registerRunsc();
  if (await dockerUp(config)) {
    const info = (await dockerClient(config).info()) as { Runtimes?: Record<string, unknown> };
    if (existsSync(RUNSC) && !info.Runtimes?.runsc) {
      // A running engine reloads runtimes on SIGHUP: no restart, no container disturbed. Only
      // an engine this project started is signalled; someone else's is theirs to reload.
      const pid = readPid(config, 'dockerd');
      if (pid !== undefined) {
        log.info(
          `registering runsc with the running Docker engine${changed ? '' : ' (already in daemon.json)'}`,
        );
        process.kill(pid, 'SIGHUP');
      } else {
        log.warn(
          `runsc is in ${DAEMON_JSON} but the Docker engine (not started by this project) has not loaded it; reload it (SIGHUP to dockerd, or restart it) to offer SCIENTIST_SANDBOX_RUNTIME=runsc`,
        );
      }
    }
    return;
  }
  // No bridge networks and no iptables: sandboxes run with network mode `none` only.
  log.info('starting dockerd (--bridge=none --iptables=false --ip6tables=false)');
  spawnDetached(config, 'dockerd', 'dockerd', ['--bridge=none', '--iptables=false', '--ip6tables=false']);
  await waitFor(
    'the Docker engine',
    () => dockerUp(config),
    60_000,
    `See ${path.join(dirs(config).logs, 'dockerd.log')}; is docker.io installed and are you root?`,
  );
}

// ---------------------------------------------------------------- Temporal dev server

async function temporalUp(config: Config): Promise<boolean> {
  const conn = await Connection.connect({ address: config.temporal.address, connectTimeout: 1000 });
  try {
    await conn.workflowService.getSystemInfo({});
    return true;
  } finally {
    await conn.close();
  }
}

async function temporalUiUp(config: Config): Promise<boolean> {
  const res = await fetch(config.temporal.uiUrl, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

export async function startTemporal(config: Config, log: Logger): Promise<void> {
  if (!(await temporalUp(config).catch(() => false))) {
    const d = dirs(config);
    mkdirSync(d.temporal, { recursive: true });
    const ui = new URL(config.temporal.uiUrl);
    log.info(`starting Temporal dev server on ${config.temporal.address} (UI ${config.temporal.uiUrl})`);
    spawnDetached(
      config,
      'temporal',
      path.join(TOOLS_BIN, 'temporal'),
      [
        'server',
        'start-dev',
        '--db-filename',
        path.join(d.temporal, 'temporal.db'),
        '--ip',
        hostOf(config.temporal.address),
        '--port',
        String(portOf(config.temporal.address)),
        '--ui-ip',
        ui.hostname,
        '--ui-port',
        ui.port || '80',
        '--namespace',
        config.temporal.namespace,
        '--log-level',
        'warn',
        // A freshly registered search attribute must be usable at once, not after a cache refresh.
        '--dynamic-config-value',
        'system.forceSearchAttributesCacheRefreshOnRead=true',
      ],
      { TEMPORAL_VERSION_CHECK_DISABLED: '1' },
    );
    await waitFor(
      'the Temporal dev server',
      () => temporalUp(config),
      90_000,
      `See ${path.join(d.logs, 'temporal.log')}; is the port of SCIENTIST_TEMPORAL_ADDRESS free? Run: npm run services -- restart temporal`,
    );
  }
  await waitFor(
    'the Temporal Web UI',
    () => temporalUiUp(config),
    30_000,
    `Check SCIENTIST_TEMPORAL_UI_URL (${config.temporal.uiUrl}).`,
  );
  const added = await ensureNamespace(config);
  if (added.length) log.info(`registered search attributes: ${added.join(', ')}`);
}

// ---------------------------------------------------------------- S3 server (SeaweedFS)

async function s3Up(config: Config): Promise<boolean> {
  await minioClient(config.s3).listBuckets();
  return true;
}

export async function startS3(config: Config, log: Logger): Promise<void> {
  if (await s3Up(config).catch(() => false)) return;
  const d = dirs(config);
  mkdirSync(d.s3, { recursive: true });
  // SeaweedFS reads its S3 identities from a file; it holds the configured keys, so it is
  // private to root and lives in the data folder, never in the repository.
  const identities = path.join(d.run, 's3-identities.json');
  mkdirSync(d.run, { recursive: true });
  writeFileSync(
    identities,
    JSON.stringify({
      identities: [
        {
          name: 'scientist',
          credentials: [{ accessKey: config.s3.accessKey, secretKey: config.s3.secretKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
    { mode: 0o600 },
  );
  const url = new URL(config.s3.endpoint);
  log.info(`starting S3 server (SeaweedFS) on ${config.s3.endpoint}`);
  spawnDetached(config, 's3', path.join(TOOLS_BIN, 'weed'), [
    'mini',
    `-dir=${d.s3}`,
    `-ip=${url.hostname}`,
    `-ip.bind=${url.hostname}`,
    `-s3.port=${url.port || '80'}`,
    `-s3.config=${identities}`,
    '-webdav=false',
    '-admin.ui=false',
    '-master.telemetry=false',
  ]);
  await waitFor(
    'the S3 server',
    () => s3Up(config),
    60_000,
    `See ${path.join(d.logs, 's3.log')}; are SeaweedFS's ports (${url.port}, 9333, 9340, 8888 and +10000) free?`,
  );
}

// ---------------------------------------------------------------- all together

export async function status(config: Config): Promise<ServiceStatus[]> {
  const check = async (
    name: ServiceName,
    probe: () => Promise<boolean>,
    where: string,
  ): Promise<ServiceStatus> => {
    const up = await probe().catch(() => false);
    return { name, up, detail: up ? where : `down (${where})` };
  };
  return Promise.all([
    check('docker', () => dockerUp(config), config.docker.socketPath),
    check('temporal', () => temporalUp(config), `${config.temporal.address}, UI ${config.temporal.uiUrl}`),
    check('s3', () => s3Up(config), config.s3.endpoint),
  ]);
}

export async function start(config: Config, name: ServiceName, log: Logger): Promise<void> {
  if (name === 'docker') return startDocker(config, log);
  if (name === 'temporal') return startTemporal(config, log);
  return startS3(config, log);
}

/**
 * Stops a service this project started. `signal` SIGKILL simulates a crash (used by the crash
 * tests). A Docker engine we did not start is left alone.
 */
export async function stop(
  config: Config,
  name: ServiceName,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<boolean> {
  return stopRecorded(config, name === 'docker' ? 'dockerd' : name, signal);
}

/** Brings everything up: engine, Temporal, S3 in parallel, then the sandbox and LaTeX images. */
export async function up(config: Config, log: Logger): Promise<void> {
  await Promise.all([startDocker(config, log), startTemporal(config, log), startS3(config, log)]);
  // Both builds are mostly downloads and unpacking: in parallel they take little more than one.
  await Promise.all([
    ensureSandboxImage(dockerClient(config), config, log),
    ensureLatexImage(dockerClient(config), config, log),
  ]);
}

async function main(argv: string[]): Promise<void> {
  const config = loadProcessConfig();
  const log = createLogger('services', config.logLevel);
  const [verb = 'status', target] = argv;
  const targets = (target ? [target] : SERVICE_NAMES) as ServiceName[];
  if (target && !SERVICE_NAMES.includes(target as ServiceName)) {
    throw new Error(`unknown service "${target}"; one of: ${SERVICE_NAMES.join(', ')}`);
  }
  switch (verb) {
    case 'up':
      return up(config, log);
    case 'start':
      for (const t of targets) await start(config, t, log);
      return;
    case 'down':
    case 'stop':
      for (const t of target ? targets : (['s3', 'temporal'] as ServiceName[])) {
        console.log(`${t}: ${(await stop(config, t)) ? 'stopped' : 'not started by this project'}`);
      }
      return;
    case 'restart':
      for (const t of targets) {
        await stop(config, t);
        await start(config, t, log);
      }
      return;
    case 'status': {
      const all = await status(config);
      for (const s of all) console.log(`${s.up ? 'up  ' : 'DOWN'} ${s.name.padEnd(8)} ${s.detail}`);
      if (all.some((s) => !s.up)) process.exitCode = 1;
      return;
    }
    default:
      throw new Error(`unknown verb "${verb}": up | down | status | start|stop|restart <service>`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`services: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
