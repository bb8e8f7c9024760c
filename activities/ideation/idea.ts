/**
 * The idea form and the template text ideas are made from: the schema (the AI Scientist's field
 * names), the name code gives an idea, and what a template's prompt.json, seed_ideas.json and
 * experiment.py say.
 */
import { z } from 'zod';
import { type ArtifactStore } from '../../lib/store';
import type { IdeaSummary } from '../../contracts';
import { loadWorkspace } from '../workspace';

/** An idea as the AI Scientist writes it (its field names, so seed_ideas.json files work as they are). */
export const Idea = z.object({
  /** Normalized by code to lowercase_with_underscores (ideaName): small models ignore patterns. */
  Name: z.string().min(1).max(80),
  Title: z.string().min(5).max(200),
  Experiment: z.string().min(10).max(1200),
  Interestingness: z.number().int().min(1).max(10),
  Feasibility: z.number().int().min(1).max(10),
  Novelty: z.number().int().min(1).max(10),
});
export type Idea = z.infer<typeof Idea>;

/** A name safe for workflow ids and keys: lowercase, digits, underscores, at most 40 characters. */
export function ideaName(raw: string, fallback: string): string {
  const slug = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40)
    .replace(/_+$/, '');
  return slug.length >= 2 ? slug : fallback;
}

// Strings are bounded: the local model's grammar enforces maxLength, so it cannot ramble past it.
export const Reflection = z.object({ thought: z.string().max(600), idea: Idea, done: z.boolean() });

export interface TemplateText {
  system: string;
  taskDescription: string;
  code: string;
  seeds: Idea[];
}

export async function templateText(store: ArtifactStore, templateKey: string): Promise<TemplateText> {
  const files = await loadWorkspace(store, templateKey, (p) =>
    ['prompt.json', 'seed_ideas.json', 'experiment.py'].includes(p),
  );
  const prompt = JSON.parse(files['prompt.json']?.toString() ?? '{}') as {
    system?: string;
    task_description?: string;
  };
  const seeds = z
    .array(Idea.partial({ Interestingness: true, Feasibility: true, Novelty: true }))
    .safeParse(JSON.parse(files['seed_ideas.json']?.toString() ?? '[]'));
  return {
    system: prompt.system ?? 'You are an ambitious AI researcher.',
    taskDescription: prompt.task_description ?? '',
    code: files['experiment.py']?.toString() ?? '',
    seeds: seeds.success
      ? seeds.data.map((s) => ({ Interestingness: 5, Feasibility: 5, Novelty: 5, ...s }))
      : [],
  };
}

export function summarize(idea: Idea, key: string): IdeaSummary {
  return {
    name: idea.Name,
    title: idea.Title,
    key,
    interestingness: idea.Interestingness,
    feasibility: idea.Feasibility,
    novelty: idea.Novelty,
  };
}
