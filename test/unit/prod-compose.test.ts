/**
 * The production compose file, checked the way `docker compose config` would read it (no compose
 * plugin here): YAML with merge keys, `${VAR}`, `${VAR:-default}` and `${VAR:?message}` taken
 * from an .env, then every SCIENTIST_* variable a service sets validated by the one config loader.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadConfig, SETTINGS } from '../../lib/config';
import { PROJECT_ROOT } from '../../lib/paths';

const COMPOSE = path.join(PROJECT_ROOT, 'infra', 'prod', 'docker-compose.yml');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null>;
  profiles?: string[];
}

/** Compose's interpolation: ${V}, ${V:-d}, ${V-d}, ${V:?msg}, ${V?msg}, $$ → $. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (all, name: string | undefined, colon: string, op: string, arg: string) => {
      if (all === '$$') return '$';
      const v = env[name!];
      const unset = v === undefined || (colon === ':' && v === '');
      if (op === '?' && unset) throw new Error(`required variable ${name} is missing: ${arg}`);
      if (op === '-' && unset) return arg;
      return v ?? '';
    },
  );
}

function services(env: Record<string, string>): Record<string, Service> {
  const doc = yaml.load(interpolate(readFileSync(COMPOSE, 'utf8'), env)) as {
    services: Record<string, Service>;
  };
  return doc.services;
}

const DOT_ENV = {
  POSTGRES_PASSWORD: 'pg-secret',
  MINIO_ROOT_USER: 'scientist',
  MINIO_ROOT_PASSWORD: 'minio-secret-123',
  SCIENTIST_LATEX_IMAGE: 'durable-scientist/latex:abc',
  SCIENTIST_LLM_DEFAULT: 'openai:gpt-4o',
  SCIENTIST_LLM_REVIEW: 'anthropic:claude-sonnet-4-5',
  SCIENTIST_OPENAI_API_KEY: 'sk-test',
  SCIENTIST_ANTHROPIC_API_KEY: 'sk-ant-test',
};

const workerNames = (all: Record<string, Service>) => Object.keys(all).filter((n) => n.startsWith('worker-'));

describe('infra/prod/docker-compose.yml', () => {
  it('sets only real settings: every SCIENTIST_* name a service passes is one lib/config/ reads', () => {
    const all = services(DOT_ENV);
    const names = Object.values(all).flatMap((s) => Object.keys(s.environment ?? {}));
    const scientist = names.filter((n) => n.startsWith('SCIENTIST_'));
    expect(scientist.length).toBeGreaterThan(10);
    expect(scientist.filter((n) => !(n in SETTINGS))).toEqual([]);
    // The old names that the config never read.
    expect(names).not.toContain('OPENAI_API_KEY');
    expect(names).not.toContain('ANTHROPIC_API_KEY');
  });

  it('gives every worker a valid config with the models of the .env, per role, not the offline model', () => {
    const all = services(DOT_ENV);
    expect(workerNames(all).sort()).toEqual(['worker-gpu', 'worker-main']);
    for (const name of workerNames(all)) {
      const env = Object.fromEntries(
        Object.entries(all[name]!.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]),
      );
      const config = loadConfig(env);
      expect(config.llm.default).toBe('openai:gpt-4o');
      expect(config.llm.roles.review).toBe('anthropic:claude-sonnet-4-5');
      expect(config.llm.openai.apiKey).toBe('sk-test');
      expect(config.llm.anthropic.apiKey).toBe('sk-ant-test');
      expect(config.s3.accessKey).toBe('scientist');
      expect(config.s3.endpoint).toBe('http://minio:9000');
      expect(config.temporal.address).toBe('temporal:7233');
    }
  });

  it('refuses to come up without a model choice, rather than running every role on the offline model', () => {
    const { SCIENTIST_LLM_DEFAULT: _omit, ...rest } = DOT_ENV;
    expect(() => services(rest)).toThrow(/SCIENTIST_LLM_DEFAULT/);
  });

  it('builds the GPU sandbox image the workers run, from the Dockerfile in the repository', () => {
    const all = services({ ...DOT_ENV, SANDBOX_GPU_TAG: '7' });
    const image = all['sandbox-gpu']!;
    expect(image.profiles).toEqual(['images']);
    expect(image.image).toBe('durable-scientist/sandbox-gpu:7');
    const context = path.resolve(path.dirname(COMPOSE), image.build!.context);
    expect(existsSync(path.join(context, image.build!.dockerfile ?? 'Dockerfile'))).toBe(true);
    for (const name of workerNames(all)) {
      expect(all[name]!.environment!.SCIENTIST_SANDBOX_IMAGE).toBe(image.image);
      const build = all[name]!.build!;
      expect(existsSync(path.resolve(path.dirname(COMPOSE), build.context, build.dockerfile!))).toBe(true);
    }
  });
});
