/**
 * The review decision threshold as a setting: the env file that `scientist bench-reviewer
 * apply-threshold` writes, the config that reads it, and the campaign settings that carry it (and
 * the benchmark run it came from) to every paper.
 */
import { campaignSettings } from '../../cli/run';
import { loadConfig, parseEnvFile, withEnvFileValues } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

describe('review threshold setting', () => {
  it('defaults to 6 with no source', () => {
    expect(loadConfig({}).review).toEqual({ threshold: 6, thresholdSource: undefined });
  });

  it('is written into the env file in place, other lines kept, and read back by the config', () => {
    const before = '# my settings\nSCIENTIST_LOG_LEVEL=warn\nexport SCIENTIST_REVIEW_THRESHOLD=6\n';
    const after = withEnvFileValues(before, {
      SCIENTIST_REVIEW_THRESHOLD: '5.5',
      SCIENTIST_REVIEW_THRESHOLD_SOURCE: 'bench-reviewer-offline',
    });
    expect(after).toBe(
      '# my settings\nSCIENTIST_LOG_LEVEL=warn\nSCIENTIST_REVIEW_THRESHOLD=5.5\nSCIENTIST_REVIEW_THRESHOLD_SOURCE=bench-reviewer-offline\n',
    );
    const config = loadConfig({}, parseEnvFile(after));
    expect(config.review).toEqual({ threshold: 5.5, thresholdSource: 'bench-reviewer-offline' });
    expect(config.logLevel).toBe('warn');
    expect(withEnvFileValues('', { SCIENTIST_REVIEW_THRESHOLD: '7' })).toBe('SCIENTIST_REVIEW_THRESHOLD=7\n');
  });

  it('refuses a value its setting would refuse, and secrets, before touching the text', () => {
    expect(() => withEnvFileValues('', { SCIENTIST_REVIEW_THRESHOLD: '11' })).toThrow(ConfigError);
    expect(() => withEnvFileValues('', { SCIENTIST_REVIEW_THRESHOLD: 'six' })).toThrow(
      /SCIENTIST_REVIEW_THRESHOLD/,
    );
    expect(() => withEnvFileValues('', { SCIENTIST_REVIEW_THRESHOLD_SOURCE: 'a\nSCIENTIST_X=1' })).toThrow(
      /one line/,
    );
    expect(() => withEnvFileValues('', { SCIENTIST_OPENAI_API_KEY: 'sk-1' })).toThrow(/secret/);
    expect(() => loadConfig({ SCIENTIST_REVIEW_THRESHOLD: '0' })).toThrow(ConfigError);
  });

  it('reaches the papers through the campaign settings', () => {
    const review = loadConfig({
      SCIENTIST_REVIEW_THRESHOLD: '6.5',
      SCIENTIST_REVIEW_THRESHOLD_SOURCE: 'bench-reviewer-x',
    }).review;
    const s = campaignSettings({ template: 'grokking', quick: true }, review);
    expect(s.paper.decisionThreshold).toBe(6.5);
    expect(s.paper.decisionThresholdSource).toBe('bench-reviewer-x');
    const plain = campaignSettings({ template: 'grokking' }, loadConfig({}).review);
    expect(plain.paper.decisionThreshold).toBe(6);
    expect(plain.paper).not.toHaveProperty('decisionThresholdSource');
  });
});
