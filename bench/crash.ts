/**
 * Crash bench: one paper on the grokking template (quick profile, fast mode) with real worker
 * processes, a private Temporal dev server and a private S3 server (own ports and data: the
 * shared dev services are never touched) and the fake OpenAI-compatible LLM. It suffers every
 * kind of crash in turn and prints, for each, the time from the crash to resumed progress:
 *
 *   main-llm      SIGKILL of the main worker while a model request waits for its reply
 *                 → the request is made again (by a new main worker process)
 *   gpu           SIGKILL of the GPU worker mid-training → the run's next attempt starts on a new
 *                 GPU worker (and whether it resumed from a checkpoint)
 *   s3            the S3 server killed as a reply arrives, restarted after 20 s → the step is
 *                 asked again
 *   main-stream   SIGKILL of the main worker while a write-up section streams in → asked again
 *   temporal      the Temporal server killed while a write-up step waits for its model, started
 *                 again on the same DB file after 15 s → the model is asked for the next step
 *
 *   npx tsx bench/crash.ts [kind ...]      (default: every kind; figures printed, not asserted)
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal as temporalProto } from '@temporalio/proto';
import { connectClient } from '../lib/temporal';
import { sleep, waitUntil } from '../test/crash/history';
import { paperInput, startPaper } from '../test/crash/paper';
import { PipelineLlm, type LabelledRequest } from '../test/crash/pipeline-llm';
import { PrivateS3, PrivateTemporal } from '../test/crash/private-services';
import { crashSuite } from '../test/crash/suite';
import { killAllWorkers, killWorker, startWorker, type WorkerProc } from '../test/crash/worker-processes';

const KINDS = ['main-llm', 'gpu', 's3', 'main-stream', 'temporal'] as const;
type Kind = (typeof KINDS)[number];

const S3_OUTAGE_S = 20;
const TEMPORAL_DOWN_S = 15;

interface Figure {
  kind: Kind;
  interrupted: string;
  /** Crash (SIGKILL or server stop) → resumed progress, ms. */
  resumeMs: number;
  note: string;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function main(argv: string[] = []): Promise<void> {
  const kinds = new Set<Kind>(argv.length ? (argv as Kind[]) : KINDS);
  for (const k of kinds)
    if (!KINDS.includes(k)) throw new Error(`unknown crash kind "${k}": ${KINDS.join(', ')}`);
  const t0 = Date.now();
  const temporal = await PrivateTemporal.start();
  const s3 = await PrivateS3.start();
  const llm = await PipelineLlm.start();
  const suite = crashSuite('bench-crash', {
    ...llm.env,
    ...s3.env,
    SCIENTIST_TEMPORAL_ADDRESS: temporal.address,
    SCIENTIST_CHECKPOINT_EVERY: '10',
  });
  const figures: Figure[] = [];
  let client: Client = await connectClient(suite.config);
  let mainW: WorkerProc | undefined;
  let gpuW: WorkerProc | undefined;
  try {
    const input = await paperInput(suite.config);
    gpuW = startWorker('gpu', suite.env, 'gpu-1');
    mainW = startWorker('main', suite.env, 'main-1');
    await Promise.all([gpuW.polling, mainW.polling]);
    console.log(
      `services and workers up in ${s(Date.now() - t0)} (private Temporal ${temporal.address}, S3 ${s3.endpoint})`,
    );

    const holds = {
      'main-llm': kinds.has('main-llm') ? llm.hold(/^experiments\/run_1\/edit$/) : undefined,
      s3: kinds.has('s3') ? llm.hold(/^plots\/describe$/) : undefined,
      'main-stream': kinds.has('main-stream') ? llm.hold(/^writeup\/results\/draft$/, 'stream') : undefined,
      temporal: kinds.has('temporal') ? llm.hold(/^writeup\/conclusion\/draft$/) : undefined,
    };
    let handle: WorkflowHandle = await startPaper(client, suite.config, input);
    const askedAgain = (first: LabelledRequest) =>
      waitUntil(
        `step ${first.step} asked again`,
        () => llm.calls.find((c) => c.step === first.step && c.n > first.n),
        10 * 60_000,
        100,
      );

    /** Kills the main worker and starts the next one; returns the kill time. */
    let mains = 1;
    let pollMs = 0;
    const replaceMain = async () => {
      const killedAt = await killWorker(mainW!);
      mainW = startWorker('main', suite.env, `main-${++mains}`);
      const startedAt = Date.now();
      void mainW.polling.then(() => (pollMs = Date.now() - startedAt)).catch(() => undefined);
      return killedAt;
    };

    if (holds['main-llm']) {
      const first = await holds['main-llm'].arrived;
      const killedAt = await replaceMain();
      holds['main-llm'].release();
      const again = await askedAgain(first);
      figures.push({
        kind: 'main-llm',
        interrupted: 'coder edit waiting for the model',
        resumeMs: again.request.at - killedAt,
        note: `new main worker polling after ${s(pollMs)}; the retry waits for the 30 s heartbeat timeout`,
      });
    }

    let gpuCheck: (() => Promise<void>) | undefined;
    if (kinds.has('gpu')) {
      // Kill the GPU worker 8 s into run_1's training.
      const STARTED = temporalProto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
      const runAttempt = async () => {
        const p = (await handle.describe()).raw.pendingActivities ?? [];
        const a = p.find((x) => x.activityType?.name === 'runExperiment');
        return a && a.state === STARTED ? (a.attempt ?? 1) : undefined;
      };
      await waitUntil('run_1 to start training', async () => (await runAttempt()) === 1, 15 * 60_000, 250);
      await sleep(8000);
      const killedAt = await killWorker(gpuW);
      gpuW = startWorker('gpu', suite.env, 'gpu-2');
      await waitUntil(
        'run_1 attempt 2 to start',
        async () => ((await runAttempt()) ?? 0) >= 2,
        10 * 60_000,
        250,
      );
      const figure: Figure = {
        kind: 'gpu',
        interrupted: 'run_1 training (8 s in)',
        resumeMs: Date.now() - killedAt,
        note: '',
      };
      figures.push(figure);
      // Whether it resumed from a checkpoint: the second attempt's log says so (read at the end).
      const logKey = `papers/${handle.workflowId}/experiments/run_1/attempt-2.log`;
      gpuCheck = async () => {
        const log = await suite.store.getText(logKey).catch(() => '');
        const from = /SCIENTIST_RESUMED \{"step": (\d+)\}/.exec(log)?.[1];
        figure.note = from
          ? `resumed from checkpoint step ${from}`
          : 'no checkpoint had reached the server (heartbeats are throttled): trained from step 0';
      };
    }

    if (holds.s3) {
      const first = await holds.s3.arrived;
      const downAt = Date.now();
      await s3.down('SIGKILL');
      holds.s3.release();
      await sleep(S3_OUTAGE_S * 1000);
      await s3.up();
      const upAt = Date.now();
      const again = await askedAgain(first);
      figures.push({
        kind: 's3',
        interrupted: `figure description: reply lost, S3 down ${S3_OUTAGE_S} s`,
        resumeMs: again.request.at - downAt,
        note: `${s(again.request.at - upAt)} after S3 was back (the activity's retry backoff)`,
      });
    }

    if (holds['main-stream']) {
      const first = await holds['main-stream'].arrived;
      await sleep(3000);
      const killedAt = await replaceMain();
      const again = await askedAgain(first);
      figures.push({
        kind: 'main-stream',
        interrupted: 'results section streaming in',
        resumeMs: again.request.at - killedAt,
        note: `new main worker polling after ${s(pollMs)}`,
      });
    }

    if (holds.temporal) {
      const first = await holds.temporal.arrived;
      const downAt = Date.now();
      await temporal.down('SIGKILL');
      await client.connection.close();
      holds.temporal.release();
      await sleep(TEMPORAL_DOWN_S * 1000);
      await temporal.up();
      const upAt = Date.now();
      client = await connectClient(suite.config);
      handle = client.workflow.getHandle(handle.workflowId);
      const next = await waitUntil(
        'the next model step',
        () => llm.calls.find((c) => c.n > first.n),
        10 * 60_000,
        100,
      );
      figures.push({
        kind: 'temporal',
        interrupted: `conclusion draft at the model, server down ${TEMPORAL_DOWN_S} s`,
        resumeMs: next.request.at - downAt,
        note: `${s(next.request.at - upAt)} after the server answered again`,
      });
    }

    const outcome = (await handle.result()) as { state: string; cost: { costUsd: number; calls: number } };
    await gpuCheck?.();
    console.log(
      `paper ${outcome.state} in ${s(Date.now() - t0)}; ${outcome.cost.calls} model calls counted ` +
        `(replies cut off or lost are estimated), ${llm.billed().calls} replies delivered whole, ` +
        `${llm.calls.filter((c) => c.request.outcome === 'aborted').length} cut off`,
    );
  } finally {
    console.log(`\n${'crash kind'.padEnd(13)} ${'interrupted'.padEnd(44)} crash → resumed progress`);
    for (const f of figures)
      console.log(
        `${f.kind.padEnd(13)} ${f.interrupted.padEnd(44)} ${s(f.resumeMs).padStart(8)}   ${f.note}`,
      );
    await killAllWorkers();
    await llm.close();
    await client.connection.close().catch(() => undefined);
    await s3.destroy();
    await temporal.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
