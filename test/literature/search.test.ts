/**
 * The literature layer against a local server speaking Semantic Scholar's and OpenAlex's
 * real wire formats (real HTTP over loopback) and the real S3 store for the cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createMainActivities } from '../../activities';
import {
  formatPapersForPrompt,
  literatureCacheKey,
  mergeBibtex,
  parseBibtex,
  resetRateLimiters,
  searchPapers,
  validateBibEntry,
  type Paper,
} from '../../activities/literature';
import {
  DEGRADE_FROM_ATTEMPT,
  searchOrDegrade,
  type LiteratureAnswer,
} from '../../activities/research/literature';
import type { Config } from '../../lib/config';
import { ConfigError, ServiceUnavailableError, toApplicationFailure } from '../../lib/errors';
import { createLogger } from '../../lib/log';
import { workersDeps } from './deps';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { FakeScholarServer, S2_TOO_MANY } from './fake-scholar-server';

const server = new FakeScholarServer();
let base: Config;
let store: ReturnType<typeof suiteStore>;
const log = createLogger('literature-test', 'error');
// The mock environment logs every failed activity; the failures here are on purpose.
const quietLogger = new DefaultLogger('ERROR');

/** A query nobody asked before in this suite (the cache is shared within the suite). */
const q = (label: string) => `Grokking modular arithmetic ${uniqueId(label)}`;

function cfg(lit: Partial<Config['literature']> = {}): Config {
  return { ...base, literature: { ...base.literature, ...lit } };
}
const only = (provider: 'semantic-scholar' | 'openalex') => ({ providers: [provider] });

beforeAll(async () => {
  await server.start();
  // Through the real config loader: these are the settings an operator would set.
  base = suiteConfig('literature', {
    SCIENTIST_S2_BASE_URL: server.s2BaseUrl,
    SCIENTIST_OPENALEX_BASE_URL: server.openAlexBaseUrl,
    SCIENTIST_S2_REQUESTS_PER_S: '50',
    SCIENTIST_OPENALEX_REQUESTS_PER_S: '50',
    SCIENTIST_LITERATURE_MAX_ATTEMPTS: '3',
    SCIENTIST_LITERATURE_BACKOFF_MS: '20',
    SCIENTIST_LITERATURE_TIMEOUT_S: '5',
  });
  store = suiteStore(base);
});
afterEach(() => {
  server.reset();
  resetRateLimiters();
});
afterAll(() => server.close());

