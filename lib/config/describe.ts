/** The settings for people: the config as printable lines, and the README's table. */
import type { Env } from './env-file';
import { SETTINGS, type SettingName, type SettingSpec } from './settings';

/** The config as safe-to-print lines, secrets masked. */
export function describeConfig(
  env: Env,
  fileEnv: Env = {},
): { name: string; value: string; source: string }[] {
  return (Object.entries(SETTINGS) as [SettingName, SettingSpec][]).map(([name, spec]) => {
    const source = env[name] !== undefined ? 'env' : fileEnv[name] !== undefined ? 'file' : 'default';
    const raw = env[name] ?? fileEnv[name] ?? spec.default ?? '';
    return { name, value: spec.secret && raw ? '********' : raw, source };
  });
}

/** The README's configuration table. */
export function settingsMarkdown(): string {
  const rows = (Object.entries(SETTINGS) as [SettingName, SettingSpec][]).map(
    ([name, s]) =>
      `| \`${name}\` | ${s.default === undefined ? '—' : s.default === '' ? '(empty)' : `\`${s.default}\``} | ${s.doc} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
