import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import type { ArtifactStore } from '../lib/store';
import type { SandboxRunner } from '../sandbox';
import type { LlmProvider } from './llm/types';

/** What activities are built over: real clients in workers, the same or fakes in tests. */
export interface ActivityDeps {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  log: Logger;
  /** Tests only: one LLM provider for every role (e.g. test/llm/scripted-provider); unset = from config. */
  llmProvider?: LlmProvider;
}
