/**
 * BibTeX by code, never typed by the model: parse, normalize, key, escape, dedupe and merge
 * entries into a paper's references.bib. The model only ever picks papers by number; the
 * entries it cites come from here.
 */
import { InvalidInputError } from '../../lib/errors';

export interface BibEntry {
  /** Lower-case entry type: article, inproceedings, misc, … */
  type: string;
  key: string;
  /** Field names lower-case, in source order; values without their outer braces or quotes. */
  fields: [string, string][];
}

// Characters a citation key may hold: bibtex and natbib choke on spaces, commas, braces, '#', '%'.
const KEY_CHAR = /[^A-Za-z0-9_:.-]/g;
const TITLE_STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'on',
  'of',
  'in',
  'for',
  'to',
  'and',
  'with',
  'towards',
  'toward',
  'via',
  'is',
  'are',
  'do',
  'does',
  'what',
  'how',
  'why',
  'when',
]);
/** Fields whose values are verbatim (URLs, DOIs): never LaTeX-escaped. */
const VERBATIM_FIELDS = new Set(['url', 'doi', 'eprint', 'file', 'howpublished-url']);

/** Folds accents and drops everything a citation key cannot hold. */
export function asciiFold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[æÆ]/g, 'ae')
    .replace(/[øØ]/g, 'o')
    .replace(/[łŁ]/g, 'l');
}

/** A key safe for bibtex/natbib: ASCII letters, digits and `_:.-`, starting with a letter. */
export function sanitizeCiteKey(key: string): string {
  const cleaned = asciiFold(key).replace(KEY_CHAR, '');
  if (!cleaned) return 'ref';
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `ref${cleaned}`;
}

/**
 * `lastnameYEARfirstword` (e.g. `power2022grokking`): readable, stable for the same metadata,
 * and what a human would type. Missing parts degrade to `anon` / `nd` / `paper`.
 */
export function makeCiteKey(authors: string[], year: number | null | undefined, title: string): string {
  const first = authors[0]?.trim() ?? '';
  // "Last, First" or "First Middle Last".
  const last = first.includes(',') ? first.split(',')[0]! : (first.split(/\s+/).pop() ?? '');
  const lastPart =
    asciiFold(last)
      .toLowerCase()
      .replace(/[^a-z]/g, '') || 'anon';
  const words = asciiFold(stripMarkup(title))
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const word = words.find((w) => !TITLE_STOPWORDS.has(w)) ?? words[0] ?? 'paper';
  return `${lastPart}${year ?? 'nd'}${word}`;
}

/** `base`, or `base` + a, b, …, z, aa, … — the first one not in `taken` (compared case-insensitively). */
export function uniqueCiteKey(base: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map((k) => k.toLowerCase()));
  if (!used.has(base.toLowerCase())) return base;
  for (let i = 0; ; i++) {
    const candidate = base + suffix(i);
    if (!used.has(candidate.toLowerCase())) return candidate;
  }
}

