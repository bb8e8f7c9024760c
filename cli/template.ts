/**
 * `--template <name | path>` for `scientist run`: the CLI resolves the folder on this machine,
 * validates it (every problem in one message) and stores it content-addressed, so a folder
 * anywhere on disk works with workers on other hosts; the campaign gets the stored key.
 */
import { PROJECT_ROOT } from '../lib/paths';
import path from 'node:path';
import type { Config } from '../lib/config';
import { InvalidInputError } from '../lib/errors';
import { S3ArtifactStore } from '../lib/store';
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