describe('Semantic Scholar', () => {
  it('returns normalized papers with repaired BibTeX from its real response shape', async () => {
    const out = await searchPapers({ config: base, store }, q('s2'));
    expect(out).toMatchObject({ provider: 'semantic-scholar', cache: 'miss', total: 1874, fallbacks: [] });
    const [req] = server.requests;
    expect(req!.path).toBe('/graph/v1/paper/search');
    expect(req!.params.get('limit')).toBe('10');
    expect(req!.params.get('fields')!.split(',')).toEqual(
      expect.arrayContaining([
        'title',
        'authors',
        'venue',
        'year',
        'abstract',
        'citationStyles',
        'citationCount',
      ]),
    );
    expect(req!.headers['x-api-key']).toBeUndefined();
    expect(out.papers.map((p) => p.citeKey)).toEqual([
      'Power2022GrokkingGB',
      'Nanda2023ProgressMF',
      'Zunkovic2022GrokkingPT', // S2's key had "Ž"
      'liu2022omnigrok', // S2 gave no BibTeX: built from the fields
      'Varma2023ExplainingGT',
    ]);
    const [power, nanda, zunkovic, omnigrok] = out.papers as [Paper, Paper, Paper, Paper];
    expect(power).toMatchObject({
      paperId: '0f5c0b0ae8bbd1d6fa3a84b7c9ac3e1ae1f3d6b1',
      title: 'Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets',
      authors: ['Alethea Power', 'Yuri Burda', 'Harrison Edwards', 'Igor Babuschkin', 'Vedant Misra'],
      venue: 'arXiv.org',
      year: 2022,
      citationCount: 512,
      source: 'semantic-scholar',
    });
    expect(power.abstract).toMatch(/^In this paper we propose to study generalization/);
    expect(nanda.bibtex).toMatch(/^@inproceedings\{Nanda2023ProgressMF,/);
    expect(zunkovic.abstract).toBe(''); // S2 withholds some abstracts (null)
    expect(omnigrok.bibtex).toMatch(
      /^@misc\{liu2022omnigrok,\n {2}title = \{Omnigrok: Grokking Beyond Algorithmic Data\},/,
    );
    for (const p of out.papers) expect(validateBibEntry(parseBibtex(p.bibtex)[0]!)).toEqual([]);
  });

  it('finds papers for hyphenated queries (its search matches no hyphenated terms)', async () => {
    const out = await searchPapers(
      { config: cfg(only('semantic-scholar')), store },
      `grokking-like ${uniqueId('hy')}`,
    );
    expect(out.papers).toHaveLength(5);
    expect(server.requests[0]!.params.get('query')).toMatch(/^grokking like /);
  });

  it('sends the API key as x-api-key; a rejected key is a non-retryable config error', async () => {
    server.apiKey = 'k-123';
    const withKey = cfg({
      ...only('semantic-scholar'),
      semanticScholar: { ...base.literature.semanticScholar, apiKey: 'k-123' },
    });
    expect((await searchPapers({ config: withKey, store }, q('key'))).papers).toHaveLength(5);
    expect(server.requests[0]!.headers['x-api-key']).toBe('k-123');

    const wrong = cfg({
      ...only('semantic-scholar'),
      semanticScholar: { ...base.literature.semanticScholar, apiKey: 'nope' },
    });
    const err = await searchPapers({ config: wrong, store }, q('badkey')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/403.*SCIENTIST_S2_API_KEY/);
    expect(server.count('s2')).toBe(2); // one each: a 403 is not retried
  });
});

describe('OpenAlex', () => {
  it('returns normalized papers, rebuilds abstracts from the inverted index and builds BibTeX', async () => {
    const config = cfg({
      ...only('openalex'),
      openAlex: { ...base.literature.openAlex, mailto: 'lab@example.org' },
    });
    const out = await searchPapers({ config, store }, q('oa'), { limit: 3 });
    expect(out).toMatchObject({ provider: 'openalex', total: 1503, cache: 'miss' });
    const req = server.requests[0]!;
    expect(req.path).toBe('/works');
    expect(req.params.get('per-page')).toBe('3');
    expect(req.params.get('mailto')).toBe('lab@example.org');
    expect(req.params.get('select')).toContain('abstract_inverted_index');
    const [power, lecun, made] = out.papers as [Paper, Paper, Paper];
    expect(power).toMatchObject({
      paperId: 'W4226278401',
      year: 2022,
      citationCount: 301,
      venue: 'arXiv (Cornell University)',
    });
    expect(power.abstract).toBe(
      'In this paper we propose to study generalization of neural networks on small algorithmically generated datasets. ' +
        'In this setting, questions about data efficiency, memorization, generalization, and speed of learning can be studied in great detail. ' +
        'In some situations we show that neural networks learn through a process of "grokking" a pattern in the data, improving generalization ' +
        'performance from random chance level to perfect generalization, and that this improvement in generalization can happen well past the point of overfitting.',
    );
    expect(power.bibtex).toMatch(/^@misc\{power2022grokking,/); // a preprint in a repository
    expect(lecun.bibtex).toBe(
      '@article{lecun2015deep,\n  title = {Deep learning},\n  author = {Yann LeCun and Yoshua Bengio and Geoffrey E. Hinton},\n' +
        '  journal = {Nature},\n  year = {2015},\n  volume = {521},\n  number = {7553},\n  pages = {436--444},\n  doi = {10.1048/nature14539}\n}\n'.replace(
          '10.1048',
          '10.1038',
        ),
    );
    // Markup stripped, specials escaped, accented names kept in values but folded in the key.
    expect(made.title).toBe(
      'Memorization & generalization in modular arithmetic: 100% accuracy with the x_1 trick',
    );
    expect(made.citeKey).toBe('mullerostergaard2024memorization');
    expect(made.bibtex).toContain(
      'title = {Memorization \\& generalization in modular arithmetic: 100\\% accuracy with the x\\_1 trick}',
    );
    expect(made.bibtex).toContain('booktitle = {Neural Information Processing Systems}');
    expect(made.bibtex).toContain('author = {Jörg Müller-Østergaard and Ana \\{Lucía\\} Pérez}');
    // Tokens missing from the index are skipped, not printed as "undefined".
    expect(made.abstract).toBe(
      'We study #grokking on a+b mod p. Surprisingly, it generalizes after memorizing what it sees.',
    );
    for (const p of out.papers) expect(validateBibEntry(parseBibtex(p.bibtex)[0]!)).toEqual([]);
  });

  it('produces BibTeX that the real bibtex and pdflatex accept, merged from both providers', async () => {
    const s2 = await searchPapers({ config: cfg(only('semantic-scholar')), store }, q('tex-s2'));
    const oa = await searchPapers({ config: cfg(only('openalex')), store }, q('tex-oa'));
    const merged = mergeBibtex(
      '',
      [...s2.papers, ...oa.papers].map((p) => p.bibtex),
    );
    // The same Power et al. paper came from both: one entry, cited under the first key.
    expect(merged.skipped).toEqual([
      { key: 'power2022grokking', reason: 'duplicate-title', existingKey: 'Power2022GrokkingGB' },
    ]);
    expect(merged.added).toHaveLength(7);
    const dir = mkdtempSync(path.join(tmpdir(), 'ds-bib-'));
    try {
      writeFileSync(path.join(dir, 'references.bib'), merged.text);
      writeFileSync(
        path.join(dir, 'paper.tex'),
        `\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{natbib}\n\\begin{document}\n` +
          `${merged.added.map((k) => `\\citet{${k}}`).join('\n')}\n\\bibliographystyle{plainnat}\n\\bibliography{references}\n\\end{document}\n`,
      );
      const run = (cmd: string, args: string[]) =>
        spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      const tex = ['-no-shell-escape', '-interaction=nonstopmode', '-halt-on-error', 'paper.tex'];
      expect(run('pdflatex', ['-draftmode', ...tex]).status).toBe(0);
      const bib = run('bibtex', ['paper']);
      const blg = readFileSync(path.join(dir, 'paper.blg'), 'utf8');
      expect({ status: bib.status, errors: blg.match(/^.*(error|Warning--).*$/gim) ?? [] }).toEqual({
        status: 0,
        errors: [],
      });
      expect(run('pdflatex', ['-draftmode', ...tex]).status).toBe(0);
      expect(run('pdflatex', tex).status).toBe(0);
      const logText = readFileSync(path.join(dir, 'paper.log'), 'utf8');
      expect(logText).not.toMatch(/Citation .* undefined|There were undefined references/);
      expect(readFileSync(path.join(dir, 'paper.bbl'), 'utf8')).toContain('Memorization \\& generalization');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retries, rate limits and fallback', () => {
  it('honours Retry-After on a 429, then succeeds', async () => {
    server.script('s2', { ...S2_TOO_MANY, headers: { 'retry-after': '1' } });
    const started = Date.now();
    const out = await searchPapers({ config: cfg(only('semantic-scholar')), store }, q('retry-after'));
    expect(out.papers).toHaveLength(5);
    const [first, second] = server.requests;
    const gapMs = second!.at - first!.at;
    console.log(
      `Retry-After 1 s: second request ${gapMs} ms after the first; call took ${Date.now() - started} ms`,
    );
    expect(gapMs).toBeGreaterThanOrEqual(1000);
    expect(gapMs).toBeLessThan(3000); // waited the advised second, not a backoff series
  });

  it('gives up after N tries of a persistent 429 with a clear, retryable error', async () => {
    server.fail('s2', S2_TOO_MANY);
    const err = await searchPapers({ config: cfg(only('semantic-scholar')), store }, q('storm')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    const e = err as ServiceUnavailableError;
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(
      /^Semantic Scholar unavailable: gave up after 3 of 3 attempts, last rate-limited \(429\)/,
    );
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(e.details).toEqual({ provider: 'Semantic Scholar', attempts: 3, outcomes: [429, 429, 429] });
    expect(server.count('s2')).toBe(3);
    // At the activity boundary it becomes a retryable failure with the advised delay.
    const failure = toApplicationFailure(err) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'ServiceUnavailable', nonRetryable: false });
    expect(failure.nextRetryDelay).toBe(e.retryAfterMs);
  });

  it('leaves a Retry-After longer than the in-activity limit to Temporal, without waiting', async () => {
    server.fail('s2', { ...S2_TOO_MANY, headers: { 'retry-after': '120' } });
    const started = Date.now();
    const err = await searchPapers({ config: cfg(only('semantic-scholar')), store }, q('long-wait')).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as ServiceUnavailableError).retryAfterMs).toBe(120_000);
    expect(server.count('s2')).toBe(1);
    // The hold-off is process-wide: the next search skips Semantic Scholar at once and falls back.
    server.reset();
    const next = await searchPapers({ config: base, store }, q('held-off'));
    expect(next.provider).toBe('openalex');
    expect(next.fallbacks[0]).toMatch(/held off by the process-wide rate limit/);
    expect([server.count('s2'), server.count('openalex')]).toEqual([0, 1]);
    resetRateLimiters();
  });

  it('falls back to OpenAlex when Semantic Scholar keeps failing with 500', async () => {
    server.fail('s2', { status: 500, body: { message: 'Internal Server Error' } });
    const out = await searchPapers({ config: base, store, log }, q('fallback'));
    expect(out.provider).toBe('openalex');
    expect(out.papers.map((p) => p.source)).toEqual(['openalex', 'openalex', 'openalex']);
    expect(out.fallbacks).toEqual([
      expect.stringMatching(
        /^semantic-scholar: Semantic Scholar unavailable: gave up after 3 of 3 attempts, last status 500/,
      ),
    ]);
    expect([server.count('s2'), server.count('openalex')]).toEqual([3, 1]);
  });

  it('retries a hanging request after its timeout', async () => {
    server.script('s2', { status: 200, body: { total: 0, offset: 0 }, delayMs: 5000 });
    const started = Date.now();
    const out = await searchPapers(
      { config: cfg({ ...only('semantic-scholar'), requestTimeoutMs: 300 }), store },
      q('hang'),
    );
    const tookMs = Date.now() - started;
    expect(out.papers).toHaveLength(5);
    expect(server.count('s2')).toBe(2);
    expect(tookMs).toBeGreaterThanOrEqual(300);
    expect(tookMs).toBeLessThan(2000);
  });

  it('retries a 200 whose body is not JSON (a proxy page), then succeeds', async () => {
    server.script('s2', { status: 200, body: '<html>502 Bad Gateway</html>' });
    const out = await searchPapers({ config: cfg(only('semantic-scholar')), store }, q('bad-json'));
    expect(out.papers).toHaveLength(5);
    expect(server.count('s2')).toBe(2);
  });

  it('does not retry a request the API rejects (400), and falls back', async () => {
    server.script('s2', { status: 400, body: { error: 'Unacceptable query params: [limit=1000]' } });
    const out = await searchPapers({ config: base, store }, q('bad-request'));
    expect(out.provider).toBe('openalex');
    expect(out.fallbacks).toEqual([
      expect.stringMatching(/Semantic Scholar rejected the request \(400\): .*Unacceptable query params/),
    ]);
    expect([server.count('s2'), server.count('openalex')]).toEqual([1, 1]);
  });

  it('treats network errors like outages: retried, then the next provider', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = cfg({
      semanticScholar: { ...base.literature.semanticScholar, baseUrl: `http://127.0.0.1:${port}/graph/v1` },
    });
    const out = await searchPapers({ config: down, store }, q('refused'));
    expect(out.provider).toBe('openalex');
    expect(out.fallbacks[0]).toMatch(/gave up after 3 of 3 attempts.*ECONNREFUSED/);
  });

  it('fails with one retryable error naming both providers when both are down', async () => {
    server.fail('s2', {
      status: 503,
      headers: { 'retry-after': '0' },
      body: { message: 'Service Unavailable' },
    });
    server.fail('openalex', { status: 502, body: 'Bad Gateway' });
    const err = await searchPapers({ config: base, store }, q('down')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as Error).message).toMatch(
      /^every literature provider failed: Semantic Scholar unavailable: .*status 503.*; OpenAlex unavailable: .*status 502/,
    );
    expect([server.count('s2'), server.count('openalex')]).toEqual([3, 3]);
  });

  it('spaces requests by the process-wide rate limit (3 requests at 5 req/s take >= 400 ms)', async () => {
    const config = cfg({
      ...only('semantic-scholar'),
      semanticScholar: { ...base.literature.semanticScholar, requestsPerS: 5 },
    });
    const started = Date.now();
    await Promise.all(['a', 'b', 'c'].map((l) => searchPapers({ config, store }, q(`rate-${l}`))));
    const elapsedMs = Date.now() - started;
    const at = server.requests.map((r) => r.at).sort((x, y) => x - y);
    const gaps = [at[1]! - at[0]!, at[2]! - at[1]!];
    console.log(
      `rate limit 5/s: 3 concurrent searches took ${elapsedMs} ms, request gaps ${gaps.join(', ')} ms`,
    );
    expect(server.count('s2')).toBe(3);
    // The limiter spaces the sends 200 ms apart; arrival times add loopback and event-loop jitter.
    expect(elapsedMs).toBeGreaterThanOrEqual(400);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(350);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(150);
  });
});

describe('empty results', () => {
  it('returns empty, without falling back, when Semantic Scholar finds nothing', async () => {
    const out = await searchPapers({ config: base, store }, `quantum origami ${uniqueId('none')}`);
    expect(out).toMatchObject({ provider: 'semantic-scholar', total: 0, papers: [], fallbacks: [] });
    expect([server.count('s2'), server.count('openalex')]).toEqual([1, 0]);
  });

  it('asks the next provider on an empty answer when configured to', async () => {
    const out = await searchPapers(
      { config: cfg({ fallbackOnEmpty: true }), store },
      `quantum origami ${uniqueId('none2')}`,
    );
    expect(out).toMatchObject({
      provider: 'openalex',
      total: 0,
      papers: [],
      fallbacks: ['semantic-scholar: no papers'],
    });
    expect([server.count('s2'), server.count('openalex')]).toEqual([1, 1]);
  });
});

describe('cache', () => {
  it('answers a repeated query from the store without an API call', async () => {
    const query = q('cache');
    const first = await searchPapers({ config: base, store }, query);
    expect(first.cache).toBe('miss');
    expect(first.cacheKey).toBe(literatureCacheKey('semantic-scholar', query, 10));
    expect(first.cacheKey).toMatch(/^cache\/literature\/[0-9a-f]{64}$/);
    expect(await store.exists(first.cacheKey)).toBe(true);
    // Same query up to case and spacing: same entry.
    const again = await searchPapers(
      { config: base, store },
      `  ${query.toUpperCase().replace(/ /g, '   ')} `,
    );
    expect(again.cache).toBe('hit');
    expect(again.papers).toEqual(first.papers);
    expect(server.count('s2')).toBe(1);
    // Another limit is another question.
    expect((await searchPapers({ config: base, store }, query, { limit: 2 })).cache).toBe('miss');
    expect(server.count('s2')).toBe(2);
  });

  it('does not reuse entries older than the TTL, nor any when the TTL is 0', async () => {
    const query = q('ttl');
    const first = await searchPapers({ config: base, store }, query);
    await searchPapers({ config: cfg({ cacheTtlMs: 0 }), store }, query);
    expect(server.count('s2')).toBe(2);
    const entry = await store.getJson<Record<string, unknown>>(first.cacheKey);
    await store.putJson(first.cacheKey, {
      ...entry,
      fetchedAt: new Date(Date.now() - 2 * 3_600_000).toISOString(),
    });
    expect((await searchPapers({ config: cfg({ cacheTtlMs: 3_600_000 }), store }, query)).cache).toBe('miss');
    expect((await searchPapers({ config: cfg({ cacheTtlMs: 3_600_000 }), store }, query)).cache).toBe('hit');
    expect(server.count('s2')).toBe(3);
  });

  it('serves a retried search from a fallback provider cache entry without calling anyone', async () => {
    server.fail('s2', { status: 500, body: {} });
    const query = q('cached-fallback');
    expect((await searchPapers({ config: base, store }, query)).provider).toBe('openalex');
    server.reset();
    const retried = await searchPapers({ config: base, store }, query);
    expect(retried).toMatchObject({ provider: 'openalex', cache: 'hit' });
    expect(server.requests).toHaveLength(0);
  });
});

/** Runs the research activities' search in a mock activity context (attempt, cancellation, heartbeats). */
function searchInActivity(env: MockActivityEnvironment, config: Config) {
  return (query: string) =>
    env.run<[string], LiteratureAnswer, (query: string) => Promise<LiteratureAnswer>>(
      (qry) => searchOrDegrade({ config, store, log }, qry),
      query,
    );
}

describe('the search inside the novelty and citation activities', () => {
  it('is called by the novelty and citation steps, not registered as an activity of its own', () => {
    const main = createMainActivities(workersDeps(base));
    expect(typeof main.noveltyRound).toBe('function');
    expect('searchLiterature' in main).toBe(false);
  });

  it('heartbeats each provider try and gives the model the papers in the AI Scientist layout', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const search = searchInActivity(env, base);
    const query = q('activity');
    const res = await search(query);
    expect(res.unavailable).toBeUndefined();
    expect(beats).toEqual([{ provider: 'semantic-scholar', attempt: 1 }]);
    expect(res.papers).toHaveLength(5);
    const prompt = formatPapersForPrompt(res.papers);
    expect(prompt).toMatch(
      /^1: Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets\. Alethea Power, /,
    );
    expect(prompt).toContain('arXiv.org, 2022.\nNumber of citations: 512\nAbstract: In this paper');
    expect(prompt).toContain(
      '3: Grokking phase transitions in learning local rules with gradient descent. Bojan Žunkovič, E. Ilievski. Journal of machine learning research, 2022.\nNumber of citations: 23\nAbstract: (none)',
    );
    // A repeat is served by the cache: no request, no try to heartbeat.
    expect((await search(query)).papers).toHaveLength(5);
    expect(server.count('s2')).toBe(1);
    expect(beats).toHaveLength(1);
  });

  it('fails an early attempt on an outage (Temporal retries it) and degrades a late one', async () => {
    const config = cfg(only('semantic-scholar'));
    server.fail('s2', { ...S2_TOO_MANY, headers: { 'retry-after': '0' } });
    const early = new MockActivityEnvironment({ attempt: 1 }, { logger: quietLogger });
    const outage = await searchInActivity(early, config)(q('act-429')).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(ServiceUnavailableError);
    expect(toApplicationFailure(outage)).toMatchObject({ type: 'ServiceUnavailable', nonRetryable: false });
    const late = new MockActivityEnvironment({ attempt: DEGRADE_FROM_ATTEMPT }, { logger: quietLogger });
    const degraded = await searchInActivity(late, config)(q('act-429-late'));
    expect(degraded.papers).toEqual([]);
    expect(degraded.unavailable).toMatch(/429|rate|Too Many/i);
  });

  it('stops waiting out a Retry-After when the activity is cancelled, even on a late attempt', async () => {
    const config = cfg({ ...only('semantic-scholar'), maxWaitMs: 60_000 });
    for (const attempt of [1, DEGRADE_FROM_ATTEMPT]) {
      const env = new MockActivityEnvironment({ attempt }, { logger: quietLogger });
      server.script('s2', { ...S2_TOO_MANY, headers: { 'retry-after': '30' } });
      const started = Date.now();
      const running = searchInActivity(env, config)(q(`cancel-${attempt}`));
      setTimeout(() => env.cancel(), 300);
      const err = await running.catch((e: unknown) => e);
      // A cancel is not an outage: it is never turned into an empty search.
      expect(err).toBeInstanceOf(CancelledFailure);
      expect(Date.now() - started).toBeLessThan(3000);
      server.reset();
    }
  });
});
