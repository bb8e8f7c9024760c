/**
 * Near-duplicate detection for ideas: lexical, by design. Word-set overlap (Jaccard over
 * stemmed content words of name, title and experiment plan) needs no embedding model, is
 * deterministic, explains itself ("shares 70% of its words with X"), and catches what actually
 * happens in practice — a model proposing the same idea again under a slightly different title.
 * Paraphrases with no words in common slip through; the novelty check against the literature and
 * the reviewers catch those later.
 */

const STOP = new Set(
  'a an and are as at be by for from has in into is it its of on or our that the their this to we with using use via how does do can what which while whether when study effect effects impact'.split(
    ' ',
  ),
);

/** Crude stemming: enough to make "learning rates" and "learning rate" the same words. */
function stem(w: string): string {
  return w.replace(/(ing|ed|es|s)$/, '');
}

export function contentWords(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .replace(/[_-]/g, ' ')
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 2 && !STOP.has(w))
      .map(stem),
  );
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const w of a) if (b.has(w)) inter++;
  return inter / (a.size + b.size - inter);
}

export interface IdeaText {
  name: string;
  title: string;
  experiment: string;
}

const ideaWords = (i: IdeaText) => contentWords(`${i.name} ${i.title} ${i.experiment}`);

/** The most similar earlier idea and the similarity (0..1); `undefined` when the archive is empty. */
export function mostSimilar(
  idea: IdeaText,
  archive: IdeaText[],
): { name: string; similarity: number } | undefined {
  const words = ideaWords(idea);
  let best: { name: string; similarity: number } | undefined;
  for (const other of archive) {
    const sim = other.name === idea.name ? 1 : jaccard(words, ideaWords(other));
    if (!best || sim > best.similarity) best = { name: other.name, similarity: sim };
  }
  return best;
}
