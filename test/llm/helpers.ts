import type { Logger } from '../../lib/log';
import { loadConfig, type Config } from '../../lib/config';

/** A logger that keeps its lines, so tests can assert on warnings. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A config from these settings only (no env file, no process env). */
export function llmConfig(env: Record<string, string>): Config {
  return loadConfig({ SCIENTIST_LOG_LEVEL: 'warn', ...env });
}
