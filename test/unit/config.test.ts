import { PriceTable } from '../../activities/llm/prices';
import { parseModelRef } from '../../activities/llm/roles';
import {
  describeConfig,
  loadConfig,
  parseEnvFile,
  settingsMarkdown,
  SETTINGS,
  type Config,
} from '../../lib/config';
import { ConfigError } from '../../lib/errors';

/** True when A and B are the same type (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Config is derived from the loader's mapping: the settings' literal types survive it.
const derived: [
  Same<Config['sandbox']['runtime'], 'runc' | 'runsc'>,
  Same<Config['literature']['providers'], ('semantic-scholar' | 'openalex')[]>,
  Same<Config['logLevel'], 'debug' | 'info' | 'warn' | 'error'>,
  Same<Config['llm']['openai']['jsonMode'], 'json_schema' | 'json_object' | 'prompt'>,
  Same<Config['gpu']['count'], 'auto' | number>,
  Same<Config['temporal']['apiKey'], string | undefined>,
  Same<Config['llm']['roles']['review'], string | undefined>,
  Same<Config['temporal']['tls'], boolean>,
  Same<Config['sandbox']['pip'], string[]>,
] = [true, true, true, true, true, true, true, true, true];

describe('config', () => {
  it('gives working local defaults when nothing is set', () => {
    expect(derived.every(Boolean)).toBe(true);
    const c = loadConfig({});
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.temporal.taskQueue).not.toBe(c.temporal.gpuTaskQueue);
    expect(c.s3.endpoint).toBe('http://127.0.0.1:8333');
    expect(c.sandbox.timeoutMs).toBe(7200 * 1000);
    expect(c.gpu.count).toBe('auto');
    expect(c.dataDir).toMatch(/\/\.data$/);
  });

  it('coerces numbers and booleans from strings', () => {
    const c = loadConfig({
      SCIENTIST_SANDBOX_MEMORY_MB: '512',
      SCIENTIST_TEMPORAL_TLS: 'true',
      SCIENTIST_GPU_COUNT: '2',
    });
    expect(c.sandbox.memoryMB).toBe(512);
    expect(c.temporal.tls).toBe(true);
    expect(c.gpu.count).toBe(2);
  });

  it('validates the LLM settings a worker would refuse, so `scientist config` and `doctor` refuse them too', () => {
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
    };
    expect(problem({ SCIENTIST_LLM_PARAMS: '{"reviw":{}}' })).toMatch(/SCIENTIST_LLM_PARAMS.*reviw/s);
    expect(problem({ SCIENTIST_LLM_PARAMS: '{not json' })).toMatch(/SCIENTIST_LLM_PARAMS.*not JSON/s);
    expect(problem({ SCIENTIST_LLM_PRICES: '{"m":{"input":-1,"output":1}}' })).toMatch(
      /SCIENTIST_LLM_PRICES.*m\.input/s,
    );
    expect(problem({ SCIENTIST_LLM_REVIEW: 'openai' })).toMatch(/SCIENTIST_LLM_REVIEW="openai"/);
    expect(problem({ SCIENTIST_LLM_CODING: 'anthropic:claude-sonnet-4-5' })).toMatch(
      /role coding uses anthropic:claude-sonnet-4-5 but SCIENTIST_ANTHROPIC_API_KEY is not set/,
    );
    expect(problem({ SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o' })).toMatch(/SCIENTIST_OPENAI_API_KEY/);
    // Valid forms load.
    expect(
      problem({ SCIENTIST_LLM_PARAMS: '{"review":{"temperature":0.1}}', SCIENTIST_LLM_DEFAULT: 'local' }),
    ).toBe('');
    expect(
      problem({ SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o', SCIENTIST_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }),
    ).toBe('');
  });

  it('reads model names and prices with the same check as the LLM activities, so both refuse the same', () => {
    const keys = { SCIENTIST_OPENAI_API_KEY: 'sk-test', SCIENTIST_ANTHROPIC_API_KEY: 'sk-ant-test' };
    const loads = (text: string) => {
      try {
        loadConfig({ ...keys, SCIENTIST_LLM_REVIEW: text });
        return true;
      } catch {
        return false;
      }
    };
    const parses = (text: string) => {
      try {
        parseModelRef(text, 'SCIENTIST_LLM_REVIEW');
        return true;
      } catch {
        return false;
      }
    };
    const texts = [
      'local',
      'local:',
      'local:other.gguf',
      'openai:gpt-4o',
      ' openai:gpt-4o',
      'openai:llama3.1:8b',
    ];
    const bad = ['openai', 'openai: ', 'anthropic:', 'gemini:pro', ':gpt-4o'];
    for (const t of [...texts, ...bad]) expect([t, loads(t)]).toEqual([t, parses(t)]);
    for (const t of texts) expect([t, loads(t)]).toEqual([t, true]);
    for (const t of bad) expect([t, loads(t)]).toEqual([t, false]);
    // A hosted role named with spaces around its provider still needs that provider's key.
    expect(() => loadConfig({ SCIENTIST_LLM_REVIEW: ' anthropic:claude-sonnet-4-5' })).toThrow(
      /SCIENTIST_ANTHROPIC_API_KEY is not set/,
    );
    // The price table refuses a bad SCIENTIST_LLM_PRICES with the loader's own words.
    const prices = '{"m":{"input":-1,"output":1}}';
    expect(() => loadConfig({ SCIENTIST_LLM_PRICES: prices })).toThrow(/SCIENTIST_LLM_PRICES=.*m\.input: /);
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    expect(() => new PriceTable(prices, quiet)).toThrow(/SCIENTIST_LLM_PRICES=.*m\.input: /);
    expect(() => new PriceTable('{not json', quiet)).toThrow(/SCIENTIST_LLM_PRICES=.*not JSON/);
  });

  it('lists every bad setting in one error, naming the variable and what it got', () => {
    let err: unknown;
    try {
      loadConfig({
        SCIENTIST_S3_ENDPOINT: 'not a url',
        SCIENTIST_SANDBOX_PIDS_LIMIT: 'many',
        SCIENTIST_S3_BUCKET: 'Bad_Bucket',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('SCIENTIST_S3_ENDPOINT="not a url"');
    expect(msg).toContain('SCIENTIST_SANDBOX_PIDS_LIMIT="many"');
    expect(msg).toContain('SCIENTIST_S3_BUCKET="Bad_Bucket"');
  });

  it('reads secrets from the environment only and never prints them', () => {
    expect(() => loadConfig({}, { SCIENTIST_S3_SECRET_KEY: 'in-a-file-123' })).toThrow(
      /secret: set it in the environment/,
    );
    const env = { SCIENTIST_S3_SECRET_KEY: 'super-secret-value' };
    expect(loadConfig(env).s3.secretKey).toBe('super-secret-value');
    const printed = JSON.stringify(describeConfig(env));
    expect(printed).not.toContain('super-secret-value');
    expect(() => loadConfig({ SCIENTIST_S3_SECRET_KEY: 'short' })).toThrow(
      /SCIENTIST_S3_SECRET_KEY=\(hidden\)/,
    );
  });

  it('lets the process environment win over the env file', () => {
    const c = loadConfig(
      { SCIENTIST_S3_BUCKET: 'from-env' },
      { SCIENTIST_S3_BUCKET: 'from-file', SCIENTIST_TASK_QUEUE: 'q-file' },
    );
    expect(c.s3.bucket).toBe('from-env');
    expect(c.temporal.taskQueue).toBe('q-file');
  });

  it('parses env files and rejects malformed lines with their number', () => {
    expect(parseEnvFile('# comment\n\nexport A=1\nB = "two words"\nC=\'x\'\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x',
    });
    expect(() => parseEnvFile('A=1\nthis is wrong\n')).toThrow(/line 2/);
  });

  it('documents every setting in the README table', () => {
    const table = settingsMarkdown();
    for (const name of Object.keys(SETTINGS)) expect(table).toContain(`\`${name}\``);
  });
});
