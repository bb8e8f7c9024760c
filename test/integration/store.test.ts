import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { cluster, layout, startMinio, stop } from '../../infra/cluster/cluster';
import { loadProcessConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/log';
import {
  ArtifactCorruptError,
  ArtifactNotFoundError,
  ConfigError,
  ServiceUnavailableError,
} from '../../lib/errors';
import { artifactKey, keys, S3ArtifactStore, sha256 } from '../../lib/store';
import { suiteConfig, suiteStore } from '../harness';

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The same suite against each S3 server: SeaweedFS (dev and CI) and MinIO (production). */
const SERVERS: [string, () => Promise<{ config: Config; done: () => Promise<void> }>][] = [
  [
    'SeaweedFS, the dev server',
    () => Promise.resolve({ config: suiteConfig('store'), done: () => Promise.resolve() }),
  ],
  [
    'MinIO, started for this suite by infra/cluster',
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'store-minio-'));
      const port = await freePort();
      const config = suiteConfig('store-minio', { SCIENTIST_S3_ENDPOINT: `http://127.0.0.1:${port}` });
      const c = cluster(config, { ...layout(), minio: port, minioConsole: await freePort() }, dir);
      await startMinio(c, createLogger('store-test', 'warn'));
      return {
        config,
        done: async () => {
          await stop(c, 'minio');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

describe.each(SERVERS)('S3 artifact store (real %s)', (_name, server) => {
  let config: Config;
  let store: S3ArtifactStore;
  let done = () => Promise.resolve();
  beforeAll(async () => {
    ({ config, done } = await server());
    store = suiteStore(config);
  });
  afterAll(() => done());
  /** The process environment with this server's endpoint. */
  const env = () => ({ ...process.env, SCIENTIST_S3_ENDPOINT: config.s3.endpoint });

  it('puts, reads, streams, lists and removes objects', async () => {
    await store.put('a/one.txt', 'one');
    await store.put('a/two.json', Buffer.from('{"x":2}'));
    await store.put('b/three.txt', 'three');
    expect(await store.getText('a/one.txt')).toBe('one');
    expect(await store.getJson('a/two.json')).toEqual({ x: 2 });
    let streamed = '';
    for await (const chunk of await store.stream('b/three.txt')) streamed += String(chunk);
    expect(streamed).toBe('three');
    expect((await store.list('a/')).map((o) => o.key)).toEqual(['a/one.txt', 'a/two.json']);
    expect(await store.exists('a/one.txt')).toBe(true);
    await store.remove('a/one.txt');
    expect(await store.exists('a/one.txt')).toBe(false);
    await expect(store.get('a/one.txt')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('overwrites on a second put of the same key (retried activities)', async () => {
    await store.putJson('retry/result.json', { attempt: 1 });
    await store.putJson('retry/result.json', { attempt: 2 });
    expect(await store.getJson('retry/result.json')).toEqual({ attempt: 2 });
    expect(await store.list('retry/')).toHaveLength(1);
  });

  it('stores content-addressed blobs once and detects corruption on read', async () => {
    const first = await store.putContent('cas/code', 'print("hello")\n');
    const again = await store.putContent('cas/code', 'print("hello")\n');
    expect(again.key).toBe(first.key);
    expect(first.key).toBe(`cas/code/${sha256('print("hello")\n')}`);
    expect((await store.getVerified(first.key)).toString()).toBe('print("hello")\n');
    await store.put(first.key, 'tampered');
    await expect(store.getVerified(first.key)).rejects.toBeInstanceOf(ArtifactCorruptError);
  });

  it('uploads a large stream of unknown length (multipart) intact', async () => {
    const size = 24 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < size / chunk.length; i++) yield chunk;
      })(),
    );
    const put = await store.put('big/blob.bin', body);
    expect(put.size).toBe(size);
    const back = await store.get('big/blob.bin');
    expect(back.length).toBe(size);
    expect(back.subarray(5 * 1024 * 1024, 5 * 1024 * 1024 + 300).equals(chunk.subarray(0, 300))).toBe(true);
  });

  it('presigns a GET URL that works without credentials and only for that key', async () => {
    await store.put('share/paper.txt', 'the paper');
    const url = await store.presign('share/paper.txt', 60);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('the paper');
    const forged = await fetch(url.replace('paper.txt', 'other.txt'));
    expect(forged.status).toBe(403);
  });

  it('rejects wrong credentials with a non-retryable error naming the settings to fix', async () => {
    const bad = loadProcessConfig({
      ...env(),
      SCIENTIST_S3_SECRET_KEY: 'wrong-secret-key',
      SCIENTIST_S3_PREFIX: 'test/bad/',
    });
    const err = await S3ArtifactStore.fromConfig(bad)
      .put('x.txt', 'x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/SCIENTIST_S3_SECRET_KEY/);
  });

  it('reports an unreachable server as a retryable ServiceUnavailableError', async () => {
    const down = loadProcessConfig({ ...env(), SCIENTIST_S3_ENDPOINT: 'http://127.0.0.1:1' });
    const err = await S3ArtifactStore.fromConfig(down)
      .put('x.txt', 'x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as ServiceUnavailableError).retryable).toBe(true);
  });

  it('builds keys per campaign, paper and step and refuses unsafe segments', () => {
    expect(keys.paper('paper-c1-idea', 'experiments', 'run_1', 'final_info.json')).toBe(
      'papers/paper-c1-idea/experiments/run_1/final_info.json',
    );
    expect(() => artifactKey('papers', '..', 'x')).toThrow(/unsafe/);
    expect(() => artifactKey('papers', 'a/b')).toThrow(/unsafe/);
  });
});
