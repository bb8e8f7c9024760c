/**
 * `scientist template …`: registered here, loaded when used (cli/template.ts builds images).
 */
import type { Command } from 'commander';
import { loadProcessConfig } from '../lib/config';

export function registerTemplateCommands(program: Command): void {
  program
    .command('template')
    .description('work with research templates')
    .command('prepare <template>')
    .description('validate a template (name or path) and build its derived image from requirements.txt')
    .action(async (ref: string) => {
      const { prepareTemplate } = await import('./template');
      for (const line of await prepareTemplate(loadProcessConfig(), ref)) console.log(line);
    });
}
