/**
 * What the pipeline suites share to set a campaign up: the suite's config pointed at a local
 * literature server, and a campaign of one idea turned into one paper on the grokking template.
 */
import type { Config } from '../../lib/config';
import { DEFAULT_CAMPAIGN_SETTINGS, type CampaignSettings, type PaperSettings } from '../../contracts';
import type { CampaignInput } from '../../workflows';
import { suiteConfig } from './index';

/** The suite's config with the literature at `scholar` (any rate) and no GPU. */
export function scholarSuiteConfig(
  suite: string,
  scholar: { s2BaseUrl: string; openAlexBaseUrl: string },
  overrides: Record<string, string> = {},
): Config {
  return suiteConfig(suite, {
    SCIENTIST_S2_BASE_URL: scholar.s2BaseUrl,
    SCIENTIST_OPENALEX_BASE_URL: scholar.openAlexBaseUrl,
    SCIENTIST_S2_REQUESTS_PER_S: '100',
    SCIENTIST_GPU_COUNT: '0',
    ...overrides,
  });
}

/** One idea (one reflection), two novelty rounds, one paper with `paper`'s settings, on grokking. */
export function oneIdeaCampaign(
  config: Config,
  paper: PaperSettings,
  settings: Partial<Omit<CampaignSettings, 'paper'>> = {},
): CampaignInput {
  return {
    template: 'grokking',
    gpuTaskQueue: config.temporal.gpuTaskQueue,
    settings: {
      ...DEFAULT_CAMPAIGN_SETTINGS,
      ideas: 1,
      ideaReflections: 1,
      noveltyRounds: 2,
      papers: 1,
      ...settings,
      paper,
    },
  };
}
