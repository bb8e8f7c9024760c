/**
 * Every setting: its environment variable, schema, default, meaning and whether it is a secret.
 * The schemas are the one check of each value: the loader (load.ts) applies them to the
 * environment, and activities/llm reads model names and the JSON settings through the readers
 * below, which use the same schemas, so `scientist config` and `doctor` refuse what a worker would.
 */
import { z } from 'zod';
import { LLM_ROLES } from '../../contracts';
import { ConfigError } from '../errors';

export interface SettingSpec {
  schema: z.ZodType;
  default?: string;
  doc: string;
  secret?: boolean;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port');

/** A schema's issues as one line, each with its path where it has one (`m.input: …`). */
function problemText(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * `provider:model`, split. The model part may itself contain colons (Ollama's `llama3.1:8b`);
 * the local model may go unnamed (model ''), a hosted one must be named.
 */
const MODEL_REF = z.string().transform((text, ctx) => {
  const i = text.indexOf(':');
  const provider = z
    .enum(['local', 'openai', 'anthropic'])
    .safeParse((i < 0 ? text : text.slice(0, i)).trim());
  const model = i < 0 ? '' : text.slice(i + 1).trim();
  if (!provider.success) {
    ctx.addIssue({
      code: 'custom',
      message:
        'expected provider:model with provider local, openai or anthropic (e.g. openai:gpt-4o; plain `local` is the offline model)',
    });
    return z.NEVER;
  }
  if (provider.data !== 'local' && !model) {
    const example = provider.data === 'openai' ? 'openai:gpt-4o' : 'anthropic:claude-sonnet-4-5';
    ctx.addIssue({ code: 'custom', message: `name the model, e.g. ${example}` });
    return z.NEVER;
  }
  return { provider: provider.data, model };
});

/** JSON text of the given shape, parsed. */
function json<T extends z.ZodType>(shape: T) {
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
const LLM_PARAMS = json(
  z.partialRecord(
    z.enum(['default', ...LLM_ROLES]),
    z
      .object({
        maxTokens: z.number().int().positive().optional(),
        temperature: z.number().min(0).max(2).optional(),
        stop: z.array(z.string()).optional(),
      })
      .strict(),
  ),
);

/** SCIENTIST_LLM_PRICES: USD per million tokens (and the window) per model, over the built-in table. */
const LLM_PRICES = json(
  z.record(
    z.string(),
    z.object({
      input: z.number().min(0),
      cachedInput: z.number().min(0).optional(),
      output: z.number().min(0),
      contextTokens: z.number().int().positive().optional(),
    }),
  ),
);

/**
 * A setting whose value stays its text (the config carries the text) once `reader` accepts it;
 * whoever uses the value reads it again with the same reader (readModelRef, readLlmParams…).
 */
function checkedText(reader: z.ZodType) {
  return z.string().superRefine((text, ctx) => {
    const r = reader.safeParse(text);
    if (!r.success) ctx.addIssue({ code: 'custom', message: problemText(r.error) });
  });
}

function read<T extends z.ZodType>(reader: T, label: string, text: string): z.output<T> {
  const r = reader.safeParse(text);
  if (!r.success) throw new ConfigError(`${label}=${JSON.stringify(text)}: ${problemText(r.error)}`);
  return r.data;
}

/**
 * A model name, `provider:model`, split (a local model left unnamed has model ''). Throws a
 * ConfigError naming `label` (the setting, or e.g. a CLI flag) when it is not one.
 */
export function readModelRef(text: string, label = 'SCIENTIST_LLM_DEFAULT') {
  return read(MODEL_REF, label, text);
}

/** SCIENTIST_LLM_PARAMS parsed; throws a ConfigError naming it and each bad path. */
export function readLlmParams(text: string) {
  return read(LLM_PARAMS, 'SCIENTIST_LLM_PARAMS', text);
}

/** SCIENTIST_LLM_PRICES parsed; throws a ConfigError naming it and each bad path. */
export function readLlmPrices(text: string) {
  return read(LLM_PRICES, 'SCIENTIST_LLM_PRICES', text);
}

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
    schema: checkedText(MODEL_REF),
    default: 'local',
    doc: 'Model for every role without its own setting, as provider:model (openai:gpt-4o, anthropic:claude-sonnet-4-5, local). `local` = the offline GGUF model in process.',
  },
  SCIENTIST_LLM_IDEATION: {
    schema: checkedText(MODEL_REF).optional(),
    doc: 'Model for idea generation and reflection (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_CODING: {
    schema: checkedText(MODEL_REF).optional(),
    doc: 'Model for experiment code edits (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_WRITING: {
    schema: checkedText(MODEL_REF).optional(),
    doc: 'Model for the write-up and LaTeX fixes (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_REVIEW: {
    schema: checkedText(MODEL_REF).optional(),
    doc: 'Model for reviews and meta-review (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_NOVELTY: {
    schema: checkedText(MODEL_REF).optional(),
    doc: 'Model for the novelty check (provider:model); empty = SCIENTIST_LLM_DEFAULT.',
  },
  SCIENTIST_LLM_PARAMS: {
    schema: checkedText(LLM_PARAMS).optional(),
    doc: 'JSON: parameters per role (or "default"), e.g. {"default":{"temperature":0.7,"maxTokens":4096},"review":{"temperature":0.1}}.',
  },
  SCIENTIST_LLM_PRICES: {
    schema: checkedText(LLM_PRICES).optional(),
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

export type SettingName = keyof typeof SETTINGS;
export type Values = { [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']> };
