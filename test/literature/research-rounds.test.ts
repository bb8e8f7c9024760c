/**
 * The research activities that search the literature — a citation round of the write-up and a
 * novelty round — against the local Semantic Scholar/OpenAlex server and the real store, with
 * the scripted model, run as a worker runs them (attempt numbers, in a mock activity context):
 * BibTeX inserted by code, and what a literature outage does (the attempt fails while Temporal
 * still retries; then the paper or campaign goes on without the literature).
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createAsk } from '../../activities/llm';
import { parseBibtex, resetRateLimiters } from '../../activities/literature';
import { createNoveltyActivities } from '../../activities/novelty';
import { DEGRADE_FROM_ATTEMPT } from '../../activities/research/literature';
import { createWriteupActivities, emptyDraft, type Draft } from '../../activities/writeup';
import type { Config } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { keys } from '../../lib/store';
import type { MainPorts } from '../../contracts';
import { suiteConfig, suiteStore, uniqueId } from '../harness';
import { recordingLogger } from '../llm/helpers';
import { ScriptedProvider, type ScriptEntry } from '../llm/scripted-provider';
import { FakeScholarServer } from './fake-scholar-server';

const server = new FakeScholarServer();
let config: Config;
let store: ReturnType<typeof suiteStore>;
const log = createLogger('research-rounds-test', 'error');
const quiet = { logger: new DefaultLogger('ERROR', () => undefined) };
const OUTAGE = { status: 503, body: { message: 'down' } };

beforeAll(async () => {
  await server.start();
  config = suiteConfig('research-rounds', {
    SCIENTIST_S2_BASE_URL: server.s2BaseUrl,
    SCIENTIST_OPENALEX_BASE_URL: server.openAlexBaseUrl,
    SCIENTIST_S2_REQUESTS_PER_S: '50',
    SCIENTIST_OPENALEX_REQUESTS_PER_S: '50',
    SCIENTIST_LITERATURE_MAX_ATTEMPTS: '2',
    SCIENTIST_LITERATURE_BACKOFF_MS: '20',
    SCIENTIST_LITERATURE_TIMEOUT_S: '5',
  });
  store = suiteStore(config);
});
afterEach(() => {
  server.reset();
  resetRateLimiters();
});
afterAll(() => server.close());

function activities(script: ScriptEntry[]) {
  const scripted = new ScriptedProvider(script);
  const ask = createAsk({ config, log: recordingLogger(), store, llmProvider: scripted });
  return {
    scripted,
    writeup: createWriteupActivities({ config, store, ask, log }),
    novelty: createNoveltyActivities({ config, store, ask, log }),
  };
}

/** Runs an activity as attempt `attempt` of a worker would (Context, cancellation, heartbeats). */
function attemptOf<I, O>(attempt: number, fn: (input: I) => Promise<O>, input: I): Promise<O> {
  return new MockActivityEnvironment({ attempt }, quiet).run<[I], O, (input: I) => Promise<O>>(fn, input);
}

async function draftWith(references: string): Promise<string> {
  const draft: Draft = {
    ...emptyDraft(references),
    title: 'Weight decay and grokking',
    sections: { introduction: 'Grokking is delayed generalization.' },
  };
  return (await store.putJson(`test-drafts/${uniqueId('draft')}.json`, draft)).key;
}

type CitationInput = Parameters<MainPorts['citationRound']>[0];
type NoveltyInput = Parameters<MainPorts['noveltyRound']>[0];

