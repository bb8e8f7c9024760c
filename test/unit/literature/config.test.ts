import { describeConfig, loadConfig } from '../../../lib/config';
import { ConfigError } from '../../../lib/errors';

describe('literature settings', () => {
  it('defaults to Semantic Scholar then OpenAlex at polite rates', () => {
    expect(loadConfig({}).literature).toEqual({
      providers: ['semantic-scholar', 'openalex'],
      semanticScholar: {
        baseUrl: 'https://api.semanticscholar.org/graph/v1',
        apiKey: undefined,
        requestsPerS: 1,
      },
      openAlex: { baseUrl: 'https://api.openalex.org', mailto: undefined, requestsPerS: 5 },
      maxAttempts: 4,
      backoffMs: 1000,
      maxWaitMs: 30_000,
      requestTimeoutMs: 20_000,
      defaultLimit: 10,
      cacheTtlMs: 720 * 3_600_000,
      fallbackOnEmpty: false,
    });
  });

  it('parses the provider list and rejects unknown providers, naming the setting', () => {
    expect(
      loadConfig({ SCIENTIST_LITERATURE_PROVIDERS: ' openalex , semantic-scholar' }).literature.providers,
    ).toEqual(['openalex', 'semantic-scholar']);
    expect(() => loadConfig({ SCIENTIST_LITERATURE_PROVIDERS: 'google-scholar' })).toThrow(
      /SCIENTIST_LITERATURE_PROVIDERS="google-scholar"/,
    );
    expect(() => loadConfig({ SCIENTIST_OPENALEX_MAILTO: 'not-an-email' })).toThrow(ConfigError);
  });

  it('keeps the Semantic Scholar key a secret: environment only, never printed', () => {
    expect(loadConfig({ SCIENTIST_S2_API_KEY: 's2-secret-key' }).literature.semanticScholar.apiKey).toBe(
      's2-secret-key',
    );
    expect(() => loadConfig({}, { SCIENTIST_S2_API_KEY: 's2-secret-key' })).toThrow(
      /secret: set it in the environment/,
    );
    const printed = JSON.stringify(describeConfig({ SCIENTIST_S2_API_KEY: 's2-secret-key' }));
    expect(printed).not.toContain('s2-secret-key');
  });
});
