/**
 * The env file (`scientist.env` in the project root, or the file named by SCIENTIST_ENV_FILE):
 * KEY=VALUE lines under the process environment. Secrets never go in it.
 */
import path from 'node:path';
import { ConfigError } from '../errors';
import { PROJECT_ROOT } from '../paths';
import { SETTINGS, type SettingName, type SettingSpec } from './settings';

export type Env = Readonly<Record<string, string | undefined>>;

/** Parses KEY=VALUE lines (comments, blank lines, optional quotes) of an env file. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(`env file line ${i + 1}: expected KEY=VALUE, got "${line.slice(0, 40)}"`);
    out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/**
 * The env file's text with `values` set: a line of each name is replaced in place, a missing one
 * is appended; everything else (comments, other settings) is kept. Each value is checked against
 * its setting first, so a bad value never reaches the file.
 */
export function withEnvFileValues(text: string, values: Partial<Record<SettingName, string>>): string {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values) as [SettingName, string][]) {
    const spec: SettingSpec = SETTINGS[name];
    if (spec.secret) problems.push(`${name} is a secret: set it in the environment, not in the env file`);
    else if (/[\r\n]/.test(value)) problems.push(`${name}: a value is one line`);
    else if (!spec.schema.safeParse(value).success)
      problems.push(`${name}=${JSON.stringify(value)}: ${spec.doc}`);
  }
  if (problems.length) throw new ConfigError(`cannot write the env file:\n  ${problems.join('\n  ')}`);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  for (const [name, value] of Object.entries(values)) {
    const line = `${name}=${value}`;
    const i = lines.findIndex((l) => new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`).test(l));
    if (i >= 0) lines[i] = line;
    else lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}

/** The env file's path: SCIENTIST_ENV_FILE, else `scientist.env` in the project root. */
export function envFilePath(env: Env): string {
  return path.resolve(PROJECT_ROOT, env.SCIENTIST_ENV_FILE ?? 'scientist.env');
}
