/**
 * The one configuration of durable-scientist: every setting, its environment variable, its
 * default and its meaning live in SETTINGS below. The config is parsed and validated once at
 * process start and passed down; nothing else reads `process.env`.
 *
 * Sources, later wins: defaults → the env file (`scientist.env` in the project root, or the file
 * named by SCIENTIST_ENV_FILE) → the process environment. Secrets are read from the process
 * environment only, so they never sit in a file that might be committed or copied into a run.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';
import { PROJECT_ROOT } from './paths';

interface SettingSpec {
  schema: z.ZodType;
  default?: string;
  doc: string;
  secret?: boolean;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port');

/** Every setting. The README's configuration table is printed from this by `scientist config --markdown`. */
export const SETTINGS = {
  SCIENTIST_DATA_DIR: {
    schema: z.string().min(1),
    default: '.data',
    doc: 'Folder for service data (Temporal DB, S3 data, logs, run work folders); relative to the project root.',
  },
  SCIENTIST_TEMPORAL_ADDRESS: { schema: hostPort, default: '127.0.0.1:7233', doc: 'Temporal frontend (gRPC).' },
  SCIENTIST_TEMPORAL_NAMESPACE: { schema: z.string().min(1), default: 'default', doc: 'Temporal namespace.' },
  SCIENTIST_TEMPORAL_UI_URL: {
    schema: z.url(),
    default: 'http://127.0.0.1:8233',
    doc: 'Temporal Web UI base URL (links printed by the CLI; the dev server serves it).',
  },
  SCIENTIST_TEMPORAL_API_KEY: {
    schema: z.string().optional(),
    doc: 'API key for a hosted Temporal (implies TLS). Secret: environment only.',
    secret: true,
  },
  SCIENTIST_TEMPORAL_TLS: { schema: bool, default: 'false', doc: 'Connect to Temporal over TLS.' },
  SCIENTIST_TEMPORAL_RETENTION_DAYS: {
    schema: int(1, 3650),
    default: '30',
    doc: 'Days the dev server keeps closed workflows (its own default is 1).',
  },
  SCIENTIST_TASK_QUEUE: {
    schema: z.string().min(1),
    default: 'scientist-main',
    doc: 'Task queue of the main worker: workflows, LLM calls, CPU work.',
  },
  SCIENTIST_GPU_TASK_QUEUE: {
    schema: z.string().min(1),
    default: 'scientist-gpu',
    doc: 'Task queue of the GPU workers: experiment runs.',
  },
  SCIENTIST_S3_ENDPOINT: {
    schema: z.url(),
    default: 'http://127.0.0.1:8333',
    doc: 'S3 endpoint (SeaweedFS in dev, MinIO or any S3 in production).',
  },
  SCIENTIST_S3_REGION: { schema: z.string().min(1), default: 'us-east-1', doc: 'S3 region.' },
  SCIENTIST_S3_BUCKET: {
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name'),
    default: 'scientist',
    doc: 'Bucket for all artifacts; created on first use.',
  },
  SCIENTIST_S3_PREFIX: {
    schema: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'expected empty or a path ending in /'),
    default: '',
    doc: 'Key prefix inside the bucket (lets several installations or test runs share one bucket).',
  },
  SCIENTIST_S3_ACCESS_KEY: {
    schema: z.string().min(3),
    default: 'scientist-dev',
    doc: 'S3 access key. The default matches the local dev server only. Secret: environment only.',
    secret: true,
  },
  SCIENTIST_S3_SECRET_KEY: {
    schema: z.string().min(8),
    default: 'scientist-dev-secret',
    doc: 'S3 secret key. The default matches the local dev server only. Secret: environment only.',
    secret: true,
  },
  SCIENTIST_DOCKER_SOCKET: { schema: z.string().min(1), default: '/var/run/docker.sock', doc: 'Docker engine socket.' },
  SCIENTIST_SANDBOX_IMAGE: {
    schema: z.string(),
    default: '',
    doc: 'Sandbox image for experiments; empty = the locally built image of the current recipe.',
  },
  SCIENTIST_SANDBOX_MEMORY_MB: { schema: int(64), default: '4096', doc: 'Memory limit per sandbox (no swap).' },
  SCIENTIST_SANDBOX_CPUS: {
    schema: z.coerce.number().positive().max(1024),
    default: '2',
    doc: 'CPU quota per sandbox, in cores.',
  },
  SCIENTIST_SANDBOX_PIDS_LIMIT: { schema: int(8), default: '256', doc: 'Process/thread limit per sandbox.' },
  SCIENTIST_SANDBOX_TIMEOUT_S: {
    schema: int(1),
    default: '7200',
    doc: 'Wall-clock limit per sandbox run, enforced from outside (the container is killed).',
  },
  SCIENTIST_SANDBOX_TMP_MB: { schema: int(1), default: '512', doc: 'Size of the writable /tmp in a sandbox.' },
  SCIENTIST_GPU_COUNT: {
    schema: z.union([z.literal('auto'), int(0, 64)]),
    default: 'auto',
    doc: 'GPUs this GPU worker serves; auto = ask nvidia-smi (none found = CPU mode, one slot).',
  },
  SCIENTIST_LOG_LEVEL: {
    schema: z.enum(['debug', 'info', 'warn', 'error']),
    default: 'info',
    doc: 'Log level of workers and CLI.',
  },
} as const satisfies Record<string, SettingSpec>;

