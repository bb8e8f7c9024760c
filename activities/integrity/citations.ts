/**
 * Citations that exist and say what they are cited for. Every bibliography entry the paper cites
 * is resolved again by code against the literature providers (title similarity, year, authors);
 * an entry the providers answered for and do not hold is removed, with its keys from every
 * \cite, before the final compile. Each sentence with a \cite of a resolved paper is then put
 * to the review-role model with that paper's abstract (supported / unsupported / unclear); an
 * unsupported citation is removed from its sentence. Plain functions; the activity is in ./index.ts.
 */
import { z } from 'zod';
import {
  asciiFold,
  field,
  parseBibtex,
  stripMarkup,
  titleFingerprint,
  type BibEntry,
  type Paper,
} from '../literature';
import { proseOf } from '../latex/plain';

/** How close two titles' words must be (Dice coefficient over word sets) to be the same paper. */
export const TITLE_SIMILARITY = 0.85;
/** Sentences put to the model at most (one structured ask holds them all). */
export const SENTENCES_CHECKED = 12;

export { citationPrompt } from './prompts';

const CITE = /\\[A-Za-z]*cite[a-zA-Z]*\*?\s*(?:\[[^\]]*\]\s*){0,2}\{([^}]*)\}/g;

/** The keys the document's \cite commands name (its body only). */
export function citedKeys(tex: string): Set<string> {
  const out = new Set<string>();
  for (const m of bodyOf(tex).text.matchAll(CITE))
    for (const k of m[1]!.split(',')) if (k.trim()) out.add(k.trim());
  return out;
}

/** The document body's span: after \begin{document}, before the bibliography. */
function bodyOf(tex: string): { text: string; from: number } {
  const begin = tex.indexOf('\\begin{document}');
  const from = begin < 0 ? 0 : begin + '\\begin{document}'.length;
  const ends = [tex.indexOf('\\bibliography{', from), tex.indexOf('\\end{document}', from)].filter(
    (i) => i >= 0,
  );
  const to = ends.length ? Math.min(...ends) : tex.length;
  return { text: tex.slice(from, to), from };
}

const words = (title: string) =>
  new Set(
    asciiFold(stripMarkup(title))
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean),
  );

/** Dice coefficient of two titles' word sets (1: the same words). */
export function titleSimilarity(a: string, b: string): number {
  if (titleFingerprint(a) === titleFingerprint(b)) return 1;
  const x = words(a);
  const y = words(b);
  if (!x.size || !y.size) return 0;
  let both = 0;
  for (const w of x) if (y.has(w)) both++;
  return (2 * both) / (x.size + y.size);
}

const surnames = (names: string[]) =>
  names.map((n) => {
    const folded = asciiFold(stripMarkup(n)).toLowerCase().trim();
    // BibTeX "Power, Alethea" or "Alethea Power".
    return (folded.includes(',') ? folded.split(',')[0]! : folded.split(/\s+/).pop()!).replace(
      /[^a-z-]/g,
      '',
    );
  });

/** Why `paper` is not the entry's paper, or undefined when it is (title, then year ±1, then a shared author surname). */
export function mismatch(entry: BibEntry, paper: Paper): string | undefined {
  const title = field(entry, 'title') ?? '';
  const sim = titleSimilarity(title, paper.title);
  if (sim < TITLE_SIMILARITY) return `title similarity ${sim.toFixed(2)}`;
  const year = Number(field(entry, 'year'));
  if (Number.isFinite(year) && year > 0 && paper.year && Math.abs(paper.year - year) > 1)
    return `year ${year} against ${paper.year}`;
  const authors = (field(entry, 'author') ?? '').split(/\s+and\s+/i).filter(Boolean);
  if (authors.length && paper.authors.length) {
    const theirs = new Set(surnames(paper.authors));
    if (!surnames(authors).some((s) => s && theirs.has(s))) return 'no author in common';
  }
  return undefined;
}

/** The best match for an entry among a search's papers, or why there is none. */
export function resolveEntry(entry: BibEntry, papers: Paper[]): { paper: Paper } | { why: string } {
  const ranked = papers
    .map((p) => ({ p, sim: titleSimilarity(field(entry, 'title') ?? '', p.title) }))
    .sort((a, b) => b.sim - a.sim);
  for (const { p } of ranked) if (!mismatch(entry, p)) return { paper: p };
  const best = ranked[0];
  return {
    why: best
      ? `no search result matches (closest: "${best.p.title.slice(0, 80)}", ${mismatch(entry, best.p)})`
      : 'the literature search found nothing for its title',
  };
}

/** `tex` with the given keys taken out of every \cite; a \cite left with none is removed whole. */
export function stripCites(tex: string, remove: ReadonlySet<string>): string {
  if (!remove.size) return tex;
  return tex.replace(
    new RegExp(`(~|\\s)?${CITE.source}`, 'g'),
    (whole, space: string | undefined, list: string) => {
      const keys = list.split(',').map((k) => k.trim());
      const kept = keys.filter((k) => k && !remove.has(k));
      if (kept.length === keys.filter(Boolean).length) return whole;
      if (!kept.length) return '';
      return whole.replace(`{${list}}`, `{${kept.join(',')}}`);
    },
  );
}

