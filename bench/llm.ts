/**
 * LLM bench: the local model's speed on this machine, the cost of running an LLM call as a
 * Temporal activity (vs calling the same fake server directly), and the history bytes a call
 * adds to its workflow.
 *   npx tsx bench/llm.ts [calls=20]
 */
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import {
  createLlmActivities,
  createLlmClient,
  recordedCall,
  transcriptKey,
  type LlmCallInput,
  type LlmRequest,
} from '../activities/llm';
import { loadProcessConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { S3ArtifactStore } from '../lib/store';
import { connectClient, connectWorker, installRuntimeLogger } from '../lib/temporal';
import type { ActivityDeps } from '../activities';
import type { LlmProbeResult } from '../workflows';
import { FakeLlmServer, reply } from '../test/llm/fake-llm-server';
import { ACTIVITY_WORKER_OPTIONS } from '../workers/create-worker';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function localModel(): Promise<void> {
  const log = createLogger('bench-llm', 'warn');
  const config = loadProcessConfig({ ...process.env, SCIENTIST_LLM_DEFAULT: 'local' });
  const llm = createLlmClient({ config, log });
  try {
    const t0 = Date.now();
    await llm.call({
      role: 'writing',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hi.' }],
      maxTokens: 4,
      temperature: 0,
    });
    const loadMs = Date.now() - t0;
    const rates: number[] = [];
    for (const schema of [undefined, true]) {
      const { z } = await import('zod');
      const r = await llm.call({
        role: 'writing',
        system: 'You are an ML researcher.',
        messages: [
          {
            role: 'user',
            content: 'Describe three experiments on grokking in modular arithmetic, in detail.',
          },
        ],
        maxTokens: 256,
        temperature: 0,
        ...(schema
          ? {
              schema: z.object({
                experiments: z.array(z.object({ name: z.string(), plan: z.string() })).min(3),
              }),
            }
          : {}),
      });
      rates.push((r.usage.outputTokens * 1000) / r.latencyMs);
      console.log(
        `local model ${schema ? 'JSON-schema' : 'free text '}: ${r.usage.outputTokens} output tokens, ${r.usage.inputTokens} prompt tokens in ${r.latencyMs} ms → ${rates.at(-1)!.toFixed(1)} tokens/s`,
      );
    }
    console.log(
      `local model first call (load + 4 tokens): ${loadMs} ms; threads=${config.llm.local.threads}`,
    );
  } finally {
    await llm.close();
  }
}

async function overhead(calls: number): Promise<void> {
  const server = await FakeLlmServer.start();
  server.fallback = () =>
    reply.text(
      'A short but realistic completion of about forty tokens, the size of a reflection verdict or a review score line.',
      { input: 2000, cached: 0, output: 40 },
    );
  const id = `bench-llm-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const config = loadProcessConfig({
    ...process.env,
    SCIENTIST_TASK_QUEUE: id,
    SCIENTIST_S3_PREFIX: `bench/${id}/`,
    SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o',
    SCIENTIST_OPENAI_API_KEY: 'bench',
    SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
    SCIENTIST_LOG_LEVEL: 'warn',
  });
  const log = createLogger('bench-llm', 'warn');
  const store = S3ArtifactStore.fromConfig(config);
  const llm = createLlmClient({ config, log });
  const request = (i: number): LlmRequest => ({
    role: 'review',
    system: 'You are a reviewer.',
    messages: [{ role: 'user', content: `Score paper ${i}. ${'Context sentence. '.repeat(100)}` }],
  });
  const input = (i: number): LlmCallInput => ({ ...request(i), step: `call-${i}` }) as LlmCallInput;
  try {
    // Direct: the plain function, and the plain function plus the S3 transcript (what the activity adds first).
    const direct: number[] = [];
    const recorded: number[] = [];
    for (let i = 0; i < calls; i++) {
      const step = `call-${i}`;
      const req = request(i);
      let t = performance.now();
      await llm.call(req, { step });
      direct.push(performance.now() - t);
      t = performance.now();
      await recordedCall({ llm, store }, transcriptKey(`${id}-direct`, step), req);
      recorded.push(performance.now() - t);
    }
    installRuntimeLogger('ERROR');
    const connection = await connectWorker(config);
    const deps = { config, store, log } as unknown as ActivityDeps; // the LLM activities use no sandbox
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: id,
      workflowsPath: require.resolve('../workflows'),
      activities: createLlmActivities(deps),
      ...ACTIVITY_WORKER_OPTIONS,
    });
    const client = await connectClient(config);
    const { perCallMs, historyBytes, eventsPerCall } = await worker.runUntil(async () => {
      // Warm-up workflow (first workflow task pays for the sandbox's isolate).
      await client.workflow.execute('llmProbeWorkflow', {
        taskQueue: id,
        workflowId: `${id}-warm`,
        args: [{ calls: [input(0)] }],
      });
      const t = performance.now();
      const workflowId = `${id}-probe`;
      const result = (await client.workflow.execute('llmProbeWorkflow', {
        taskQueue: id,
        workflowId,
        args: [{ calls: Array.from({ length: calls }, (_, i) => input(i)) }],
      })) as LlmProbeResult;
      const elapsed = performance.now() - t;
      if (result.results.length !== calls) throw new Error('probe returned the wrong number of results');
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
      const completed = events.filter((e) => e.activityTaskCompletedEventAttributes);
      // Bytes as the server stores them: each event protobuf-encoded.
      const bytes = (es: typeof events) =>
        es.reduce((n, e) => n + temporal.api.history.v1.HistoryEvent.encode(e).finish().length, 0);
      return {
        perCallMs: elapsed / calls,
        historyBytes: {
          total: bytes(events),
          scheduled: bytes(scheduled) / scheduled.length,
          completed: bytes(completed) / completed.length,
        },
        eventsPerCall: (events.length - 5) / calls,
      };
    });
    await client.connection.close();
    await connection.close();
    const d = median(direct);
    const r = median(recorded);
    console.log(`LLM call, same fake server, ${calls} calls each (median ms):`);
    console.log(`  direct llm.call:                      ${d.toFixed(1)} ms`);
    console.log(`  direct + transcript to S3:            ${r.toFixed(1)} ms`);
    console.log(`  as llmCall activity through Temporal: ${perCallMs.toFixed(1)} ms (mean in one workflow)`);
    console.log(
      `  activity overhead per call:           ${(perCallMs - d).toFixed(1)} ms (of which S3 transcript ≈ ${(r - d).toFixed(1)} ms)`,
    );
    console.log(
      `history per call: ${eventsPerCall.toFixed(1)} events, ~${Math.round(historyBytes.total / calls)} bytes ` +
        `(ActivityTaskScheduled ${Math.round(historyBytes.scheduled)} B incl. the prompt, ActivityTaskCompleted ${Math.round(historyBytes.completed)} B)`,
    );
  } finally {
    await server.close();
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const calls = Number(argv[0] ?? 20);
  await localModel();
  await overhead(calls);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
