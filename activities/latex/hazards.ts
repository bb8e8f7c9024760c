/**
 * What a model's edit of a whole document must not add: a file read, a definition, an unclosed
 * environment or unbalanced braces or math — each can stop the build or reach outside the paper.
 * The LaTeX fix, the revision and the claim fix refuse an edit that adds one.
 */
import { GENERATED_INPUTS } from '../writeup/assemble';
import { checkSection } from './precheck';

/** The kinds of finding a fix must not add: each can stop the build or reach outside the paper. */
const HAZARDS = new Set([
  'forbidden-command',
  'forbidden-environment',
  'unbalanced-braces',
  'unbalanced-environment',
  'unbalanced-math',
  'path-outside-paper',
]);

/** Hazards `after` has more of than `before` (whole documents, preamble included, so compared by count). */
export function addedHazards(before: string, after: string): string[] {
  const ctx = {
    citeKeys: new Set<string>(),
    labels: new Set<string>(),
    figures: new Set<string>(),
    inputs: new Set<string>(GENERATED_INPUTS),
    maxChars: Infinity,
    listAll: true,
  };
  const count = (tex: string) => {
    const by = new Map<string, string[]>();
    for (const f of checkSection('template.tex', tex, ctx))
      if (HAZARDS.has(f.kind)) by.set(f.kind, [...(by.get(f.kind) ?? []), f.message]);
    return by;
  };
  const was = count(before);
  const out: string[] = [];
  for (const [kind, messages] of count(after)) {
    const old = was.get(kind) ?? [];
    if (messages.length > old.length) out.push(messages.find((m) => !old.includes(m)) ?? `${kind}`);
  }
  return out;
}