/** One cited paper in one sentence: what the model is asked about. */
export interface CitingSentence {
  id: number;
  key: string;
  /** The sentence as prose (markup and citations taken out). */
  sentence: string;
  /** Offsets of the \cite command in the document. */
  at: number;
  end: number;
}

/** Each (sentence, cited key) pair of the document's body, in order. */
export function citingSentences(tex: string, keys: ReadonlySet<string>): CitingSentence[] {
  const { text, from } = bodyOf(tex);
  const out: CitingSentence[] = [];
  for (const m of text.matchAll(CITE)) {
    const at = m.index;
    const start = Math.max(text.lastIndexOf('. ', at) + 2, text.lastIndexOf('\n\n', at) + 2, 0);
    const stops = [text.indexOf('. ', at + m[0].length), text.indexOf('\n\n', at + m[0].length)].filter(
      (i) => i >= 0,
    );
    const stop = stops.length ? Math.min(...stops) + 1 : text.length;
    const sentence = proseOf(text.slice(start, stop)).replace(/\s+/g, ' ').trim();
    for (const key of m[1]!.split(',').map((k) => k.trim()))
      if (keys.has(key))
        out.push({ id: out.length + 1, key, sentence, at: from + at, end: from + at + m[0].length });
  }
  return out;
}

/** `tex` with the given keys removed from the \cite commands at the given offsets. */
export function removeCitesAt(tex: string, cuts: { at: number; end: number; key: string }[]): string {
  let out = tex;
  const byCommand = new Map<number, { end: number; keys: Set<string> }>();
  for (const c of cuts) {
    const e = byCommand.get(c.at) ?? { end: c.end, keys: new Set<string>() };
    e.keys.add(c.key);
    byCommand.set(c.at, e);
  }
  for (const [at, { end, keys }] of [...byCommand].sort((a, b) => b[0] - a[0])) {
    // A space or tie before a command removed whole goes with it.
    const lead = at > 0 && /[~ ]/.test(out[at - 1]!) ? 1 : 0;
    const replaced = stripCites(out.slice(at - lead, end), keys);
    out = out.slice(0, at - lead) + replaced + out.slice(end);
  }
  return out;
}

/** The entries of a references.bib text without the given keys (each entry cut out whole). */
export function withoutEntries(references: string, remove: ReadonlySet<string>): string {
  if (!remove.size) return references;
  let out = references;
  for (const key of remove) {
    const head = new RegExp(`@\\s*\\w+\\s*\\{\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*,`).exec(
      out,
    );
    if (!head) continue;
    let depth = 0;
    let i = out.indexOf('{', head.index);
    for (; i < out.length; i++) {
      if (out[i] === '{') depth++;
      else if (out[i] === '}' && --depth === 0) break;
    }
    out = out.slice(0, head.index) + out.slice(i + 1).replace(/^\s*\n/, '\n');
  }
  return out;
}

export const parseEntries = (references: string): BibEntry[] => parseBibtex(references);

export type SupportVerdict = 'supported' | 'unsupported' | 'unclear';

export const CitationVerdictsSchema = z.object({
  verdicts: z
    .array(
      z.object({
        id: z.number().int(),
        verdict: z.enum(['supported', 'unsupported', 'unclear']),
        reason: z.string().max(300).optional(),
      }),
    )
    .max(SENTENCES_CHECKED),
});
export type CitationVerdicts = z.infer<typeof CitationVerdictsSchema>;

/** What the check found, as integrity.json and the report page show it. */
export interface CitationReport {
  /** Entries the document cites. */
  cited: number;
  resolved: { key: string; paperId: string; title: string; source: string }[];
  /** Entries removed (and their \cite keys): the providers answered and hold no such paper. */
  removed: { key: string; title: string; why: string }[];
  /** Entries not checked: the literature could not be reached. */
  unverified: { key: string; why: string }[];
  sentences: {
    id: number;
    key: string;
    sentence: string;
    verdict: SupportVerdict;
    reason?: string;
    /** The citation was taken out of the sentence. */
    removed: boolean;
  }[];
  /** Why the sentences were not all put to the model (too many, no abstract, an unusable answer). */
  notes: string[];
}

/** One line for the report page and the stage's status. */
export function citationStatus(r: CitationReport): string {
  const by = (v: SupportVerdict) => r.sentences.filter((s) => s.verdict === v).length;
  return [
    `${r.resolved.length} of ${r.cited} cited entries resolved against the literature`,
    r.removed.length ? `${r.removed.length} removed (${r.removed.map((x) => x.key).join(', ')})` : '',
    r.unverified.length ? `${r.unverified.length} not checked (literature unreachable)` : '',
    r.sentences.length
      ? `${r.sentences.length} citing sentence(s) checked against the cited abstracts: ${by('supported')} supported, ${by('unsupported')} unsupported (citation removed), ${by('unclear')} unclear`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
}
