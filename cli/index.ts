/**
 * `scientist`: the operator's command line (a Temporal client plus a few local checks).
 */
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import {
  describeConfig,
  envFilePath,
  loadProcessConfig,
  parseEnvFile,
  settingsMarkdown,
} from '../lib/config';
import { ensureNamespace } from '../lib/namespace';
import { formatDoctor, runDoctor } from './doctor';
import { runHealthCheck } from './health';

const program = new Command('scientist').description(
  'durable-scientist: automated ML research as durable workflows',
);

program
  .command('doctor')
  .description(
    'check every service (Temporal, Web UI, S3, Docker, sandbox image, TeX); exit 0 only if all pass',
  )
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
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
  .command('init-namespace')
  .description('register our search attributes and set retention on the configured namespace (idempotent)')
  .action(async () => {
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

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`scientist: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
