import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as Minio from 'minio';
import type { Config } from '../config';
import {
  ArtifactCorruptError,
  ArtifactNotFoundError,
  ConfigError,
  InvalidInputError,
  ServiceUnavailableError,
} from '../errors';
import type { ArtifactStore, Body, ObjectInfo, StoredObject } from './artifact-store';

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchObject']);
const AUTH_CODES = new Set(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'InvalidToken']);
/** Network errors and S3's own "try again" answers. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
]);

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

export function minioClient(s3: Config['s3']): Minio.Client {
  const url = new URL(s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    useSSL: url.protocol === 'https:',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    pathStyle: true,
  });
}

/** ArtifactStore on any S3 server (SeaweedFS in dev, MinIO or AWS in production) via `minio`. */
export class S3ArtifactStore implements ArtifactStore {
  private bucketReady?: Promise<void>;

  constructor(
    private readonly client: Minio.Client,
    private readonly bucket: string,
    /** Prepended to every key; empty or ending in '/'. */
    private readonly prefix = '',
  ) {}

  static fromConfig(config: Config, extraPrefix = ''): S3ArtifactStore {
    return new S3ArtifactStore(minioClient(config.s3), config.s3.bucket, config.s3.prefix + extraPrefix);
  }

  /** A store over the same bucket whose keys live under `sub/` of this one's. */
  scoped(sub: string): S3ArtifactStore {
    return new S3ArtifactStore(this.client, this.bucket, `${this.prefix}${sub.replace(/\/?$/, '/')}`);
  }

  async put(key: string, body: Body, options: { contentType?: string } = {}): Promise<StoredObject> {
    await this.ensureBucket();
    const meta = { 'Content-Type': options.contentType ?? contentTypeOf(key) };
    return this.call(key, async () => {
      if (body instanceof Readable) {
        // Unknown length: minio switches to multipart for large streams.
        await this.client.putObject(this.bucket, this.full(key), body, undefined, meta);
        const stat = await this.client.statObject(this.bucket, this.full(key));
        return { key, size: stat.size };
      }
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      await this.client.putObject(this.bucket, this.full(key), buf, buf.length, meta);
      return { key, size: buf.length, sha256: sha256(buf) };
    });
  }

  async putContent(
    prefix: string,
    body: Buffer | string,
    options: { contentType?: string } = {},
  ): Promise<StoredObject> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const hash = sha256(buf);
    const key = `${prefix}/${hash}`;
    if (await this.exists(key)) return { key, size: buf.length, sha256: hash };
    await this.put(key, buf, options);
    return { key, size: buf.length, sha256: hash };
  }

  async get(key: string): Promise<Buffer> {
    const stream = await this.stream(key);
    return this.call(key, async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  async getText(key: string): Promise<string> {
    return (await this.get(key)).toString('utf8');
  }

  async getVerified(key: string): Promise<Buffer> {
    const expected = /([0-9a-f]{64})$/.exec(key)?.[1];
    if (!expected) throw new ArtifactCorruptError(`not a content-addressed key: ${key}`);
    const buf = await this.get(key);
    const actual = sha256(buf);
    if (actual !== expected) throw new ArtifactCorruptError(`content of ${key} hashes to ${actual}`);
    return buf;
  }

  async stream(key: string): Promise<Readable> {
    await this.ensureBucket();
    return this.call(key, () => this.client.getObject(this.bucket, this.full(key)));
  }

  async exists(key: string): Promise<boolean> {
    await this.ensureBucket();
    try {
      await this.call(key, () => this.client.statObject(this.bucket, this.full(key)));
      return true;
    } catch (err) {
      if (err instanceof ArtifactNotFoundError) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    await this.ensureBucket();
    return this.call(prefix, async () => {
      const out: ObjectInfo[] = [];
      for await (const item of this.client.listObjectsV2(this.bucket, this.full(prefix), true)) {
        const o = item as Minio.BucketItem;
        if (!o.name) continue;
        out.push({
          key: o.name.slice(this.prefix.length),
          size: o.size,
          lastModified: o.lastModified ?? new Date(0),
        });
      }
      return out.sort((a, b) => a.key.localeCompare(b.key));
    });
  }

  async remove(key: string): Promise<void> {
    await this.ensureBucket();
    await this.call(key, () => this.client.removeObject(this.bucket, this.full(key)));
  }

  async presign(key: string, expirySeconds = 24 * 3600): Promise<string> {
    await this.ensureBucket();
    return this.call(key, () => this.client.presignedGetObject(this.bucket, this.full(key), expirySeconds));
  }

  async putJson(key: string, value: unknown): Promise<StoredObject> {
    return this.put(key, JSON.stringify(value, null, 2), { contentType: 'application/json' });
  }

  async getJson<T = unknown>(key: string): Promise<T> {
    return JSON.parse(await this.getText(key)) as T;
  }

  private full(key: string): string {
    if (!key || key.startsWith('/') || key.split('/').includes('..'))
      throw new InvalidInputError(`bad artifact key: ${key}`);
    return this.prefix + key;
  }

  /** Creates the bucket once per store; concurrent first calls share one attempt. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= this.call(this.bucket, async () => {
      if (!(await this.client.bucketExists(this.bucket))) {
        try {
          await this.client.makeBucket(this.bucket);
        } catch (err) {
          // Another process created it between our check and our create.
          if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorCode(err) ?? '')) throw err;
        }
      }
    }).catch((err: unknown) => {
      this.bucketReady = undefined;
      throw err;
    });
    return this.bucketReady;
  }

  /** Sorts S3 failures into the taxonomy: missing key, transient outage, or as is. */
  private async call<T>(key: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const code = errorCode(err);
      if (code && NOT_FOUND_CODES.has(code)) throw new ArtifactNotFoundError(key, { cause: err });
      if (code && AUTH_CODES.has(code)) {
        throw new ConfigError(
          `S3 refused our credentials (${code}) for ${key}: check SCIENTIST_S3_ACCESS_KEY and SCIENTIST_S3_SECRET_KEY`,
          { cause: err },
        );
      }
      if ((code && TRANSIENT_CODES.has(code)) || /socket hang up/.test(String(err))) {
        throw new ServiceUnavailableError(
          `S3 store unreachable (${code ?? String(err)}) for ${key}; is the S3 server up? (scientist doctor)`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }
}

export function sha256(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

function contentTypeOf(key: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  const types: Record<string, string> = {
    json: 'application/json',
    txt: 'text/plain; charset=utf-8',
    log: 'text/plain; charset=utf-8',
    py: 'text/x-python',
    tex: 'application/x-tex',
    bib: 'text/x-bibtex',
    pdf: 'application/pdf',
    png: 'image/png',
    md: 'text/markdown',
    tar: 'application/x-tar',
  };
  return types[ext] ?? 'application/octet-stream';
}
