/**
 * The offline default: a small GGUF model run in process by node-llama-cpp (in a worker
 * thread, see local-engine.mjs), with JSON-schema-constrained decoding so even a 135M model
 * returns schema-valid JSON. One provider per model file; its calls take turns, each on the
 * context sequence that already holds the longest start of its prompt (see local-engine.mjs).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConfigError, LlmContextLengthError, LlmUnavailableError } from '../../../lib/errors';
import { localModelHint } from '../local-models';
import type { LlmProvider, LlmUsage, ProviderCallOptions, ProviderRequest, ProviderResult } from '../types';

export interface LocalProviderOptions {
  modelPath: string;
  contextTokens: number;
  threads: number;
}

type EngineMessage =
  | { type: 'ready'; loadMs: number }
  | { type: 'text'; id: number; chunk: string }
  | { type: 'done'; id: number; text: string; finishReason: string; usage: LlmUsage }
  | { type: 'count'; id: number; tokens: number }
  | { type: 'error'; id?: number; message: string; code?: string }
  | { type: 'closed' };

export interface LocalProvider extends LlmProvider {
  /** Milliseconds the model took to load (after the first call), for the bench. */
  loadMs(): number | undefined;
}

export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  let worker: Worker | undefined;
  let ready: Promise<void> | undefined;
  let loadMs: number | undefined;
  let nextId = 1;
  let active = 0;
  const handlers = new Map<number, (msg: EngineMessage) => void>();
  // One context sequence: calls run one after another.
  let queue: Promise<unknown> = Promise.resolve();

  function start(): Promise<void> {
    if (ready) return ready;
    if (!existsSync(options.modelPath)) {
      return Promise.reject(
        new ConfigError(
          `local model file not found: ${options.modelPath} — ${localModelHint(options.modelPath)}`,
        ),
      );
    }
    const w = new Worker(path.join(__dirname, 'local-engine.mjs'));
    worker = w;
    w.unref();
    ready = new Promise<void>((resolve, reject) => {
      w.on('message', (msg: EngineMessage) => {
        if (msg.type === 'ready') {
          loadMs = msg.loadMs;
          resolve();
        } else if (msg.type === 'error' && msg.id === undefined) {
          reject(new LlmUnavailableError(`local model failed to load: ${msg.message}`));
        } else if ('id' in msg && msg.id !== undefined) {
          handlers.get(msg.id)?.(msg);
        }
      });
      w.on('error', (err) => {
        reject(new LlmUnavailableError(`local model engine crashed: ${err.message}`, { cause: err }));
        for (const h of handlers.values())
          h({ type: 'error', message: `local model engine crashed: ${err.message}` });
        worker = undefined;
        ready = undefined;
      });
    });
    w.postMessage({
      type: 'init',
      modelPath: options.modelPath,
      contextTokens: options.contextTokens,
      threads: options.threads,
    });
    return ready;
  }

  /** Sends one request and waits for its answer, keeping the thread referenced while busy. */
  async function ask<T>(
    send: (id: number) => object,
    onMessage: (msg: EngineMessage, resolve: (v: T) => void, reject: (e: Error) => void) => void,
  ): Promise<T> {
    await start();
    const w = worker!;
    const id = nextId++;
    if (active++ === 0) w.ref();
    try {
      return await new Promise<T>((resolve, reject) => {
        handlers.set(id, (msg) => {
          if (msg.type === 'error')
            reject(
              // A prompt too long for the window fails the same way on every retry.
              msg.code === 'context-length' || /too long prompt/.test(msg.message)
                ? new LlmContextLengthError(`local model: ${msg.message}`)
                : new LlmUnavailableError(`local model: ${msg.message}`),
            );
          else onMessage(msg, resolve, reject);
        });
        w.postMessage(send(id));
      });
    } finally {
      handlers.delete(id);
      if (--active === 0) w.unref();
    }
  }

  return {
    name: 'local',
    loadMs: () => loadMs,

    complete(req: ProviderRequest, { signal, onText }: ProviderCallOptions): Promise<ProviderResult> {
      const run = async (): Promise<ProviderResult> => {
        signal?.throwIfAborted();
        const started = Date.now();
        let abort: (() => void) | undefined;
        try {
          return await ask<ProviderResult>(
            (id) => {
              abort = () => worker?.postMessage({ type: 'abort', id });
              signal?.addEventListener('abort', abort, { once: true });
              return { type: 'generate', id, request: { ...req, meta: undefined } };
            },
            (msg, resolve) => {
              if (msg.type === 'text') onText?.(msg.chunk);
              else if (msg.type === 'done') {
                resolve({
                  text: msg.text,
                  usage: msg.usage,
                  finishReason: msg.finishReason,
                  model: req.model,
                  requestId: `local-${started.toString(36)}-${nextId}`,
                });
              }
            },
          );
        } finally {
          if (abort) signal?.removeEventListener('abort', abort);
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result.then((r) => {
        // A stopped generation must not look like an answer.
        signal?.throwIfAborted();
        return r;
      });
    },

    countTokens(text: string): Promise<number> {
      return ask<number>(
        (id) => ({ type: 'count', id, text }),
        (msg, resolve) => {
          if (msg.type === 'count') resolve(msg.tokens);
        },
      );
    },

    async close(): Promise<void> {
      const w = worker;
      if (!w) return;
      worker = undefined;
      ready = undefined;
      w.ref();
      await new Promise<void>((resolve) => {
        // The engine frees the model and exits; a wedged one is terminated.
        const timer = setTimeout(() => void w.terminate(), 5_000);
        w.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        w.postMessage({ type: 'close' });
      });
    },
  };
}
