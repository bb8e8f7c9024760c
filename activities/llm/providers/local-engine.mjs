// The local model's engine, run in a worker thread: node-llama-cpp is an ES module with
// top-level await, which a CommonJS process (and jest's module sandbox) cannot load in place,
// and a thread keeps the model's memory and native threads apart from the activity code.
// Protocol (messages): in  {type:'init', modelPath, contextTokens, threads}
//                          {type:'generate', id, request} | {type:'count', id, text} | {type:'abort', id} | {type:'close'}
//                      out {type:'ready', loadMs} | {type:'text', id, chunk} | {type:'done', id, ...} | {type:'error', id?, message}
import { parentPort } from 'node:worker_threads';

const { getLlama, LlamaChatSession } = await import('node-llama-cpp');

let llama, model, context;
const grammars = new Map();
// Several sequences in one context, each keeping the evaluated tokens of its last call: a call
// goes to the sequence whose last prompt shares the longest start with its own (the same system
// text and template code), so only what differs is evaluated again; otherwise to the one used
// least recently. Each sequence costs its own window of KV cache.
const SEQUENCES = 4;
const MIN_SHARED_CHARS = 64;
let slots = [];
let clock = 0;
function sharedPrefix(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
function pickSlot(text) {
  let best;
  let bestShared = MIN_SHARED_CHARS - 1;
  for (const slot of slots) {
    const shared = sharedPrefix(text, slot.lastText);
    if (shared > bestShared) {
      best = slot;
      bestShared = shared;
    }
  }
  best ??= slots.reduce((a, b) => (b.usedAt < a.usedAt ? b : a));
  best.usedAt = ++clock;
  best.lastText = text;
  return best.sequence;
}
const aborts = new Map();

// node-llama-cpp turns a subset of JSON Schema into a GBNF grammar; keys outside it are dropped.
const KEEP = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'description',
  '$defs',
  '$ref',
  'minLength',
  'maxLength',
]);
// Grammars cannot express numeric ranges; a small integer range becomes an enum (scores 1..10).
const MAX_ENUM_RANGE = 100;
function sanitize(schema) {
  if (Array.isArray(schema)) return schema.map(sanitize);
  if (!schema || typeof schema !== 'object') return schema;
  const { type, minimum, maximum } = schema;
  if (
    type === 'integer' &&
    Number.isInteger(minimum) &&
    Number.isInteger(maximum) &&
    maximum - minimum <= MAX_ENUM_RANGE
  ) {
    return { enum: Array.from({ length: maximum - minimum + 1 }, (_, i) => minimum + i) };
  }
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (!KEEP.has(k)) continue;
    if (k === 'properties' || k === '$defs')
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, sanitize(s)]));
    else if (k === 'additionalProperties') out[k] = typeof v === 'boolean' ? v : sanitize(v);
    else out[k] = typeof v === 'object' ? sanitize(v) : v;
  }
  return out;
}

async function grammarFor(schema) {
  const key = JSON.stringify(schema);
  if (!grammars.has(key)) grammars.set(key, await llama.createGrammarForJsonSchema(sanitize(schema)));
  return grammars.get(key);
}

const TEMPLATE_TOKENS = 64;
const MIN_REPLY_TOKENS = 32;

async function generate(id, req) {
  const controller = new AbortController();
  aborts.set(id, controller);
  const systemText = req.context ? `${req.system}\n\n${req.context}` : req.system;
  const sequence = pickSlot([systemText, ...req.messages.map((m) => m.content)].join('\n'));
  const session = new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
  try {
    const history = [{ type: 'system', text: systemText }];
    const turns = req.messages.slice(0, -1);
    for (const m of turns)
      history.push(
        m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] },
      );
    session.setChatHistory(history);
    const last = req.messages[req.messages.length - 1];
    const before = sequence.tokenMeter.getState();
    const promptTokens = model.tokenize(
      [systemText, ...req.messages.map((m) => m.content)].join('\n'),
    ).length;
    // The caller sizes prompts with an estimate; the real tokenizer decides. A reply that would
    // run past the window makes llama.cpp shift context, which fails for a long prompt, so the
    // reply is capped to the room that is really left (the chat template takes a little too).
    const contextSize = sequence.context.contextSize;
    const room = contextSize - promptTokens - TEMPLATE_TOKENS;
    if (room < MIN_REPLY_TOKENS)
      throw Object.assign(
        new Error(
          `the prompt is ${promptTokens} tokens: no room for a reply in the ${contextSize}-token window`,
        ),
        { code: 'context-length' },
      );
    const maxTokens = Math.min(req.params.maxTokens, room);
    const grammar = req.jsonSchema ? await grammarFor(req.jsonSchema.schema) : undefined;
    let finishReason = 'stop';
    const text = await session.prompt(last?.content ?? '', {
      grammar,
      maxTokens,
      temperature: req.params.temperature ?? 0,
      customStopTriggers: req.params.stop?.length ? req.params.stop : undefined,
      signal: controller.signal,
      stopOnAbortSignal: true,
      onTextChunk: (chunk) => parentPort.postMessage({ type: 'text', id, chunk }),
    });
    const after = sequence.tokenMeter.getState();
    const evaluated = after.usedInputTokens - before.usedInputTokens;
    const outputTokens = after.usedOutputTokens - before.usedOutputTokens;
    if (controller.signal.aborted) finishReason = 'aborted';
    else if (outputTokens >= maxTokens) finishReason = 'length';
    parentPort.postMessage({
      type: 'done',
      id,
      text,
      finishReason,
      usage: {
        inputTokens: promptTokens,
        cachedInputTokens: Math.max(0, promptTokens - evaluated),
        cacheWriteTokens: 0,
        outputTokens,
      },
    });
  } finally {
    aborts.delete(id);
    session.dispose({ disposeSequence: false });
  }
}

parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'init') {
      const t0 = Date.now();
      // build:'never': use the prebuilt CPU binary; installs here run no scripts, nothing may compile.
      llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
      model = await llama.loadModel({ modelPath: msg.modelPath });
      context = await model.createContext({
        contextSize: Math.min(msg.contextTokens, model.trainContextSize),
        threads: msg.threads,
        sequences: SEQUENCES,
      });
      slots = Array.from({ length: SEQUENCES }, () => ({
        sequence: context.getSequence(),
        lastText: '',
        usedAt: 0,
      }));
      parentPort.postMessage({
        type: 'ready',
        loadMs: Date.now() - t0,
        trainContextTokens: model.trainContextSize,
      });
    } else if (msg.type === 'generate') {
      await generate(msg.id, msg.request);
    } else if (msg.type === 'count') {
      parentPort.postMessage({ type: 'count', id: msg.id, tokens: model.tokenize(msg.text).length });
    } else if (msg.type === 'abort') {
      aborts.get(msg.id)?.abort();
    } else if (msg.type === 'close') {
      await context?.dispose();
      await model?.dispose();
      await llama?.dispose();
      parentPort.postMessage({ type: 'closed' });
      parentPort.close();
    }
  } catch (err) {
    parentPort.postMessage({
      type: 'error',
      id: msg.id,
      message: err instanceof Error ? err.message : String(err),
      code: err?.code,
    });
  }
});
