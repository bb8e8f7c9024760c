/**
 * `scientist`: the operator's command line (a Temporal client plus a few local checks).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import {
  describeConfig,
  envFilePath,
  loadProcessConfig,
  parseEnvFile,
  settingsMarkdown,
} from '../lib/config';
import { workflowUiUrl } from '../lib/temporal-client';
import { parseWholeNumber } from './arguments';
import { registerBenchReviewerCommands } from './bench-reviewer';
import { registerOpsCommands } from './ops';
import { registerTemplateCommands } from './template-commands';
import { CliError, EXIT, failureMessage, isConnectionError } from './errors';
import type { RunOptions } from './run';

// The commands that run workers or check services load their (heavy) modules when used, so
// that the operator commands start quickly.
const doctorModule = () => import('./doctor');
const runModule = () => import('./run');

const program = new Command('scientist')
  .description('durable-scientist: automated ML research as durable workflows')
  // Usage errors come back to the handler at the end (exit code 2) instead of exiting at once.
  .exitOverride();

program
  .command('doctor')
  .description(
    'check every service (Temporal, Web UI, S3, Docker, sandbox image, TeX); exit 0 only if all pass',
  )
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const { formatDoctor, runDoctor } = await doctorModule();
    const results = await runDoctor(loadProcessConfig());
    console.log(opts.json ? JSON.stringify(results, null, 2) : formatDoctor(results));
    process.exitCode = results.every((r) => r.ok) ? 0 : 1;
  });

program
  .command('up')
  .description('the main job for now: check every service and run the health-check workflow end to end')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const config = loadProcessConfig();
    const { formatDoctor, runDoctor } = await doctorModule();
    const { runHealthCheck } = await import('./health');
    const doctor = await runDoctor(config);
    if (!opts.json) console.log(formatDoctor(doctor));
    if (!doctor.every((r) => r.ok)) {
      process.exitCode = 1;
      if (opts.json) console.log(JSON.stringify({ doctor }, null, 2));
      return;
    }
    const health = await runHealthCheck(config);
    if (opts.json) console.log(JSON.stringify({ doctor, health }, null, 2));
    else {
      console.log(
        `\nhealth-check workflow completed: PyTorch ${health.result.torchVersion} in the sandbox, ${health.result.sandboxMs} ms`,
      );
      console.log(`  result ${health.result.outputKey}\n  open ${health.uiUrl}`);
    }
  });

program
  .command('run')
  .description('start a research campaign on a template')
  .option(
    '--template <name|path>',
    'research template: a folder of templates/ by name, or any folder by path',
    'grokking',
  )
  .option('--name <name>', 'campaign name (part of the workflow id); default: a timestamp')
  .option('--ideas <n>', 'ideas to generate', parseWholeNumber)
  .option('--papers <n>', 'best novel ideas to turn into papers', parseWholeNumber)
  .option('--runs <n>', 'experiment runs per paper after the baseline', parseWholeNumber)
  .option('--budget <usd>', 'budget in USD, per campaign and per paper', Number)
  .option('--fast', "use the templates' fast mode (small, quick runs)")
  .option('--quick', 'fewer rounds everywhere (for a small local model or a smoke test)')
  .option('--local-workers', 'run the main and GPU workers inside this process')
  .option('--follow', 'show progress until the campaign ends')
  .option('--out <dir>', 'where each paper is saved (<out>/<paper>/paper.pdf and figures/)', 'out')
  .option('--json', 'machine-readable output')
  .action(async (opts: RunOptions & { out: string; budget?: number }) => {
    const config = loadProcessConfig();
    const { runCampaign } = await runModule();
    const { collectEnding, endingExitCode, formatEnding } = await import('./run-ending');
    const { workflowId, outcome, finished } = await runCampaign(
      config,
      { ...opts, budgetUsd: opts.budget },
      (client, result) => collectEnding(client, config, result.campaignId, result, opts.out),
    );
    if (!outcome || !finished) return;
    if (opts.json) {
      console.log(JSON.stringify({ workflowId, ...outcome, ending: finished }, null, 2));
    } else {
      console.log(formatEnding(workflowId, outcome, finished));
      console.log(`  ${workflowUiUrl(config, workflowId)}`);
    }
    process.exitCode = endingExitCode(outcome, finished);
  });

program
  .command('review <pdf>')
  .description('review any paper PDF: an ensemble of NeurIPS-style reviews and a meta-review')
  .option('--reviewers <n>', 'reviews in the ensemble', parseWholeNumber, 5)
  .option('--reflections <n>', 'reflection rounds per review', parseWholeNumber, 5)
  .option('--threshold <score>', 'mean overall score needed for Accept', Number, 6)
  .option('--no-local-workers', 'use deployed workers instead of running one in this process')
  .option('--json', 'machine-readable output')
  .action(
    async (
      pdf: string,
      opts: {
        reviewers: number;
        reflections: number;
        threshold: number;
        localWorkers: boolean;
        json?: boolean;
      },
    ) => {
      const { reviewPdf } = await import('./review');
      const { workflowId, outcome, meta } = await reviewPdf(loadProcessConfig(), pdf, opts);
      if (opts.json) return console.log(JSON.stringify({ workflowId, ...outcome, meta }, null, 2));
      console.log(
        `${outcome.decision} (mean overall ${outcome.overall} over ${outcome.reviewKeys.length} reviews; threshold ${opts.threshold})`,
      );
      console.log(
        Object.entries(outcome.scores)
          .map(([k, v]) => `  ${k.padEnd(13)} ${v}`)
          .join('\n'),
      );
      console.log(`cost $${outcome.costUsd.toFixed(4)}; meta-review at ${outcome.metaKey}`);
    },
  );

program
  .command('init-namespace')
  .description('register our search attributes and set retention on the configured namespace (idempotent)')
  .action(async () => {
    const { ensureNamespace } = await import('../lib/namespace');
    const added = await ensureNamespace(loadProcessConfig());
    console.log(added.length ? `registered: ${added.join(', ')}` : 'search attributes already registered');
  });

program
  .command('config')
  .description('print the effective configuration (secrets masked)')
  .option('--markdown', 'print the documentation table of every setting instead')
  .action((opts: { markdown?: boolean }) => {
    if (opts.markdown) return console.log(settingsMarkdown());
    loadProcessConfig(); // validates, throws with every problem listed
    const file = envFilePath(process.env);
    const fileEnv = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
    for (const s of describeConfig(process.env, fileEnv)) console.log(`${s.name}=${s.value}  (${s.source})`);
  });

registerOpsCommands(program);
registerTemplateCommands(program);
registerBenchReviewerCommands(program);

/** Exit codes: 0 ok, 1 error, 2 bad arguments, 3 unknown id, 4 Temporal down, 5 rejected, 6 no worker. */
program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help / version, exit code 0).
    process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  }
  let error = err;
  if (!(error instanceof CliError) && isConnectionError(error)) {
    const address = (() => {
      try {
        return loadProcessConfig().temporal.address;
      } catch {
        return 'the configured address';
      }
    })();
    error = new CliError(
      `Temporal is not reachable at ${address}; start it with \`npm run services -- up\``,
      EXIT.unreachable,
      'unreachable',
    );
  }
  // A failed workflow's own message is its cause's (e.g. every problem of a template), not the SDK's summary.
  const message =
    error instanceof WorkflowFailedError
      ? failureMessage(error)
      : error instanceof Error
        ? error.message
        : String(error);
  const code = error instanceof CliError ? error.exitCode : EXIT.error;
  if (process.argv.includes('--json'))
    console.log(JSON.stringify({ error: message, code: error instanceof CliError ? error.code : 'error' }));
  console.error(`scientist: ${message}`);
  process.exit(code);
});