describe('citation round', () => {
  it('adds the BibTeX of the papers the model picks by number, by code, and cites existing entries by their key', async () => {
    const query = `grokking weight decay ${uniqueId('cite')}`;
    const { writeup, scripted } = activities([
      { step: /citations\/round-1\.json$/, reply: { done: false, query, description: 'the introduction' } },
      {
        step: /citations\/round-1-pick\.json$/,
        reply: { selected: [1, 2, 9], description: 'Earlier studies of grokking.' },
      },
    ]);
    // The template already cites Power et al. under its own key.
    const template =
      '@article{power2022grokking,\n  title = {Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets},\n  year = {2022}\n}\n';
    const input: CitationInput = {
      paperId: uniqueId('paper'),
      round: 1,
      draftKey: await draftWith(template),
    };
    const out = await attemptOf(1, writeup.citationRound, input);
    expect(out).toMatchObject({ done: false, added: 1 });
    const draft = await store.getJson<Draft>(out.draftKey);
    expect(draft.references.startsWith(template)).toBe(true);
    expect(parseBibtex(draft.references).map((e) => e.key)).toEqual([
      'power2022grokking',
      'Nanda2023ProgressMF',
    ]);
    expect(draft.citations).toEqual([
      { key: 'power2022grokking', description: 'Earlier studies of grokking.' },
      { key: 'Nanda2023ProgressMF', description: 'Earlier studies of grokking.' },
    ]);
    expect(server.count('s2')).toBe(1);
    // A retried attempt reuses both transcripts and the cached search: the same draft, no new calls.
    const again = await attemptOf(2, writeup.citationRound, input);
    expect(await store.getJson<Draft>(again.draftKey)).toEqual(draft);
    expect(scripted.calls).toHaveLength(2);
    expect(server.count('s2')).toBe(1);
  });

  it('fails the attempt on a literature outage while Temporal retries, then ends the citations', async () => {
    server.fail('s2', OUTAGE);
    server.fail('openalex', OUTAGE);
    const { writeup, scripted } = activities([
      {
        step: /citations\/round-1\.json$/,
        reply: { done: false, query: `grokking ${uniqueId('down')}`, description: 'intro' },
      },
    ]);
    const input: CitationInput = { paperId: uniqueId('paper'), round: 1, draftKey: await draftWith('') };
    const first = await attemptOf(1, writeup.citationRound, input).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ApplicationFailure);
    expect(first).toMatchObject({ type: 'ServiceUnavailable', nonRetryable: false });
    const triedFirst = server.count('s2');
    expect(triedFirst).toBeGreaterThan(0);
    // Still down by the attempt that degrades: the paper goes on with its draft as it was.
    const last = await attemptOf(DEGRADE_FROM_ATTEMPT, writeup.citationRound, input);
    expect(server.count('s2')).toBeGreaterThan(triedFirst);
    expect(last).toMatchObject({ draftKey: input.draftKey, done: true, added: 0 });
    expect(last.spend.calls).toBe(1);
    // The model was asked once: the retry reused its answer.
    expect(scripted.calls).toHaveLength(1);
  });
});

describe('novelty round', () => {
  it('tells the model when the literature stays unavailable, instead of failing the campaign', async () => {
    server.fail('s2', OUTAGE);
    server.fail('openalex', OUTAGE);
    const campaignId = uniqueId('campaign');
    const ideaKey = (
      await store.putJson(keys.campaign(campaignId, 'ideas', 'idea-1', 'idea.json'), {
        Name: 'wd_grokking',
        Title: 'Weight decay and grokking',
        Experiment: 'Sweep weight decay.',
      })
    ).key;
    const { novelty } = activities([
      {
        step: /novelty\/wd_grokking\/round-1\.json$/,
        reply: { thought: 'I must search first.', decision: 'search', query: `grokking ${uniqueId('nov')}` },
      },
    ]);
    const input: NoveltyInput = {
      campaignId,
      idea: {
        name: 'wd_grokking',
        title: 'Weight decay and grokking',
        key: ideaKey,
        interestingness: 5,
        feasibility: 5,
        novelty: 5,
      },
      round: 1,
      maxRounds: 3,
    };
    const first = await attemptOf(1, novelty.noveltyRound, input).catch((e: unknown) => e);
    expect(first).toMatchObject({ type: 'ServiceUnavailable', nonRetryable: false });
    const out = await attemptOf(DEGRADE_FROM_ATTEMPT, novelty.noveltyRound, input);
    expect(out.decision).toBe('undecided');
    const rounds = await store.getJson<{ results?: string }[]>(out.historyKey);
    expect(rounds.at(-1)!.results).toMatch(
      /^The literature search is unavailable \(.+\)\. Decide from what you know\.$/,
    );
  });
});
