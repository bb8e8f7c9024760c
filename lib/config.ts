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
import { LLM_ROLES } from '../contracts';
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
/** `provider:model`; the local model may go unnamed, a hosted one must be named. */
const modelRef = z
  .string()
  .regex(
    /^(local(:.+)?|(openai|anthropic):.+)$/,
    'expected provider:model with provider local, openai or anthropic (e.g. openai:gpt-4o; plain `local` is the offline model)',
  );
/** What is wrong with a JSON setting's text, path by path. */
function jsonProblem(shape: z.ZodType, input: unknown): string {
  const r = jsonSetting(shape).safeParse(input);
  return r.success
    ? ''
    : r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ');
}

/** A setting whose value is JSON of the given shape: parsed and checked here, once. */
function jsonSetting<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON: ${(err as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(shape);
}

/** SCIENTIST_LLM_PARAMS: call parameters per role or for every role ("default"). */
export const LLM_PARAMS_SCHEMA = z.partialRecord(
  z.enum(['default', ...LLM_ROLES]),
  z
    .object({
      maxTokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).max(2).optional(),
      stop: z.array(z.string()).optional(),
    })
    .strict(),
);

/** SCIENTIST_LLM_PRICES: USD per million tokens (and the window) per model, over the built-in table. */
export const LLM_PRICES_SCHEMA = z.record(
  z.string(),
  z.object({
    input: z.number().min(0),
    cachedInput: z.number().min(0).optional(),
    output: z.number().min(0),
    contextTokens: z.number().int().positive().optional(),
  }),
);

