/**
 * The loader: the environment (over the env file, over the defaults) validated into one typed
 * Config at process start. toConfig below is the one place that says what the Config is: its
 * type is derived from the mapping, and each value's type from its setting's schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LLM_ROLES } from '../../contracts';
import { ConfigError } from '../errors';
import { PROJECT_ROOT } from '../paths';
import { envFilePath, parseEnvFile, type Env } from './env-file';
import { readModelRef, SETTINGS, type SettingName, type SettingSpec, type Values } from './settings';

export type Config = ReturnType<typeof toConfig>;

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

/** Loads the config of this process: process environment over the env file (if present). */
export function loadProcessConfig(env: Env = process.env): Config {
  const file = envFilePath(env);
  const fileEnv = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  return loadConfig(env, fileEnv);
}

/** A role on a hosted model needs that provider's key (or, for OpenAI, a keyless local endpoint). */
function credentialProblems(v: Values): string[] {
  const problems: string[] = [];
  for (const role of LLM_ROLES) {
    const setting = `SCIENTIST_LLM_${role.toUpperCase() as Uppercase<typeof role>}` as const;
    const model = v[setting] || v.SCIENTIST_LLM_DEFAULT;
    const { provider } = readModelRef(model, setting);
    if (provider === 'openai' && !v.SCIENTIST_OPENAI_API_KEY && !v.SCIENTIST_OPENAI_BASE_URL)
      problems.push(
        `role ${role} uses ${model} but SCIENTIST_OPENAI_API_KEY is not set (or set SCIENTIST_OPENAI_BASE_URL for a keyless local server)`,
      );
    if (provider === 'anthropic' && !v.SCIENTIST_ANTHROPIC_API_KEY)
      problems.push(`role ${role} uses ${model} but SCIENTIST_ANTHROPIC_API_KEY is not set`);
  }
  return problems;
}

/** The settings' values, as the config the code reads (units in the names: Ms, MB). */
function toConfig(v: Values) {
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
      /** Empty: the image built locally from the current recipe (see sandbox/images). */
      image: v.SCIENTIST_SANDBOX_IMAGE,
      memoryMB: v.SCIENTIST_SANDBOX_MEMORY_MB,
      cpus: v.SCIENTIST_SANDBOX_CPUS,
      pidsLimit: v.SCIENTIST_SANDBOX_PIDS_LIMIT,
      timeoutMs: v.SCIENTIST_SANDBOX_TIMEOUT_S * 1000,
      tmpMB: v.SCIENTIST_SANDBOX_TMP_MB,
      /** Size of /work in MB; 0 = a plain unlimited folder. */
      workMB: v.SCIENTIST_SANDBOX_WORK_MB,
      outputCapMB: v.SCIENTIST_SANDBOX_OUTPUT_CAP_MB,
      collectMB: v.SCIENTIST_SANDBOX_COLLECT_MB,
      runtime: v.SCIENTIST_SANDBOX_RUNTIME,
      checkpointMaxMB: v.SCIENTIST_CHECKPOINT_MAX_MB,
      checkpointEvery: v.SCIENTIST_CHECKPOINT_EVERY,
      /** The host's pip command, as argv, for derived images. */
      pip: v.SCIENTIST_PIP.split(/\s+/).filter(Boolean),
      /** Package index for derived images; '' = pip's own configuration. */
      pipIndexUrl: v.SCIENTIST_PIP_INDEX_URL,
    },
    literature: {
      /** Providers in order; each later one is the fallback of the one before. */
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
      /** 0 = never reuse a cached result. */
      cacheTtlMs: v.SCIENTIST_LITERATURE_CACHE_TTL_H * 3_600_000,
      fallbackOnEmpty: v.SCIENTIST_LITERATURE_FALLBACK_ON_EMPTY,
    },
    latex: {
      /** Empty: the image built locally from the current recipe (see sandbox/images/latex). */
      image: v.SCIENTIST_LATEX_IMAGE,
      timeoutMs: v.SCIENTIST_LATEX_TIMEOUT_S * 1000,
      memoryMB: v.SCIENTIST_LATEX_MEMORY_MB,
    },
    gpu: {
      /** GPUs this worker serves; 'auto' = ask nvidia-smi. */
      count: v.SCIENTIST_GPU_COUNT,
      /** Slots in CPU mode (no GPUs): concurrent experiments, each with the sandbox's CPU limit. */
      cpuSlots: v.SCIENTIST_CPU_SLOTS,
    },
    llm: {
      /** provider:model of every role without its own setting (read with readModelRef). */
      default: v.SCIENTIST_LLM_DEFAULT,
      /** provider:model per role; undefined = `default`. */
      roles: {
        ideation: v.SCIENTIST_LLM_IDEATION || undefined,
        coding: v.SCIENTIST_LLM_CODING || undefined,
        writing: v.SCIENTIST_LLM_WRITING || undefined,
        review: v.SCIENTIST_LLM_REVIEW || undefined,
        novelty: v.SCIENTIST_LLM_NOVELTY || undefined,
      },
      /** The JSON of SCIENTIST_LLM_PARAMS, checked here; activities/llm reads it with readLlmParams. */
      paramsJson: v.SCIENTIST_LLM_PARAMS || undefined,
      /** The JSON of SCIENTIST_LLM_PRICES, checked here; activities/llm reads it with readLlmPrices. */
      pricesJson: v.SCIENTIST_LLM_PRICES || undefined,
      /** SCIENTIST_LLM_IMAGE_MODELS, split: ids or prefixes that take images, `-id` those that do not. */
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
    /** The integrity stage: the compute ratio over the baseline above which a win is compute-unfair. */
    integrity: { computeRatio: v.SCIENTIST_INTEGRITY_COMPUTE_RATIO },
    /** The review decision: its threshold on the mean Overall score, and where that came from. */
    review: {
      threshold: v.SCIENTIST_REVIEW_THRESHOLD,
      thresholdSource: v.SCIENTIST_REVIEW_THRESHOLD_SOURCE || undefined,
    },
    logLevel: v.SCIENTIST_LOG_LEVEL,
  };
}