function suffix(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

/** Removes HTML tags and entities that OpenAlex titles carry (`<i>`, `<sub>`, `&amp;`). */
export function stripMarkup(text: string): string {
  return text
    .replace(/<[^>]{1,40}>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Plain text → a BibTeX/LaTeX field value: LaTeX specials escaped, braces escaped only when
 * balanced (bibtex counts `\{` too, so an unbalanced one would break the whole .bib).
 */
export function escapeLatex(text: string): string {
  const balanced = bracesBalanced(text);
  let out = '';
  for (const ch of text) {
    switch (ch) {
      case '\\':
        out += '\\textbackslash{}';
        break;
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
        out += `\\${ch}`;
        break;
      case '{':
      case '}':
        out += balanced ? `\\${ch}` : '';
        break;
      case '~':
        out += '\\textasciitilde{}';
        break;
      case '^':
        out += '\\textasciicircum{}';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/**
 * Repairs a value that is already BibTeX (e.g. from Semantic Scholar): escapes bare `&`, `%`,
 * `#` and `_` outside math, and drops braces when they do not balance. Existing LaTeX stays.
 */
export function repairLatexValue(value: string): string {
  const v = bracesBalanced(value) ? value : value.replace(/[{}]/g, '');
  let out = '';
  let inMath = false;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    const escaped = i > 0 && v[i - 1] === '\\';
    if (ch === '$' && !escaped) inMath = !inMath;
    if (!escaped && !inMath && (ch === '&' || ch === '%' || ch === '#' || ch === '_')) out += '\\';
    out += ch;
  }
  // An unclosed `$` would swallow the rest of the document: escape them all instead.
  if (inMath) out = out.replace(/(^|[^\\])\$/g, '$1\\$');
  return out;
}

/** True when `{` and `}` nest properly (bibtex's own rule: backslashes do not matter). */
export function bracesBalanced(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * Parses every `@type{key, field = value, …}` entry of `text`. Values may be `{…}` (nested),
 * `"…"`, numbers or macro names. `@comment`, `@preamble` and `@string` are skipped.
 */
export function parseBibtex(text: string): BibEntry[] {
  const entries: BibEntry[] = [];
  let i = 0;
  while ((i = text.indexOf('@', i)) !== -1) {
    // Semantic Scholar writes a Python list as the type: `@['JournalArticle', 'Conference']{`.
    const head = /^@\s*(\[[^\]\n]*\]|[^{(\s]*)\s*([{(])/.exec(text.slice(i));
    if (!head) {
      i++;
      continue;
    }
    const rawType = head[1]!;
    const close = head[2] === '{' ? '}' : ')';
    const bodyStart = i + head[0].length;
    const bodyEnd = findClose(text, bodyStart, head[2]!, close);
    if (bodyEnd === -1) break; // unterminated: nothing after it can be trusted
    const body = text.slice(bodyStart, bodyEnd);
    i = bodyEnd + 1;
    const type = rawType.toLowerCase();
    if (type === 'comment' || type === 'preamble' || type === 'string') continue;
    const entry = parseBody(rawType, body);
    if (entry) entries.push(entry);
  }
  return entries;
}

function findClose(text: string, from: number, open: string, close: string): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    const ch = text[j];
    if (ch === '{' || (open === '(' && ch === '(')) depth++;
    else if (ch === '}' || (close === ')' && ch === ')')) {
      if (--depth === 0) return j;
    }
  }
  return -1;
}

function parseBody(rawType: string, body: string): BibEntry | undefined {
  const comma = body.indexOf(',');
  const hasKey = comma !== -1 && !body.slice(0, comma).includes('=');
  const key = hasKey ? body.slice(0, comma).trim() : '';
  const fields: [string, string][] = [];
  let j = hasKey ? comma + 1 : 0;
  while (j < body.length) {
    const m = /^\s*([A-Za-z][\w:.+-]*)\s*=\s*/.exec(body.slice(j));
    if (!m) break;
    j += m[0].length;
    const [value, next] = readValue(body, j);
    fields.push([m[1]!.toLowerCase(), value.trim()]);
    j = next;
    const sep = /^\s*,?/.exec(body.slice(j));
    j += sep ? sep[0].length : 0;
  }
  return { type: rawType, key, fields };
}

/** Reads one value (with `#` concatenation) starting at `j`; returns it unwrapped and the end index. */
function readValue(body: string, start: number): [string, number] {
  const parts: string[] = [];
  let j = start;
  for (;;) {
    while (/\s/.test(body[j] ?? '')) j++;
    const ch = body[j];
    if (ch === '{') {
      let depth = 1;
      let k = j + 1;
      for (; k < body.length && depth > 0; k++) {
        if (body[k] === '{') depth++;
        else if (body[k] === '}') depth--;
      }
      parts.push(body.slice(j + 1, k - 1));
      j = k;
    } else if (ch === '"') {
      let depth = 0;
      let k = j + 1;
      for (; k < body.length; k++) {
        if (body[k] === '{') depth++;
        else if (body[k] === '}') depth--;
        else if (body[k] === '"' && depth === 0) break;
      }
      parts.push(body.slice(j + 1, k));
      j = k + 1;
    } else {
      const m = /^[^,#}\s]+/.exec(body.slice(j));
      parts.push(m ? m[0] : '');
      j += m ? m[0].length : 0;
    }
    const cat = /^\s*#/.exec(body.slice(j));
    if (!cat) return [parts.join(''), j];
    j += cat[0].length;
  }
}

/**
 * Maps an entry type to a standard one. Semantic Scholar writes its publication types into
 * the type slot (`@['JournalArticle', 'Conference']{…}`, `@None{…}`), which bibtex rejects.
 */
export function normalizeEntryType(rawType: string, fieldNames: string[] = []): string {
  const t = rawType.trim();
  const standard = /^[a-z]+$/i.test(t) ? t.toLowerCase() : '';
  const known = [
    'article',
    'inproceedings',
    'conference',
    'book',
    'incollection',
    'inbook',
    'misc',
    'phdthesis',
    'mastersthesis',
    'techreport',
    'proceedings',
    'unpublished',
    'manual',
    'booklet',
  ];
  if (known.includes(standard)) return standard === 'conference' ? 'inproceedings' : standard;
  // A list of publication types, or None: decide from the venue field that is present.
  if (/conference/i.test(t) || fieldNames.includes('booktitle')) return 'inproceedings';
  if (/journal|review/i.test(t) || fieldNames.includes('journal')) return 'article';
  if (/book/i.test(t)) return 'book';
  return 'misc';
}

/**
 * One clean entry: standard type, ASCII key (or `fallbackKey`), lower-case field names, no
 * empty or duplicate fields, values repaired so they compile.
 */
export function normalizeBibEntry(entry: BibEntry, fallbackKey = 'ref'): BibEntry {
  const seen = new Set<string>();
  const fields: [string, string][] = [];
  for (const [name, value] of entry.fields) {
    const n = name.toLowerCase();
    const v = value.replace(/\s+/g, ' ').trim();
    if (!v || seen.has(n)) continue;
    seen.add(n);
    fields.push([n, VERBATIM_FIELDS.has(n) ? v.replace(/[{}]/g, '') : repairLatexValue(v)]);
  }
  const key = entry.key.trim() ? sanitizeCiteKey(entry.key) : sanitizeCiteKey(fallbackKey);
  return {
    type: normalizeEntryType(
      entry.type,
      fields.map(([n]) => n),
    ),
    key,
    fields,
  };
}

/** Formats one entry the way every .bib we write looks: two-space indent, braces, trailing newline. */
export function formatBibEntry(entry: BibEntry): string {
  const lines = entry.fields.map(([n, v]) => `  ${n} = {${v}}`);
  return `@${entry.type}{${entry.key},\n${lines.join(',\n')}\n}\n`;
}

/** The citation key of the first entry in `bibtex`, if any. */
export function citeKeyOf(bibtex: string): string | undefined {
  return parseBibtex(bibtex)[0]?.key || undefined;
}

/** `bibtex`'s first entry under a new key (sanitized), normalized. */
export function renameCiteKey(bibtex: string, newKey: string): string {
  const entry = parseBibtex(bibtex)[0];
  if (!entry) throw new InvalidInputError('no BibTeX entry to rename');
  return formatBibEntry(normalizeBibEntry({ ...entry, key: newKey }));
}

/** Value of a field, or undefined. */
export function field(entry: BibEntry, name: string): string | undefined {
  return entry.fields.find(([n]) => n === name)?.[1];
}

/** A title reduced to its letters and digits, so "Attention Is {All} You Need." matches "attention is all you need". */
export function titleFingerprint(title: string): string {
  return asciiFold(title.replace(/\\[a-zA-Z]+\s*/g, ''))
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Problems that would break bibtex or natbib; empty when the entry is fine. */
export function validateBibEntry(entry: BibEntry): string[] {
  const problems: string[] = [];
  if (!/^[A-Za-z][A-Za-z0-9_:.-]*$/.test(entry.key)) problems.push(`bad key ${JSON.stringify(entry.key)}`);
  if (!/^[a-z]+$/.test(entry.type)) problems.push(`bad type ${JSON.stringify(entry.type)}`);
  if (!field(entry, 'title')) problems.push('no title');
  for (const [n, v] of entry.fields) {
    if (!bracesBalanced(v)) problems.push(`unbalanced braces in ${n}`);
    if (!VERBATIM_FIELDS.has(n) && /(^|[^\\])[&%#]/.test(v))
      problems.push(`unescaped special character in ${n}`);
  }
  return problems;
}

/**
 * Builds an entry from metadata (the OpenAlex path, or Semantic Scholar papers without BibTeX).
 * Every value is escaped from plain text.
 */
export function buildBibEntry(meta: {
  key: string;
  title: string;
  authors: string[];
  year: number | null;
  venue?: string;
  venueKind?: 'journal' | 'conference' | 'other';
  volume?: string | null;
  number?: string | null;
  pages?: string | null;
  doi?: string | null;
  url?: string | null;
}): BibEntry {
  const type = meta.venue
    ? meta.venueKind === 'conference'
      ? 'inproceedings'
      : meta.venueKind === 'journal'
        ? 'article'
        : 'misc'
    : 'misc';
  const fields: [string, string][] = [];
  const add = (n: string, v: string | null | undefined) => {
    if (v !== undefined && v !== null && String(v).trim() !== '') fields.push([n, String(v).trim()]);
  };
  add('title', escapeLatex(stripMarkup(meta.title)));
  // " and " separates authors in bibtex; a literal "and" inside one name would split it.
  add(
    'author',
    meta.authors.map((a) => escapeLatex(stripMarkup(a)).replace(/\s+and\s+/gi, ' {and} ')).join(' and '),
  );
  if (type === 'article') add('journal', escapeLatex(meta.venue!));
  else if (type === 'inproceedings') add('booktitle', escapeLatex(meta.venue!));
  else if (meta.venue) add('howpublished', escapeLatex(meta.venue));
  add('year', meta.year === null ? undefined : String(meta.year));
  add('volume', meta.volume ? escapeLatex(meta.volume) : undefined);
  add('number', meta.number ? escapeLatex(meta.number) : undefined);
  add('pages', meta.pages ? escapeLatex(meta.pages).replace(/\s*[-–]+\s*/g, '--') : undefined);
  add('doi', meta.doi?.replace(/^https?:\/\/(dx\.)?doi\.org\//i, ''));
  add('url', meta.url);
  return { type, key: sanitizeCiteKey(meta.key), fields };
}

export interface MergeResult {
  /** The new references.bib text: the existing text untouched, new entries appended. */
  text: string;
  /** Keys of entries appended (possibly renamed to avoid a clash). */
  added: string[];
  /** For every entry offered, the key to `\cite` — its own, its renamed one, or an existing duplicate's. */
  keyFor: Record<string, string>;
  /** Entries not added because the same paper (by title) or the same entry is already there. */
  skipped: { key: string; reason: 'duplicate-title' | 'duplicate-entry'; existingKey: string }[];
}

/**
 * Merges entries into a references.bib text. A paper already present (same title fingerprint)
 * is not added again and its existing key is reported for the `\cite`; a different paper whose
 * key clashes is added under a suffixed key (`vaswani2017attentiona`). Existing text is kept
 * byte for byte, so a template's hand-written bibliography survives.
 */
export function mergeBibtex(existing: string, entries: (BibEntry | string)[]): MergeResult {
  const present = parseBibtex(existing);
  const byTitle = new Map<string, string>();
  const keys = new Set<string>();
  for (const e of present) {
    keys.add(e.key.toLowerCase());
    const t = field(e, 'title');
    if (t) byTitle.set(titleFingerprint(t), e.key);
  }
  const appended: string[] = [];
  const result: MergeResult = { text: existing, added: [], keyFor: {}, skipped: [] };
  for (const raw of entries) {
    const parsed = typeof raw === 'string' ? parseBibtex(raw)[0] : raw;
    if (!parsed) continue;
    const entry = normalizeBibEntry(parsed);
    const fp = titleFingerprint(field(entry, 'title') ?? '');
    const sameTitle = fp ? byTitle.get(fp) : undefined;
    if (sameTitle !== undefined) {
      result.keyFor[parsed.key] = sameTitle;
      result.skipped.push({
        key: parsed.key,
        reason: sameTitle === entry.key ? 'duplicate-entry' : 'duplicate-title',
        existingKey: sameTitle,
      });
      continue;
    }
    const key = uniqueCiteKey(entry.key, keys);
    keys.add(key.toLowerCase());
    if (fp) byTitle.set(fp, key);
    appended.push(formatBibEntry({ ...entry, key }));
    result.added.push(key);
    result.keyFor[parsed.key] = key;
  }
  if (appended.length > 0) {
    const base =
      existing.length === 0 || existing.endsWith('\n\n')
        ? existing
        : existing.endsWith('\n')
          ? `${existing}\n`
          : `${existing}\n\n`;
    result.text = base + appended.join('\n');
  }
  return result;
}

/** Entries without repeats: the first of each key (case-insensitive) and of each title wins. */
export function dedupeBibEntries(entries: BibEntry[]): BibEntry[] {
  const keys = new Set<string>();
  const titles = new Set<string>();
  return entries.filter((e) => {
    const k = e.key.toLowerCase();
    const t = titleFingerprint(field(e, 'title') ?? '');
    if (keys.has(k) || (t && titles.has(t))) return false;
    keys.add(k);
    if (t) titles.add(t);
    return true;
  });
}
