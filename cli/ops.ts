/**
 * The operator commands of `scientist`: find workflows (`ls`), look at one (`status`, `logs`,
 * `get`, `ui`) and steer it (`pause`, `resume`, `steer`, `approve`, `budget`, `skip`, `cancel`)
 * through the messages of contracts/messages.ts. Every command takes `--json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, Command, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { loadProcessConfig, type Config } from '../lib/config';
import { ArtifactNotFoundError } from '../lib/errors';
import { workflowUiUrl } from '../lib/temporal-client';
import type { SignalDefinition } from '@temporalio/common';
import {
  approveIdeasUpdate,
  campaignStatusQuery,
  cancelUpdate,
  pauseSignal,
  resumeSignal,
  setBudgetUpdate,
  SKIPPABLE_STAGES,
  type SkippableStage,
  skipStageUpdate,
  steerSignal,
  steerText,
} from '../contracts';
import { formatList, formatStatus, usd } from './format';
import {
  parseCount,
  parseDecision,
  parseKeyword,
  parseNonNegative,
  parsePositive,
  parseWorkflowId,
} from './arguments';
import { artifactKeys, pickLogLabel } from './artifacts';
import { withClient } from './client';
import { CliError, EXIT, failureMessage } from './errors';
import {
  EXECUTION_STATUSES,
  buildListQuery,
  describe,
  executionStatus,
  listWorkflows,
  type ListFilters,
} from './find-workflows';
import { hasWorker, queryWithDeadline, sendSignal, sendUpdate } from './messages';
import { statusReport } from './status-report';

const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  console.log(json ? JSON.stringify(value, null, 2) : text());

function idArg(description: string): Argument {
  return new Argument('<id>', description).argParser(parseWorkflowId);
}

const jsonOption = () => new Option('--json', 'machine-readable output');

/** The store, for the commands that read artifacts (loaded then: the S3 client is slow to load). */
const storeOf = async (config: Config) => (await import('../lib/store')).S3ArtifactStore.fromConfig(config);

async function isCampaign(client: Client, id: string): Promise<boolean> {
  const desc = await describe(client, id);
  return desc.type === 'campaignWorkflow';
}

/** The papers a campaign is running: its own answer, else the visibility store's. */
async function runningPapers(client: Client, config: Config, campaignId: string): Promise<string[]> {
  const q = await queryWithDeadline(client, campaignId, campaignStatusQuery);
  if (q.value?.kind === 'campaign') return q.value.papersRunning;
  const rows = await listWorkflows(
    client,
    buildListQuery({ kind: 'paper', campaign: campaignId, status: 'running' }),
    200,
  );
  void config;
  return rows.map((r) => r.workflowId);
}

