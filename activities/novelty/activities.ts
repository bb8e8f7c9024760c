/**
 * The novelty check, one round per activity: the model reads the idea and the results of its
 * last literature query, then either asks a new query or decides. The query runs in the same
 * activity (results are cached in the store, so a retry costs no API call); the rounds so far
 * are kept in the store, and history carries only the key. The words are in ./prompts.ts.
 */
import { z } from 'zod';
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import type { MainPorts } from '../../contracts';
import type { Ask } from '../research/ask';
import { searchOrDegrade } from '../research/literature';
import { noveltyRoundPrompt, searchResultsText } from './prompts';

const Decision = z.object({
  thought: z.string().max(600),
  decision: z.enum(['novel', 'not-novel', 'search']),
  query: z.string().max(200).optional(),
});

interface Round {
  round: number;
  thought: string;
  query?: string;
  results?: string;
}

export interface NoveltyDeps {
  config: Config;
  store: ArtifactStore;
  ask: Ask;
  log?: Logger;
}

export function createNoveltyActivities(deps: NoveltyDeps): Pick<MainPorts, 'noveltyRound'> {
  const { store, ask } = deps;
  return {
    async noveltyRound({ campaignId, idea, round, maxRounds, historyKey }) {
      return classified(async () => {
        const full = await store.getJson<Record<string, unknown>>(idea.key);
        const history = historyKey ? await store.getJson<Round[]>(historyKey) : [];
        const last = history.at(-1);
        const transcriptKey = keys.campaign(campaignId, 'novelty', idea.name, `round-${round}.json`);
        const saveHistory = async (rounds: Round[]) =>
          (
            await store.putJson(
              keys.campaign(campaignId, 'novelty', idea.name, `history-${round}.json`),
              rounds,
            )
          ).key;
        const res = await ask({
          role: 'novelty',
          transcriptKey,
          schema: Decision,
          ...noveltyRoundPrompt({ idea: full, last, round, maxRounds }),
        });
        const spend = res.spend;
        // An unreadable answer counts as a round that learned nothing (and is paid for).
        const answer: z.infer<typeof Decision> = res.ok
          ? res.parsed
          : {
              thought: 'unreadable answer',
              decision: 'search',
              query: last?.query ?? full.Title?.toString() ?? idea.title,
            };
        if (answer.decision !== 'search') {
          return {
            decision: answer.decision,
            historyKey: await saveHistory([...history, { round, thought: answer.thought }]),
            spend,
            transcriptKey,
          };
        }
        const query = (answer.query ?? idea.title).slice(0, 300);
        // With the literature down for good (or no network), the model is told so and decides
        // from what it knows, rather than the campaign failing.
        const found = await searchOrDegrade(deps, query);
        const results = searchResultsText(found);
        const rounds = [...history, { round, thought: answer.thought, query, results }];
        return { decision: 'undecided', query, historyKey: await saveHistory(rounds), spend, transcriptKey };
      });
    },
  };
}