type SettingName = keyof typeof SETTINGS;
type Values = { [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']> };

export interface Config {
  dataDir: string;
  temporal: {
    address: string;
    namespace: string;
    uiUrl: string;
    apiKey?: string;
    tls: boolean;
    retentionDays: number;
    taskQueue: string;
    gpuTaskQueue: string;
  };
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    prefix: string;
    accessKey: string;
    secretKey: string;
  };
  docker: { socketPath: string };
  sandbox: {
    /** Empty: the image built locally from the current recipe (see sandbox/images). */
    image: string;
    memoryMB: number;
    cpus: number;
    pidsLimit: number;
    timeoutMs: number;
    tmpMB: number;
  };
  gpu: { count: 'auto' | number };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

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
 * Validates `env` (and the env file's values, below it) into a typed Config. Throws one
 * ConfigError that lists every bad setting, with what was found and how to fix it.
 */
export function loadConfig(env: Env, fileEnv: Env = {}): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    if (spec.secret && fileEnv[name] !== undefined) {
      problems.push(`${name} is a secret: set it in the environment, not in the env file`);
      continue;
    }
    const raw = env[name] ?? fileEnv[name] ?? spec.default;
    const parsed = spec.schema.safeParse(raw === '' && spec.schema.safeParse(undefined).success ? undefined : raw);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const shown = spec.secret ? '(hidden)' : JSON.stringify(raw);
      problems.push(`${name}=${shown}: ${parsed.error.issues.map((i) => i.message).join('; ')} — ${spec.doc}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}\nSet these in the environment or in scientist.env.`);
  }
  return toConfig(values as Values);
}

function toConfig(v: Values): Config {
  return {
    dataDir: path.resolve(PROJECT_ROOT, v.SCIENTIST_DATA_DIR),
    temporal: {
      address: v.SCIENTIST_TEMPORAL_ADDRESS,
      namespace: v.SCIENTIST_TEMPORAL_NAMESPACE,
      uiUrl: v.SCIENTIST_TEMPORAL_UI_URL.replace(/\/$/, ''),
      apiKey: v.SCIENTIST_TEMPORAL_API_KEY || undefined,
      tls: v.SCIENTIST_TEMPORAL_TLS || Boolean(v.SCIENTIST_TEMPORAL_API_KEY),
      retentionDays: v.SCIENTIST_TEMPORAL_RETENTION_DAYS,
      taskQueue: v.SCIENTIST_TASK_QUEUE,
      gpuTaskQueue: v.SCIENTIST_GPU_TASK_QUEUE,
    },
    s3: {
      endpoint: v.SCIENTIST_S3_ENDPOINT,
      region: v.SCIENTIST_S3_REGION,
      bucket: v.SCIENTIST_S3_BUCKET,
      prefix: v.SCIENTIST_S3_PREFIX,
      accessKey: v.SCIENTIST_S3_ACCESS_KEY,
      secretKey: v.SCIENTIST_S3_SECRET_KEY,
    },
    docker: { socketPath: v.SCIENTIST_DOCKER_SOCKET },
    sandbox: {
      image: v.SCIENTIST_SANDBOX_IMAGE,
      memoryMB: v.SCIENTIST_SANDBOX_MEMORY_MB,
      cpus: v.SCIENTIST_SANDBOX_CPUS,
      pidsLimit: v.SCIENTIST_SANDBOX_PIDS_LIMIT,
      timeoutMs: v.SCIENTIST_SANDBOX_TIMEOUT_S * 1000,
      tmpMB: v.SCIENTIST_SANDBOX_TMP_MB,
    },
    gpu: { count: v.SCIENTIST_GPU_COUNT },
    logLevel: v.SCIENTIST_LOG_LEVEL,
  };
}

/** The env file's path: SCIENTIST_ENV_FILE, else `scientist.env` in the project root. */
export function envFilePath(env: Env): string {
  return path.resolve(PROJECT_ROOT, env.SCIENTIST_ENV_FILE ?? 'scientist.env');
}

/** Loads the config of this process: process environment over the env file (if present). */
export function loadProcessConfig(env: Env = process.env): Config {
  const file = envFilePath(env);
  const fileEnv = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  return loadConfig(env, fileEnv);
}

/** The config as safe-to-print lines, secrets masked. */
export function describeConfig(env: Env, fileEnv: Env = {}): { name: string; value: string; source: string }[] {
  return (Object.entries(SETTINGS) as [SettingName, SettingSpec][]).map(([name, spec]) => {
    const source = env[name] !== undefined ? 'env' : fileEnv[name] !== undefined ? 'file' : 'default';
    const raw = env[name] ?? fileEnv[name] ?? spec.default ?? '';
    return { name, value: spec.secret && raw ? '********' : raw, source };
  });
}

/** The README's configuration table. */
export function settingsMarkdown(): string {
  const rows = (Object.entries(SETTINGS) as [SettingName, SettingSpec][]).map(
    ([name, s]) => `| \`${name}\` | ${s.default === undefined ? '—' : s.default === '' ? '(empty)' : `\`${s.default}\``} | ${s.doc} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
