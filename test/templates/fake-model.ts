import type { Config } from '../../lib/config';
import { suiteConfig } from '../harness';
import type { FakeLlmServer } from '../llm/fake-llm-server';

/**
 * A template suite's config: every role on one priced OpenAI-format model that the suite's fake
 * server answers (so a test can count what a broken template cost), GPU workers in CPU mode.
 */
export function fakeModelSuiteConfig(suite: string, llm: FakeLlmServer, model: string): Config {
  return suiteConfig(suite, {
    SCIENTIST_LLM_DEFAULT: `openai:${model}`,
    SCIENTIST_OPENAI_BASE_URL: llm.openaiBaseUrl,
    SCIENTIST_OPENAI_API_KEY: `sk-${suite}-test`,
    SCIENTIST_LLM_PRICES: JSON.stringify({ [model]: { input: 3, output: 15, contextTokens: 128_000 } }),
    SCIENTIST_GPU_COUNT: '0',
  });
}