export function registerOpsCommands(program: Command): void {
  program
    .command('ls')
    .description('list campaigns and papers, filtered by their search attributes (a visibility query)')
    .addOption(new Option('--kind <kind>', 'campaigns or papers only').choices(['campaign', 'paper']))
    .option('--template <name>', 'one template', parseKeyword)
    .option('--campaign <id>', "one campaign's papers", parseKeyword)
    .option('--stage <stage>', 'in (or ended at) this stage, e.g. experiments, review, done', parseKeyword)
    .option('--min-score <n>', 'overall review score at least n', parseNonNegative)
    .option('--max-score <n>', 'overall review score at most n', parseNonNegative)
    .option('--decision <d>', 'Accept or Reject', parseDecision)
    .addOption(
      new Option('--status <status>', "Temporal's execution status").choices(Object.keys(EXECUTION_STATUSES)),
    )
    .option('--limit <n>', 'at most n rows (newest first)', parseCount, 50)
    .option('--verbose', 'print the visibility query (on stderr)')
    .addOption(jsonOption())
    .action(async (opts: ListFilters & { limit: number; verbose?: boolean; json?: boolean }) => {
      const config = loadProcessConfig();
      const query = buildListQuery(opts);
      if (opts.verbose) console.error(`query: ${query}`);
      const rows = await withClient(config, (client) => listWorkflows(client, query, opts.limit));
      print(opts.json, rows, () => formatList(rows));
    });

  program
    .command('status')
    .description(
      'stage, step, runs, cost and budget, paused, last error and steering notes of a campaign or paper',
    )
    .addArgument(idArg('workflow id (see `scientist ls`)'))
    .addOption(jsonOption())
    .action(async (id: string, opts: { json?: boolean }) => {
      const config = loadProcessConfig();
      const report = await withClient(config, (client) =>
        statusReport(client, config, id, (runId) => workflowUiUrl(config, id, runId)),
      );
      print(opts.json, report, () => formatStatus(report));
    });

  program
    .command('pause')
    .description(
      'pause at the next activity boundary (running activities finish); a campaign pauses its papers',
    )
    .addArgument(idArg('campaign or paper id'))
    .argument('[reason...]', 'why (kept in the history)')
    .addOption(jsonOption())
    .action(async (id: string, reason: string[], opts: { json?: boolean }) => {
      const text = reason.join(' ').trim() || undefined;
      await signalCommand(id, pauseSignal, text === undefined ? [] : [text], opts.json);
    });

  program
    .command('resume')
    .description('resume a paused campaign or paper')
    .addArgument(idArg('campaign or paper id'))
    .addOption(jsonOption())
    .action(async (id: string, opts: { json?: boolean }) => {
      await signalCommand(id, resumeSignal, [], opts.json);
    });

  program
    .command('steer')
    .description('add guidance to the following prompts of a paper (or of every paper of a campaign)')
    .addArgument(idArg('campaign or paper id'))
    .argument('<text...>', 'the guidance, e.g. "stop tuning the learning rate, try weight decay"')
    .addOption(jsonOption())
    .action(async (id: string, words: string[], opts: { json?: boolean }) => {
      const text = steerText(words.join(' '));
      if (!text) throw new CliError('steer needs some text', EXIT.usage, 'usage');
      await signalCommand(id, steerSignal, [text], opts.json);
    });

  program
    .command('approve')
    .description("approve ideas at a campaign's approval gate; prints what will run")
    .addArgument(idArg('campaign id'))
    .argument('<idea...>', 'idea names (`scientist status <campaign>` lists the candidates)')
    .addOption(jsonOption())
    .action(async (id: string, ideas: string[], opts: { json?: boolean }) => {
      const config = loadProcessConfig();
      const answer = await withClient(config, (client) =>
        sendUpdate(client, config, id, approveIdeasUpdate, [ideas]),
      );
      print(opts.json, { workflowId: id, ...answer }, () =>
        [
          `${id}: ${answer.approved.length} idea(s) will run as papers${answer.approved.length ? `: ${answer.approved.join(', ')}` : ''}`,
          ...(answer.ignored.length ? [`  ignored: ${answer.ignored.join(', ')}`] : []),
        ].join('\n'),
      );
    });

  program
    .command('budget')
    .description('set the budget (USD) of a campaign or paper; spending stops at the next stage boundary')
    .addArgument(idArg('campaign or paper id'))
    .addArgument(new Argument('<usd>', 'the new budget in USD').argParser(parsePositive))
    .addOption(jsonOption())
    .action(async (id: string, budget: number, opts: { json?: boolean }) => {
      const config = loadProcessConfig();
      const answer = await withClient(config, (client) =>
        sendUpdate(client, config, id, setBudgetUpdate, [budget]),
      );
      print(
        opts.json,
        { workflowId: id, ...answer },
        () => `${id}: budget $${answer.budgetUsd}, spent ${usd(answer.spentUsd)} so far`,
      );
    });

  program
    .command('skip')
    .description('skip a stage of a paper (for a campaign: its running papers and those not yet started)')
    .addArgument(idArg('campaign or paper id'))
    .addArgument(new Argument('<stage>', 'what to skip').choices(SKIPPABLE_STAGES))
    .addOption(jsonOption())
    .action(async (id: string, stage: SkippableStage, opts: { json?: boolean }) => {
      const config = loadProcessConfig();
      type Answer = { workflowId: string; ok: boolean; note?: string; error?: string };
      const answers = await withClient(config, async (client) => {
        const targets = [id];
        if (await isCampaign(client, id)) targets.push(...(await runningPapers(client, config, id)));
        const out: Answer[] = [];
        for (const target of targets) {
          try {
            const a = await sendUpdate(client, config, target, skipStageUpdate, [stage]);
            out.push({ workflowId: target, ok: true, note: a.note });
          } catch (err) {
            // The campaign's own answer decides; a paper that already passed the stage just says so.
            if (target === id) throw err;
            out.push({ workflowId: target, ok: false, error: failureMessage(err) });
          }
        }
        return out;
      });
      print(opts.json, { stage, answers }, () =>
        answers
          .map(
            (a) =>
              `${a.workflowId}: ${a.ok ? `skips ${stage}${a.note ? ` (${a.note})` : ''}` : `not skipped: ${a.error}`}`,
          )
          .join('\n'),
      );
      if (answers.some((a) => !a.ok)) process.exitCode = EXIT.rejected;
    });

  program
    .command('cancel')
    .description(
      'cancel gracefully: the running activity finishes, the workflow ends `cancelled`, artifacts stay',
    )
    .addArgument(idArg('campaign or paper id'))
    .argument('[reason...]', 'why (kept in the history)')
    .option('--wait', 'wait until the workflow has ended and print its final state')
    .addOption(jsonOption())
    .action(async (id: string, reason: string[], opts: { wait?: boolean; json?: boolean }) => {
      const config = loadProcessConfig();
      const text = reason.join(' ').trim();
      const out = await withClient(config, async (client) => {
        const answer = await sendUpdate(client, config, id, cancelUpdate, [text]);
        if (!opts.wait) return { workflowId: id, ...answer };
        if (!opts.json)
          console.log(`${id}: ${answer.state} at stage ${answer.stage}; waiting for it to end…`);
        const result = (await client.workflow.getHandle(id).result()) as { state?: string; reason?: string };
        return { workflowId: id, ...answer, final: result };
      });
      print(opts.json, out, () =>
        'final' in out && out.final
          ? `${id}: ended ${out.final.state ?? '?'}${out.final.reason ? ` (${out.final.reason})` : ''}`
          : `${id}: ${out.state} at stage ${out.stage}; it ends \`cancelled\` once the running activity finishes`,
      );
    });

  program
    .command('logs')
    .description("print a run's log from the artifact store (default: the latest run)")
    .addArgument(idArg('paper id'))
    .argument('[run]', 'run number (0 = baseline), run_N, or an artifact label')
    .option('--list', 'list the artifact labels instead')
    .addOption(jsonOption())
    .action(async (id: string, run: string | undefined, opts: { list?: boolean; json?: boolean }) => {
      const config = loadProcessConfig();
      const store = await storeOf(config);
      const found = await withClient(config, (client) =>
        artifactKeys(client, config, id, (prefix) => store.list(prefix)),
      );
      if (found.note && !opts.json) console.error(`note: ${found.note}`);
      if (opts.list) {
        return print(
          opts.json,
          found,
          () =>
            Object.entries(found.keys)
              .map(([label, key]) => `${label}  ${key}`)
              .join('\n') || 'no artifacts yet',
        );
      }
      const label = pickLogLabel(found.keys, run);
      if (!label) {
        const logs = Object.keys(found.keys).filter((l) => /run_\d+/.test(l) && /log/.test(l));
        throw new CliError(
          `${id} has no log${run === undefined ? '' : ` for "${run}"`} yet${logs.length ? `; logs: ${logs.join(', ')}` : ''}`,
          EXIT.notFound,
          'notFound',
        );
      }
      const key = found.keys[label]!;
      const text = await store.getText(key).catch((err: unknown) => {
        if (err instanceof ArtifactNotFoundError)
          throw new CliError(`the log ${key} is not in the store`, EXIT.notFound, 'notFound');
        throw err;
      });
      if (opts.json) return print(true, { workflowId: id, label, key, text }, () => '');
      console.error(`${label} (${key})`);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });

  program
    .command('get')
    .description("download a paper's PDF and artifacts (or print presigned URLs with --urls)")
    .addArgument(idArg('paper or campaign id'))
    .option('--out <dir>', 'folder to download into (a subfolder per workflow)', 'out')
    .option('--urls', 'print presigned URLs instead of downloading')
    .option('--expires <seconds>', 'lifetime of presigned URLs', parseCount, 24 * 3600)
    .option('--only <label>', 'only artifacts whose label contains this, e.g. pdf or run_2')
    .addOption(jsonOption())
    .action(
      async (
        id: string,
        opts: { out: string; urls?: boolean; expires: number; only?: string; json?: boolean },
      ) => {
        const config = loadProcessConfig();
        const store = await storeOf(config);
        const found = await withClient(config, (client) =>
          artifactKeys(client, config, id, (prefix) => store.list(prefix)),
        );
        if (found.note && !opts.json) console.error(`note: ${found.note}`);
        const entries = Object.entries(found.keys).filter(
          ([label]) => !opts.only || label.includes(opts.only),
        );
        if (entries.length === 0)
          throw new CliError(
            `${id} has no artifacts${opts.only ? ` matching "${opts.only}"` : ''} yet`,
            EXIT.notFound,
            'notFound',
          );
        type Item = { label: string; key: string; url?: string; file?: string; missing?: boolean };
        const items: Item[] = [];
        const dir = path.resolve(opts.out, id);
        for (const [label, key] of entries) {
          if (opts.urls) {
            items.push({ label, key, url: await store.presign(key, opts.expires) });
            continue;
          }
          const file = path.join(dir, fileNameFor(label, key));
          try {
            const bytes = await store.get(key);
            await mkdir(path.dirname(file), { recursive: true });
            await writeFile(file, bytes);
            items.push({ label, key, file });
          } catch (err) {
            if (!(err instanceof ArtifactNotFoundError)) throw err;
            items.push({ label, key, missing: true });
          }
        }
        print(opts.json, { workflowId: id, source: found.source, items }, () =>
          items
            .map((i) =>
              i.url
                ? `${i.label}  ${i.url}`
                : i.missing
                  ? `${i.label}  (missing: ${i.key})`
                  : `${i.label}  ${i.file}`,
            )
            .join('\n'),
        );
        if (items.some((i) => i.missing)) process.exitCode = EXIT.notFound;
      },
    );

  program
    .command('ui')
    .description('print the Temporal Web UI link of a workflow')
    .addArgument(idArg('workflow id'))
    .addOption(jsonOption())
    .action(async (id: string, opts: { json?: boolean }) => {
      const config = loadProcessConfig();
      const desc = await withClient(config, (client) => describe(client, id));
      const url = workflowUiUrl(config, id, desc.runId);
      print(opts.json, { workflowId: id, runId: desc.runId, url }, () => url);
    });
}