/** Every setting. The README's configuration table is printed from this by `scientist config --markdown`. */
export const SETTINGS = {
  SCIENTIST_DATA_DIR: {
    schema: z.string().min(1),
    default: '.data',
    doc: 'Folder for service data (Temporal DB, S3 data, logs, run work folders); relative to the project root.',
  },
  SCIENTIST_TEMPORAL_ADDRESS: {
    schema: hostPort,
    default: '127.0.0.1:7233',
    doc: 'Temporal frontend (gRPC).',
  },
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
  SCIENTIST_DOCKER_SOCKET: {
    schema: z.string().min(1),
    default: '/var/run/docker.sock',
    doc: 'Docker engine socket.',
  },
  SCIENTIST_SANDBOX_IMAGE: {
    schema: z.string(),
    default: '',
    doc: 'Sandbox image for experiments; empty = the locally built image of the current recipe.',
  },
  SCIENTIST_SANDBOX_MEMORY_MB: {
    schema: int(64),
    default: '4096',
    doc: 'Memory limit per sandbox (no swap).',
  },
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
  SCIENTIST_SANDBOX_TMP_MB: {
    schema: int(1),
    default: '512',
    doc: 'Size of the writable /tmp in a sandbox.',
  },
  SCIENTIST_SANDBOX_WORK_MB: {
    schema: int(0),
    default: '2048',
    doc: 'Size of the writable /work area per sandbox (an ext4 image loop-mounted on the host; the worker needs root). 0 = an unlimited plain folder.',
  },
  SCIENTIST_SANDBOX_OUTPUT_CAP_MB: {
    schema: int(1),
    default: '16',
    doc: 'Stdout+stderr kept per sandbox run; a run that prints more is killed (outcome output-cap).',
  },
  SCIENTIST_SANDBOX_COLLECT_MB: {
    schema: int(1),
    default: '256',
    doc: 'Bytes of files copied back out of a finished sandbox; files beyond it are skipped and reported.',
  },
  SCIENTIST_SANDBOX_RUNTIME: {
    schema: z.enum(['runc', 'runsc']),
    default: 'runc',
    doc: 'OCI runtime for CPU sandboxes: runc, or runsc (gVisor, must be registered with the Docker engine). GPU runs always use runc.',
  },
  SCIENTIST_PIP: {
    schema: z.string().min(1),
    default: 'python3 -m pip',
    doc: "The pip the worker runs on the host (with network) to download a template's requirements.txt as wheels; the derived image installs them with no network.",
  },
  SCIENTIST_PIP_INDEX_URL: {
    schema: z.string(),
    default: '',
    doc: "Package index for templates' requirements (pip --index-url); empty = pip's own configuration.",
  },
  SCIENTIST_CHECKPOINT_MAX_MB: {
    schema: int(1),
    default: '1024',
    doc: 'Largest experiment checkpoint that is uploaded for resume; larger ones are skipped with a warning.',
  },
  SCIENTIST_CHECKPOINT_EVERY: {
    schema: int(1),
    default: '100',
    doc: 'Steps between checkpoints, passed to experiments as SCIENTIST_CHECKPOINT_EVERY.',
  },
  SCIENTIST_LATEX_IMAGE: {
    schema: z.string(),
    default: '',
    doc: 'Image papers compile in (TeX Live, chktex, pdftotext); empty = the locally built image of the current recipe.',
  },
  SCIENTIST_LATEX_TIMEOUT_S: {
    schema: int(5, 3600),
    default: '120',
    doc: 'Wall-clock limit for one paper compile (every pdflatex/bibtex pass together); a runaway document is killed.',
  },
  SCIENTIST_LATEX_MEMORY_MB: {
    schema: int(128),
    default: '1024',
    doc: 'Memory limit of the LaTeX sandbox (no swap).',
  },
  SCIENTIST_GPU_COUNT: {
    schema: z.union([z.literal('auto'), int(0, 64)]),
    default: 'auto',
    doc: 'GPUs this GPU worker serves; auto = ask nvidia-smi (none found = CPU mode, SCIENTIST_CPU_SLOTS slots). Count real GPUs only: each slot is pinned to a device.',
  },
  SCIENTIST_CPU_SLOTS: {
    schema: int(1, 64),
    default: '1',
    doc: 'Slots a GPU worker offers in CPU mode (no GPUs found, or SCIENTIST_GPU_COUNT=0): experiments it runs at once, each with its own SCIENTIST_SANDBOX_CPUS.',
  },
  SCIENTIST_LITERATURE_PROVIDERS: {
    schema: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(['semantic-scholar', 'openalex'])).min(1)),
    default: 'semantic-scholar,openalex',
    doc: 'Literature search providers in order; each later one is the fallback when the one before fails after its retries.',
  },
  SCIENTIST_S2_BASE_URL: {
    schema: z.url(),
    default: 'https://api.semanticscholar.org/graph/v1',
    doc: 'Semantic Scholar Graph API base URL.',
  },
  SCIENTIST_S2_API_KEY: {
    schema: z.string().optional(),
    doc: 'Semantic Scholar API key (sent as x-api-key; optional, raises the rate limit). Secret: environment only.',
    secret: true,
  },
  SCIENTIST_S2_REQUESTS_PER_S: {
    schema: z.coerce.number().positive().max(1000),
    default: '1',
    doc: 'Process-wide request rate to Semantic Scholar (about 1/s is what it allows without a key).',
  },
  SCIENTIST_OPENALEX_BASE_URL: {
    schema: z.url(),
    default: 'https://api.openalex.org',
    doc: 'OpenAlex API base URL.',
  },
  SCIENTIST_OPENALEX_MAILTO: {
    schema: z.email().optional(),
    doc: 'Contact e-mail sent to OpenAlex as mailto (its "polite pool"); optional.',
  },
  SCIENTIST_OPENALEX_REQUESTS_PER_S: {
    schema: z.coerce.number().positive().max(1000),
    default: '5',
    doc: 'Process-wide request rate to OpenAlex (it allows 10/s).',
  },
  SCIENTIST_LITERATURE_MAX_ATTEMPTS: {
    schema: int(1, 20),
    default: '4',
    doc: 'HTTP tries per provider per activity attempt on 429/5xx/network errors before giving up with a retryable error.',
  },
  SCIENTIST_LITERATURE_BACKOFF_MS: {
    schema: int(1, 600_000),
    default: '1000',
    doc: 'First backoff between literature retries; doubles per try (with jitter) up to 30 s unless Retry-After says otherwise.',
  },
  SCIENTIST_LITERATURE_MAX_WAIT_S: {
    schema: int(0, 3600),
    default: '30',
    doc: 'Longest Retry-After waited inside an activity; a longer one ends the activity attempt and Temporal retries after it.',
  },
  SCIENTIST_LITERATURE_TIMEOUT_S: {
    schema: int(1, 600),
    default: '20',
    doc: 'Timeout per literature HTTP request.',
  },
  SCIENTIST_LITERATURE_LIMIT: {
    schema: int(1, 100),
    default: '10',
    doc: 'Papers per literature query by default.',
  },
  SCIENTIST_LITERATURE_CACHE_TTL_H: {
    schema: int(0),
    default: '720',
    doc: 'How long a cached literature result is reused, in hours (0 = never reuse).',
  },
  SCIENTIST_LITERATURE_FALLBACK_ON_EMPTY: {
    schema: bool,
    default: 'false',
    doc: 'Also ask the next provider when one returns no papers (by default an empty answer is an answer).',
  },
  SCIENTIST_LLM_DEFAULT: {
    schema: modelRef,
    default: 'local',
    doc: 'Model for every role without its own setting, as provider:model (openai:gpt-4o, anthropic:claude-sonnet-4-5, local). `local` = the offline GGUF model in process.',
  },
  SCIENTIST_LLM_IDEATION: {
    schema: modelRef.optional(),
    doc: 'Model for idea generation and reflection (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_CODING: {
    schema: modelRef.optional(),
    doc: 'Model for experiment code edits (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_WRITING: {
    schema: modelRef.optional(),
    doc: 'Model for the write-up and LaTeX fixes (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_REVIEW: {
    schema: modelRef.optional(),
    doc: 'Model for reviews and meta-review (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_NOVELTY: {
    schema: modelRef.optional(),
    doc: 'Model for the novelty check (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_PARAMS: {
    // Validated as JSON of its shape here; the raw text is kept (activities/llm reads it).
    schema: z
      .string()
      .optional()
      .refine((t) => t === undefined || jsonSetting(LLM_PARAMS_SCHEMA).safeParse(t).success, {
        error: (issue) => jsonProblem(LLM_PARAMS_SCHEMA, issue.input),
      }),
    doc: 'JSON: parameters per role (or "default"), e.g. {"default":{"temperature":0.7,"maxTokens":4096},"review":{"temperature":0.1}}.',
  },
  SCIENTIST_LLM_PRICES: {
    schema: z
      .string()
      .optional()
      .refine((t) => t === undefined || jsonSetting(LLM_PRICES_SCHEMA).safeParse(t).success, {
        error: (issue) => jsonProblem(LLM_PRICES_SCHEMA, issue.input),
      }),
    doc: 'JSON: USD per million tokens per model, over the built-in table, e.g. {"my-model":{"input":0.5,"cachedInput":0.1,"output":1.5,"contextTokens":32768}}.',
  },
  SCIENTIST_LLM_IMAGE_MODELS: {
    schema: z
      .string()
      .regex(/^\s*(-?[\w./:@-]+\s*(,\s*-?[\w./:@-]+\s*)*)?$/, 'a comma-separated list of model ids'),
    default: '',
    doc: 'Models that take images (the figure critique), beyond the built-in table (gpt-4o, gpt-4.1, gpt-5, o1, o3, o4-mini, Claude 3.5 and 3.7 Sonnet and the Claude 4 models, Gemini 2.5): comma-separated ids or prefixes, e.g. a vision model on an OpenAI-compatible endpoint (`qwen2.5-vl,llava`); `-id` marks one that takes none. The local models never do.',
  },
  SCIENTIST_OPENAI_API_KEY: {
    schema: z.string().optional(),
    doc: 'API key of the OpenAI(-compatible) endpoint. Secret: environment only.',
    secret: true,
  },
  SCIENTIST_OPENAI_BASE_URL: {
    schema: z.url().optional(),
    doc: 'OpenAI-compatible base URL ending in /v1 (OpenRouter, vLLM, Ollama, llama.cpp server, DeepSeek, Gemini); empty = OpenAI.',
  },
  SCIENTIST_OPENAI_JSON_MODE: {
    schema: z.enum(['json_schema', 'json_object', 'prompt']),
    default: 'json_schema',
    doc: 'Structured output on the OpenAI(-compatible) endpoint: json_schema (OpenAI, vLLM, Ollama, OpenRouter, Gemini), json_object (DeepSeek) or prompt (schema in the prompt only); replies are validated either way.',
  },
  SCIENTIST_ANTHROPIC_API_KEY: {
    schema: z.string().optional(),
    doc: 'Anthropic API key. Secret: environment only.',
    secret: true,
  },
  SCIENTIST_ANTHROPIC_BASE_URL: {
    schema: z.url().optional(),
    doc: 'Anthropic API base URL (without /v1); empty = Anthropic.',
  },
  SCIENTIST_LLM_TIMEOUT_S: {
    schema: int(1),
    default: '600',
    doc: 'Longest one LLM request may take (HTTP or local generation).',
  },
  SCIENTIST_LLM_REPAIR_ROUNDS: {
    schema: int(0, 5),
    default: '1',
    doc: 'Rounds in which a model whose structured output failed validation is shown the error and asked again.',
  },
  SCIENTIST_LLM_LOCAL_MODEL: {
    schema: z.string(),
    default: '',
    doc: 'GGUF file of the local model; empty = <data dir>/models/SmolLM2-135M-Instruct.Q4_1.gguf (installed by infra/setup.sh).',
  },
  SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS: {
    schema: int(256),
    default: '4096',
    doc: 'Context window of the local model.',
  },
  SCIENTIST_LLM_LOCAL_THREADS: {
    schema: int(1, 256),
    default: '1',
    doc: 'CPU threads of the local model. Keep it below the free cores: llama.cpp threads spin, and an oversubscribed machine runs 20× slower.',
  },
  SCIENTIST_REVIEW_THRESHOLD: {
    schema: z.coerce.number().min(1).max(10),
    default: '6',
    doc: 'Mean Overall score (1-10) at or above which the calibrated review decision is Accept; `scientist bench-reviewer apply-threshold` writes a fitted one.',
  },
  SCIENTIST_INTEGRITY_COMPUTE_RATIO: {
    schema: z.coerce.number().min(1),
    default: '1.2',
    doc: "A variant with more than this many times the baseline's parameters (or, where a run reports none, device-seconds) is compute-unfair when the paper presents it as an improvement.",
  },
  SCIENTIST_REVIEW_THRESHOLD_SOURCE: {
    schema: z.string().max(200).optional(),
    doc: 'Where SCIENTIST_REVIEW_THRESHOLD came from (the benchmark run it was fitted on); papers record it with their decision.',
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
    /** Size of /work in MB; 0 = a plain unlimited folder. */
    workMB: number;
    outputCapMB: number;
    collectMB: number;
    runtime: 'runc' | 'runsc';
    checkpointMaxMB: number;
    checkpointEvery: number;
    /** The host's pip command (argv) and package index ('' = pip's own) for derived images. */
    pip: string[];
    pipIndexUrl: string;
  };
  literature: {
    /** Providers in order; each later one is the fallback of the one before. */
    providers: ('semantic-scholar' | 'openalex')[];
    semanticScholar: { baseUrl: string; apiKey?: string; requestsPerS: number };
    openAlex: { baseUrl: string; mailto?: string; requestsPerS: number };
    maxAttempts: number;
    backoffMs: number;
    maxWaitMs: number;
    requestTimeoutMs: number;
    defaultLimit: number;
    /** 0 = never reuse a cached result. */
    cacheTtlMs: number;
    fallbackOnEmpty: boolean;
  };
  latex: {
    /** Empty: the image built locally from the current recipe (see sandbox/images/latex). */
    image: string;
    timeoutMs: number;
    memoryMB: number;
  };
  gpu: {
    count: 'auto' | number;
    /** Slots in CPU mode (no GPUs): concurrent experiments, each with the sandbox's CPU limit. */
    cpuSlots: number;
  };
  llm: {
    /** provider:model per role; roles without a setting use `default`. */
    default: string;
    roles: Partial<Record<'ideation' | 'coding' | 'writing' | 'review' | 'novelty', string>>;
    /** Raw JSON of SCIENTIST_LLM_PARAMS / SCIENTIST_LLM_PRICES (validated by activities/llm). */
    paramsJson?: string;
    pricesJson?: string;
    /** SCIENTIST_LLM_IMAGE_MODELS, split: ids or prefixes that take images, `-id` those that do not. */
    imageModels: string[];
    openai: { apiKey?: string; baseUrl?: string; jsonMode: 'json_schema' | 'json_object' | 'prompt' };
    anthropic: { apiKey?: string; baseUrl?: string };
    timeoutMs: number;
    repairRounds: number;
    local: { modelPath: string; contextTokens: number; threads: number };
  };
  /** The review decision: its threshold on the mean Overall score, and where that came from. */
  review: { threshold: number; thresholdSource?: string };
  /** The integrity stage: the compute ratio over the baseline above which a win is compute-unfair. */
  integrity: { computeRatio: number };
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
    const parsed = spec.schema.safeParse(
      raw === '' && spec.schema.safeParse(undefined).success ? undefined : raw,
    );
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const shown = spec.secret ? '(hidden)' : JSON.stringify(raw);
      problems.push(
        `${name}=${shown}: ${parsed.error.issues.map((i) => i.message).join('; ')} — ${spec.doc}`,
      );
    }
  }
  if (problems.length === 0) problems.push(...credentialProblems(values as Values));
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  ${problems.join('\n  ')}\nSet these in the environment or in scientist.env.`,
    );
  }
  return toConfig(values as Values);
}

/** A role on a hosted model needs that provider's key (or, for OpenAI, a keyless local endpoint). */
function credentialProblems(v: Values): string[] {
  const problems: string[] = [];
  for (const role of LLM_ROLES) {
    const setting = `SCIENTIST_LLM_${role.toUpperCase() as Uppercase<typeof role>}` as const;
    const model = v[setting] || v.SCIENTIST_LLM_DEFAULT;
    if (model.startsWith('openai:') && !v.SCIENTIST_OPENAI_API_KEY && !v.SCIENTIST_OPENAI_BASE_URL)
      problems.push(
        `role ${role} uses ${model} but SCIENTIST_OPENAI_API_KEY is not set (or set SCIENTIST_OPENAI_BASE_URL for a keyless local server)`,
      );
    if (model.startsWith('anthropic:') && !v.SCIENTIST_ANTHROPIC_API_KEY)
      problems.push(`role ${role} uses ${model} but SCIENTIST_ANTHROPIC_API_KEY is not set`);
  }
  return problems;
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
      workMB: v.SCIENTIST_SANDBOX_WORK_MB,
      outputCapMB: v.SCIENTIST_SANDBOX_OUTPUT_CAP_MB,
      collectMB: v.SCIENTIST_SANDBOX_COLLECT_MB,
      runtime: v.SCIENTIST_SANDBOX_RUNTIME,
      checkpointMaxMB: v.SCIENTIST_CHECKPOINT_MAX_MB,
      checkpointEvery: v.SCIENTIST_CHECKPOINT_EVERY,
      pip: v.SCIENTIST_PIP.split(/\s+/).filter(Boolean),
      pipIndexUrl: v.SCIENTIST_PIP_INDEX_URL,
    },
    literature: {
      providers: v.SCIENTIST_LITERATURE_PROVIDERS,
      semanticScholar: {
        baseUrl: v.SCIENTIST_S2_BASE_URL.replace(/\/$/, ''),
        apiKey: v.SCIENTIST_S2_API_KEY || undefined,
        requestsPerS: v.SCIENTIST_S2_REQUESTS_PER_S,
      },
      openAlex: {
        baseUrl: v.SCIENTIST_OPENALEX_BASE_URL.replace(/\/$/, ''),
        mailto: v.SCIENTIST_OPENALEX_MAILTO || undefined,
        requestsPerS: v.SCIENTIST_OPENALEX_REQUESTS_PER_S,
      },
      maxAttempts: v.SCIENTIST_LITERATURE_MAX_ATTEMPTS,
      backoffMs: v.SCIENTIST_LITERATURE_BACKOFF_MS,
      maxWaitMs: v.SCIENTIST_LITERATURE_MAX_WAIT_S * 1000,
      requestTimeoutMs: v.SCIENTIST_LITERATURE_TIMEOUT_S * 1000,
      defaultLimit: v.SCIENTIST_LITERATURE_LIMIT,
      cacheTtlMs: v.SCIENTIST_LITERATURE_CACHE_TTL_H * 3_600_000,
      fallbackOnEmpty: v.SCIENTIST_LITERATURE_FALLBACK_ON_EMPTY,
    },
    latex: {
      image: v.SCIENTIST_LATEX_IMAGE,
      timeoutMs: v.SCIENTIST_LATEX_TIMEOUT_S * 1000,
      memoryMB: v.SCIENTIST_LATEX_MEMORY_MB,
    },
    gpu: { count: v.SCIENTIST_GPU_COUNT, cpuSlots: v.SCIENTIST_CPU_SLOTS },
    llm: {
      default: v.SCIENTIST_LLM_DEFAULT,
      roles: {
        ideation: v.SCIENTIST_LLM_IDEATION || undefined,
        coding: v.SCIENTIST_LLM_CODING || undefined,
        writing: v.SCIENTIST_LLM_WRITING || undefined,
        review: v.SCIENTIST_LLM_REVIEW || undefined,
        novelty: v.SCIENTIST_LLM_NOVELTY || undefined,
      },
      paramsJson: v.SCIENTIST_LLM_PARAMS || undefined,
      pricesJson: v.SCIENTIST_LLM_PRICES || undefined,
      imageModels: v.SCIENTIST_LLM_IMAGE_MODELS.split(',')
        .map((m) => m.trim())
        .filter(Boolean),
      openai: {
        apiKey: v.SCIENTIST_OPENAI_API_KEY || undefined,
        baseUrl: v.SCIENTIST_OPENAI_BASE_URL || undefined,
        jsonMode: v.SCIENTIST_OPENAI_JSON_MODE,
      },
      anthropic: {
        apiKey: v.SCIENTIST_ANTHROPIC_API_KEY || undefined,
        baseUrl: v.SCIENTIST_ANTHROPIC_BASE_URL || undefined,
      },
      timeoutMs: v.SCIENTIST_LLM_TIMEOUT_S * 1000,
      repairRounds: v.SCIENTIST_LLM_REPAIR_ROUNDS,
      local: {
        modelPath: v.SCIENTIST_LLM_LOCAL_MODEL
          ? path.resolve(PROJECT_ROOT, v.SCIENTIST_LLM_LOCAL_MODEL)
          : path.resolve(PROJECT_ROOT, v.SCIENTIST_DATA_DIR, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf'),
        contextTokens: v.SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS,
        threads: v.SCIENTIST_LLM_LOCAL_THREADS,
      },
    },
    integrity: { computeRatio: v.SCIENTIST_INTEGRITY_COMPUTE_RATIO },
    review: {
      threshold: v.SCIENTIST_REVIEW_THRESHOLD,
      thresholdSource: v.SCIENTIST_REVIEW_THRESHOLD_SOURCE || undefined,
    },
    logLevel: v.SCIENTIST_LOG_LEVEL,
  };
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

/** Loads the config of this process: process environment over the env file (if present). */
export function loadProcessConfig(env: Env = process.env): Config {
  const file = envFilePath(env);
  const fileEnv = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  return loadConfig(env, fileEnv);
}

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
