/**
 * Ideation activities: load a template, generate an idea (rejected when it is no idea: see
 * gate.ts), reflect on it, archive it unless it near-duplicates an earlier one. One model call
 * per activity (its words in ./prompts.ts); everything large in the store.
 */
import path from 'node:path';
import { classified, InvalidInputError } from '../../lib/errors';
import { PROJECT_ROOT } from '../../lib/paths';
import { keys, type ArtifactStore } from '../../lib/store';
import type { IdeaSummary, MainPorts } from '../../contracts';
import type { Ask } from '../research/ask';
import type { TemplateInfo } from '../experiments/template';
import { gpuNeedOf } from '../experiments/template-manifest';
import { storeTemplate, validateStoredTemplate } from '../experiments/template-source';
import { ideaProblem, templateVocabulary } from './gate';
import { Idea, ideaName, Reflection, summarize, templateText } from './idea';
import { generateIdeaPrompt, reflectIdeaPrompt } from './prompts';
import { mostSimilar } from './similarity';

export interface IdeationDeps {
  store: ArtifactStore;
  ask: Ask;
  /** Where templates live; default the project's templates/ folder. */
  templatesDir?: string;
  /** Similarity (0..1) at or above which an idea is a near-duplicate. */
  duplicateThreshold?: number;
}

export function createIdeationActivities(deps: IdeationDeps) {
  const { store, ask } = deps;
  const templatesDir = deps.templatesDir ?? path.join(PROJECT_ROOT, 'templates');
  const threshold = deps.duplicateThreshold ?? 0.6;

  const activities: Pick<
    MainPorts,
    'loadTemplate' | 'generateIdea' | 'reflectIdea' | 'archiveIdea' | 'seedIdeas'
  > = {
    async seedIdeas({ campaignId, templateKey }) {
      return classified(async () => {
        const { seeds } = await templateText(store, templateKey);
        const out: IdeaSummary[] = [];
        for (const [i, seed] of seeds.entries()) {
          const idea = { ...seed, Name: ideaName(seed.Name, `seed_${i + 1}`) };
          out.push(
            summarize(
              idea,
              (await store.putJson(keys.campaign(campaignId, 'ideas', `seed-${i + 1}`, 'idea.json'), idea))
                .key,
            ),
          );
        }
        return out;
      });
    },

    async loadTemplate({ campaignId, template, templateKey: stored }) {
      return classified(async () => {
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(template))
          throw new InvalidInputError(`bad template name: ${template}`);
        // The CLI stores a template named by path itself (the worker cannot see the user's disk);
        // a template named by name is read from templates/ here. Either way a malformed one
        // fails here, once, with every problem listed (non-retryable).
        let templateKey: string;
        let info: TemplateInfo;
        if (stored) {
          if (!(await store.exists(stored)))
            throw new InvalidInputError(`template "${template}" is not in the store at ${stored}`);
          templateKey = stored;
          info = await validateStoredTemplate(store, stored, template);
        } else {
          const saved = await storeTemplate(store, path.join(templatesDir, template));
          templateKey = saved.templateKey;
          info = saved.info;
        }
        const { warnings } = info;
        // A template that needs a GPU: the campaign sends its runs where one is (contracts/gpu-routing.ts).
        const gpu = gpuNeedOf(info.manifest);
        const { seeds } = await templateText(store, templateKey);
        // The archive starts with the seed ideas: new ideas must differ from them too.
        const archiveKey = (
          await store.putContent(keys.campaign(campaignId, 'archive'), JSON.stringify(seeds))
        ).key;
        return {
          templateKey,
          seedIdeas: seeds.length,
          archiveKey,
          ...(warnings.length ? { warnings } : {}),
          ...(gpu ? { gpu } : {}),
        };
      });
    },

    async generateIdea({ campaignId, templateKey, index, archiveKey, steering }) {
      return classified(async () => {
        const t = await templateText(store, templateKey);
        const archive = await store.getJson<Idea[]>(archiveKey);
        const transcriptKey = keys.campaign(campaignId, 'ideas', `idea-${index}`, 'generate.json');
        const res = await ask({
          role: 'ideation',
          transcriptKey,
          schema: Idea,
          ...generateIdeaPrompt({ ...t, archive, steering }),
        });
        // A weak model's broken JSON costs this idea (and what its replies were billed), not the campaign.
        if (!res.ok)
          return { idea: null, problem: res.problem.slice(0, 300), spend: res.spend, transcriptKey };
        // An idea that is no idea (placeholders, a repeated name, a plan about nothing the template
        // has, every score at the floor) stops here, before it costs a novelty search.
        const rejected = ideaProblem(
          res.parsed,
          templateVocabulary(t.code),
          archive.map((i) => i.Name),
        );
        if (rejected) {
          await store.putJson(keys.campaign(campaignId, 'ideas', `idea-${index}`, 'rejected.json'), {
            idea: res.parsed,
            reason: rejected,
          });
          return { idea: null, problem: `rejected: ${rejected}`, spend: res.spend, transcriptKey };
        }
        const idea = { ...res.parsed, Name: ideaName(res.parsed.Name, `idea_${index}`) };
        const key = (
          await store.putJson(keys.campaign(campaignId, 'ideas', `idea-${index}`, 'idea.json'), idea)
        ).key;
        return { idea: summarize(idea, key), spend: res.spend, transcriptKey };
      });
    },

    async reflectIdea({ campaignId, templateKey, index, round, idea, steering }) {
      return classified(async () => {
        const t = await templateText(store, templateKey);
        const current = await store.getJson<Idea>(idea.key);
        const transcriptKey = keys.campaign(campaignId, 'ideas', `idea-${index}`, `reflect-${round}.json`);
        const res = await ask({
          role: 'ideation',
          transcriptKey,
          schema: Reflection,
          ...reflectIdeaPrompt({ ...t, current, round, steering }),
        });
        // Unreadable: keep the idea as it was and stop reflecting on it.
        if (!res.ok) return { idea, done: true, spend: res.spend, transcriptKey };
        const revised = { ...res.parsed, idea: { ...res.parsed.idea, Name: current.Name } };
        // A revision that made it no idea is not taken: the idea stays as it was.
        if (ideaProblem(revised.idea, templateVocabulary(t.code), []))
          return { idea, done: true, spend: res.spend, transcriptKey };
        const key = (
          await store.putJson(
            keys.campaign(campaignId, 'ideas', `idea-${index}`, `idea-r${round}.json`),
            revised.idea,
          )
        ).key;
        return { idea: summarize(revised.idea, key), done: revised.done, spend: res.spend, transcriptKey };
      });
    },

    async archiveIdea({ campaignId, archiveKey, idea }) {
      return classified(async () => {
        const full = await store.getJson<Idea>(idea.key);
        const archive = await store.getJson<Idea[]>(archiveKey);
        const similar = mostSimilar(
          { name: full.Name, title: full.Title, experiment: full.Experiment },
          archive.map((a) => ({ name: a.Name, title: a.Title, experiment: a.Experiment })),
        );
        const duplicate = similar && similar.similarity >= threshold ? similar.name : undefined;
        const next = duplicate ? archive : [...archive, full];
        // Content-addressed: a retried archive step yields the same key.
        const key = (await store.putContent(keys.campaign(campaignId, 'archive'), JSON.stringify(next))).key;
        return { archiveKey: key, duplicateOf: duplicate, similarity: similar?.similarity ?? 0 };
      });
    },
  };
  return activities;
}