/** A label as a file name: `run_1/log` keeps its folder; an extension comes from the key. */
export function fileNameFor(label: string, key: string): string {
  const safe = label
    .split('/')
    .map((s) => s.replace(/[^A-Za-z0-9._=-]/g, '_').replace(/^\.+/, '_'))
    .filter(Boolean)
    .join('/');
  const ext = path.extname(key);
  const base = path.basename(safe);
  if (path.extname(base) || !ext) return safe || 'artifact';
  // `pdf` → `paper.pdf`, `run_1/log` → `run_1/log.log`… keep it readable.
  return base === ext.slice(1) ? path.join(path.dirname(safe), `paper${ext}`) : `${safe}${ext}`;
}

const SENT: Record<string, string> = {
  pause: 'pause sent; it takes effect before the next activity starts (running activities finish)',
  resume: 'resume sent',
  steer: 'steering note sent; it goes into the following prompts',
};

async function signalCommand<Args extends unknown[]>(
  id: string,
  signal: SignalDefinition<Args>,
  args: Args,
  json: boolean | undefined,
): Promise<void> {
  const name = signal.name;
  const config = loadProcessConfig();
  const { execution, worker } = await withClient(config, async (client) => {
    const desc = await describe(client, id);
    const execution = executionStatus(desc);
    if (execution !== 'running')
      throw new CliError(
        `${id} has already ended (${execution}); it takes no more messages`,
        EXIT.rejected,
        'rejected',
      );
    await sendSignal(client, id, signal, ...args);
    return { execution, worker: await hasWorker(client, config, desc.taskQueue) };
  });
  const note = worker
    ? undefined
    : 'no worker is polling its task queue right now: the signal is kept and takes effect when one starts';
  print(json, { workflowId: id, signal: name, args, execution, note }, () =>
    [`${id}: ${SENT[name] ?? `${name} sent`}`, ...(note ? [`  note: ${note}`] : [])].join('\n'),
  );
}
