import type { Readable } from 'node:stream';

/** What a put stored. */
export interface StoredObject {
  key: string;
  /** Bytes. */
  size: number;
  /** Hex sha256 of the content, when the store computed it (content-addressed puts always do). */
  sha256?: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export type Body = Buffer | string | Readable;

/**
 * The one storage interface: every artifact (prompts, completions, code, logs, figures, PDFs)
 * goes through it, and workflows only ever see its keys. Keys are relative to the store's
 * prefix; layout in ./keys.ts.
 */
export interface ArtifactStore {
  /** Stores `body` under `key`, replacing what was there (retried activities overwrite). */
  put(key: string, body: Body, options?: { contentType?: string }): Promise<StoredObject>;
  /**
   * Stores `body` under `<prefix>/<sha256>` unless that key already exists: a retried put of
   * the same bytes costs one existence check and yields the same key.
   */
  putContent(
    prefix: string,
    body: Buffer | string,
    options?: { contentType?: string },
  ): Promise<StoredObject>;
  get(key: string): Promise<Buffer>;
  getText(key: string): Promise<string>;
  /** Reads a content-addressed key and checks the bytes against the hash in its name. */
  getVerified(key: string): Promise<Buffer>;
  stream(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  remove(key: string): Promise<void>;
  /** A time-limited GET URL for a person or another tool (seconds; S3 caps it at 7 days). */
  presign(key: string, expirySeconds?: number): Promise<string>;
  putJson(key: string, value: unknown): Promise<StoredObject>;
  getJson<T = unknown>(key: string): Promise<T>;
}
