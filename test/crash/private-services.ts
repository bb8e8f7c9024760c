/**
 * Private Temporal and S3 servers for the crash tests: own ports and own data, so that a test can
 * stop one and start it again without disturbing anyone else's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTemporal, stop as stopService, TOOLS_BIN } from '../../infra/dev/services';
import { loadProcessConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { minioClient } from '../../lib/store';
import { waitUntil } from './history';

/**
 * A TCP port nobody listens on now, below the kernel's ephemeral range (32768 and up): a server
 * we stop and start again must find its port free, and an outgoing connection never takes one
 * of these meanwhile.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port below 32768');
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A Temporal dev server of our own (own ports, own SQLite file), started and stopped through
 * the same code as `npm run services` (infra/dev/services.ts).
 */
export class PrivateTemporal {
  private constructor(
    readonly config: Config,
    readonly dataDir: string,
  ) {}

  static async start(): Promise<PrivateTemporal> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ds-crash-temporal-'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const config = loadProcessConfig({
      ...process.env,
      SCIENTIST_DATA_DIR: dataDir,
      SCIENTIST_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      SCIENTIST_TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
    });
    const t = new PrivateTemporal(config, dataDir);
    await t.up();
    return t;
  }

  get address(): string {
    return this.config.temporal.address;
  }

  get dbFile(): string {
    return path.join(this.dataDir, 'temporal', 'temporal.db');
  }

  /** Starts the server on the same DB file; resolves once it answers (and its UI does). */
  async up(): Promise<void> {
    await startTemporal(this.config, createLogger('private-temporal', 'warn'));
  }

  /** Stops the server: SIGKILL (a crash) by default. */
  async down(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!(await stopService(this.config, 'temporal', signal)))
      throw new Error('the private Temporal server was not running');
  }

  async destroy(): Promise<void> {
    await stopService(this.config, 'temporal', 'SIGKILL').catch(() => false);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * An S3 server of our own: SeaweedFS started as infra/dev/services.ts starts the shared one, but
 * with every port of its own (S3, master, volume, filer, admin; gRPC ports are +10000) and its
 * own data folder, so stopping it touches nobody else's store.
 */
export class PrivateS3 {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly dir: string,
    readonly ports: { s3: number; master: number; volume: number; filer: number; admin: number },
    readonly accessKey: string,
    readonly secretKey: string,
  ) {}

  static async start(): Promise<PrivateS3> {
    const dir = mkdtempSync(path.join(tmpdir(), 'ds-crash-s3-'));
    // Five consecutive ports (and the same +10000 for gRPC) that nobody uses.
    for (let tries = 0; tries < 50; tries++) {
      // gRPC ports are +10000: all of them stay below the ephemeral range (see freePort).
      const base = 10_000 + Math.floor(Math.random() * 12_000);
      const all = [0, 1, 2, 3, 4].flatMap((i) => [base + i, base + i + 10_000]);
      if (!(await Promise.all(all.map(portFree))).every(Boolean)) continue;
      const s3 = new PrivateS3(
        dir,
        { s3: base, master: base + 1, volume: base + 2, filer: base + 3, admin: base + 4 },
        'crash-test',
        randomBytes(12).toString('hex'),
      );
      await s3.up();
      return s3;
    }
    throw new Error('no free ports for a private S3 server');
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.ports.s3}`;
  }

  /** Settings that point a process (or a config) at this server. */
  get env(): Record<string, string> {
    return {
      SCIENTIST_S3_ENDPOINT: this.endpoint,
      SCIENTIST_S3_ACCESS_KEY: this.accessKey,
      SCIENTIST_S3_SECRET_KEY: this.secretKey,
    };
  }

  get logFile(): string {
    return path.join(this.dir, 's3.log');
  }

  async up(): Promise<void> {
    const identities = path.join(this.dir, 'identities.json');
    writeFileSync(
      identities,
      JSON.stringify({
        identities: [
          {
            name: 'scientist',
            credentials: [{ accessKey: this.accessKey, secretKey: this.secretKey }],
            actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
          },
        ],
      }),
      { mode: 0o600 },
    );
    const data = path.join(this.dir, 'data');
    mkdirSync(data, { recursive: true });
    const fd = openSync(this.logFile, 'a');
    const p = this.ports;
    const child = spawn(
      path.join(TOOLS_BIN, 'weed'),
      [
        'mini',
        `-dir=${data}`,
        '-ip=127.0.0.1',
        '-ip.bind=127.0.0.1',
        `-s3.port=${p.s3}`,
        `-master.port=${p.master}`,
        `-volume.port=${p.volume}`,
        `-filer.port=${p.filer}`,
        `-admin.port=${p.admin}`,
        '-s3.port.iceberg=0',
        '-s3.port.lance=0',
        `-s3.config=${identities}`,
        '-webdav=false',
        '-admin.ui=false',
        '-master.telemetry=false',
      ],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.child = child;
    let failed: Error | undefined;
    child.once('error', (err) => (failed = err));
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const client = minioClient(
      loadProcessConfig({ ...process.env, ...this.env, SCIENTIST_S3_PREFIX: '' }).s3,
    );
    let exited = false;
    void this.exited.then(() => (exited = true));
    await waitUntil(
      `the private S3 server on ${this.endpoint} (log: ${this.logFile})`,
      async () => {
        if (failed) throw new Error(`cannot start the private S3 server: ${failed.message}`);
        if (exited)
          throw new Error(
            `the private S3 server exited:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`,
          );
        return client
          .listBuckets()
          .then(() => true)
          .catch(() => false);
      },
      90_000,
      300,
    );
  }

  /** Stops the server (SIGKILL: a crash) and waits until its process is gone. */
  async down(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child) return;
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      /* gone */
    }
    await this.exited;
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
