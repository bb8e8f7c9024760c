/**
 * `--template <name | path>` for `scientist run`: the CLI resolves the folder on this machine,
 * validates it (every problem in one message) and stores it content-addressed, so a folder
 * anywhere on disk works with workers on other hosts; the campaign gets the stored key.
 */
import path from 'node:path';
import type { Config } from '../lib/config';
import { InvalidInputError } from '../lib/errors';
import { createLogger } from '../lib/log';
import { PROJECT_ROOT } from '../lib/paths';
import { S3ArtifactStore } from '../lib/store';
import { sandboxImage } from '../sandbox';
import { derivedImageFor } from '../activities/experiments/run-image';
import { validateTemplate } from '../activities/experiments/template';
import {
  formatCopyReport,
  resolveTemplateDir,
  storeTemplate,
  type StoredTemplate,
} from '../activities/experiments/template-source';
import { CliError, EXIT } from './errors';

export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates');

/**
 * The template named by `ref`, stored: its name, key (the content hash), what was kept and left
 * out, and its warnings. An invalid template is a CliError that lists every problem.
 */
export async function storeTemplateForRun(config: Config, ref: string): Promise<StoredTemplate> {
  try {
    return await storeTemplate(S3ArtifactStore.fromConfig(config), resolveTemplateDir(ref, TEMPLATES_DIR));
  } catch (err) {
    if (err instanceof InvalidInputError) throw new CliError(err.message, EXIT.usage, 'usage');
    throw err;
  }
}

/** What `scientist run` prints about the template before the campaign starts. */
export function describeStoredTemplate(t: StoredTemplate): string {
  return [
    formatCopyReport(t.report),
    `  identity ${t.templateKey}`,
    ...t.info.warnings.map((w) => `  warning: ${w}`),
  ].join('\n');
}

/**
 * `scientist template prepare <template>`: validates a template and builds its derived image (its
 * requirements.txt over the configured sandbox image) on this machine's Docker engine ahead of
 * the first campaign; a template without requirements needs nothing. Returns what to print.
 */
export async function prepareTemplate(config: Config, ref: string): Promise<string[]> {
  let info;
  try {
    info = await validateTemplate(resolveTemplateDir(ref, TEMPLATES_DIR));
  } catch (err) {
    if (err instanceof InvalidInputError) throw new CliError(err.message, EXIT.usage, 'usage');
    throw err;
  }
  const lines = info.warnings.map((w) => `warning: ${w}`);
  if (!info.requirements.length)
    return [...lines, `template ${info.name}: no requirements.txt; it runs in ${sandboxImage(config)}`];
  const derived = await derivedImageFor(
    { config, log: createLogger('template', config.logLevel) },
    info.requirements,
  ).catch((err: unknown) => {
    throw err instanceof InvalidInputError ? new CliError(err.message) : err;
  });
  const what = info.requirements.join(', ');
  return [
    ...lines,
    derived.built
      ? `template ${info.name}: built ${derived.image} in ${(derived.buildMs / 1000).toFixed(1)} s (${what})`
      : `template ${info.name}: ${derived.image} is already built (${what})`,
  ];
}
