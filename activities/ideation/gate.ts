/**
 * Ideas that are ideas: the checks an idea passes before it costs a novelty search. A weak model
 * fills the idea form with placeholders — a title of punctuation, the field names as values, a
 * one-word plan, every score at 1 — and such an idea must not become a paper while the template's
 * seed ideas are there to fall back on. Pure functions; the ideation activities apply them.
 */
import type { Idea } from './idea';

/** What the template offers an idea to be about: its hyperparameters, metrics and datasets. */
export interface TemplateVocabulary {
  /** Identifiers (e.g. `warmup_steps`, `final_val_acc`, `x_plus_y`) an idea's plan may mention. */
  terms: string[];
}

/** The idea fields the checks read: the idea form itself (the AI Scientist's names). */
export type IdeaFields = Idea;

/** The lowest score of the idea form (the schema's minimum). */
const SCORE_FLOOR = 1;
/** A plan shorter than this many words is not a sentence about an experiment. */
const MIN_PLAN_WORDS = 8;
/** The form's own field names: a model that copies them has written no idea. */
const PLACEHOLDERS = new Set([
  'name',
  'title',
  'experiment',
  'idea',
  'interestingness',
  'feasibility',
  'novelty',
  'thought',
  'description',
  'plan',
  'todo',
  'tbd',
  'none',
  'null',
  'untitled',
  'string',
]);
// Identifiers that are code, not research: keyword arguments and keys every script has.
const CODE_WORDS = new Set(
  'self args cfg config main print json true false none cpu cuda device torch numpy np os sys path file out_dir dtype exist_ok indent flush allow_pickle keepdim dim map_location weights_only generator non_blocking step steps name type data total state model results attn_mask batch_first need_weights reduction set_to_none default description python max log line'.split(
    ' ',
  ),
);
/** Abbreviations in template identifiers, as a plan written in words says them. */
const SPELLED: Record<string, string[]> = {
  acc: ['accuracy', 'acc'],
  val: ['validation', 'val'],
  lr: ['learning', 'lr'],
  wd: ['weight', 'wd'],
  dim: ['dimension', 'dim', 'width', 'size'],
  num: [],
  perm: ['permutation', 'perm'],
  eval: ['evaluation', 'eval'],
  ema: ['ema', 'average'],
  final: [],
  n: [],
};

const words = (s: string) => s.toLowerCase().match(/[a-z]+/g) ?? [];
/** Singular and plural alike: "steps" and "step" are one word here. */
const stem = (w: string) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w);

/**
 * The template's vocabulary from its experiment.py: keyword arguments of its config
 * (`warmup_steps=50`, written without spaces as Python style has it, unlike assignments), keys of
 * its result dicts (`"final_val_acc": …`), string lists that name its datasets
 * (`["x_plus_y", …]`) and its command-line options (`--out_dir`).
 */
export function templateVocabulary(code: string): TemplateVocabulary {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|[(,])\s*([a-z][a-z0-9_]{1,40})=(?!=)/gm)) found.add(m[1]!);
  for (const m of code.matchAll(/["']([a-z][a-z0-9_]{1,40})["']\s*:/g)) found.add(m[1]!);
  for (const list of code.matchAll(/\[\s*(?:["'][a-z][a-z0-9_]*["']\s*,?\s*)+\]/g))
    for (const m of list[0].matchAll(/["']([a-z][a-z0-9_]{1,40})["']/g)) found.add(m[1]!);
  for (const m of code.matchAll(/["']--([a-z][a-z0-9_]{1,40})["']/g)) found.add(m[1]!);
  const terms = [...found].filter(
    (t) => !CODE_WORDS.has(t) && words(t.replace(/_/g, ' ')).some((w) => w.length >= 2),
  );
  // In the order found: the config's keyword arguments first, the most telling examples.
  return { terms };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when `plan` mentions `term`: as written, with spaces or hyphens for underscores, or word by word. */
function mentions(plan: string, planWords: Set<string>, term: string): boolean {
  const lower = plan.toLowerCase();
  for (const form of new Set([term, term.replace(/_/g, ' '), term.replace(/_/g, '-')]))
    if (new RegExp(`(?<![a-z0-9])${escapeRe(form)}(?![a-z0-9])`).test(lower)) return true;
  const parts = term.split('_').filter(Boolean);
  if (parts.length < 2) return false;
  // Every meaningful part of the identifier, or its spelled-out word, is a word of the plan.
  const needed = parts.filter((p) => SPELLED[p]?.length !== 0 && !/^\d+$/.test(p));
  return needed.length >= 1 && needed.every((p) => (SPELLED[p] ?? [p]).some((w) => planWords.has(stem(w))));
}

/** Letters make up most of a title or name, and it has a real word that is not a form placeholder. */
function isWords(text: string, minWords: number): boolean {
  const compact = text.replace(/\s+/g, '');
  if (!compact) return false;
  const letters = compact.replace(/[^A-Za-z\u00c0-\u024f]/g, '').length;
  const real = words(text.replace(/_/g, ' ')).filter((w) => w.length >= 2 && !PLACEHOLDERS.has(w));
  return letters / compact.length >= 0.6 && real.length >= minWords;
}

/**
 * Why an idea is not one, or undefined when it is. `otherNames` are the names of the ideas
 * already there (the seeds and the ideas proposed before); names compare case-blind with
 * punctuation ignored.
 */
export function ideaProblem(
  idea: IdeaFields,
  vocabulary: TemplateVocabulary,
  otherNames: string[],
): string | undefined {
  const problems: string[] = [];
  const title = idea.Title.trim();
  const name = idea.Name.trim();
  if (!isWords(title, 2))
    problems.push(`the title ${JSON.stringify(title.slice(0, 60))} is empty or not made of words`);
  if (!isWords(name, 1))
    problems.push(`the name ${JSON.stringify(name.slice(0, 40))} is empty or not made of words`);
  const key = (n: string) => n.toLowerCase().replace(/[^a-z0-9]+/g, '');
  const twin = otherNames.find((n) => key(n) === key(name));
  if (name && twin) problems.push(`its name repeats the idea "${twin}"`);
  const plan = idea.Experiment.trim();
  const planWords = words(plan);
  if (planWords.length < MIN_PLAN_WORDS)
    problems.push(
      `its plan has ${planWords.length} word(s), less than a sentence (at least ${MIN_PLAN_WORDS})`,
    );
  else {
    const set = new Set(planWords.map(stem));
    if (vocabulary.terms.length && !vocabulary.terms.some((t) => mentions(plan, set, t)))
      problems.push(
        `its plan mentions nothing the template has (no metric, hyperparameter or dataset such as ${vocabulary.terms.slice(0, 6).join(', ')})`,
      );
  }
  if ([idea.Interestingness, idea.Feasibility, idea.Novelty].every((s) => s <= SCORE_FLOOR))
    problems.push(`every score is at the floor (${SCORE_FLOOR})`);
  return problems.length ? problems.join('; ') : undefined;
}
