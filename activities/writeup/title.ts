/**
 * The paper's title from the first line of the model's abstract reply. A small model often
 * writes a heading there (`# Abstract Section`) instead of a title, or starts the abstract on
 * the first line: such a line is refused and the idea's own title (recorded in notes.txt by the
 * experiments stage) is used instead. A refused heading is dropped; a refused paragraph is the
 * abstract's first line and stays in it (a fresh-clone main job once typeset its whole one-line
 * abstract as the title, above the template's `ABSTRACT HERE`).
 */

/** Words that, alone, make a heading rather than a title. */
const HEADING_WORDS = new Set([
  'abstract',
  'section',
  'title',
  'introduction',
  'paper',
  'the',
  'our',
  'a',
  'an',
  'of',
]);

/** More words than a paper title needs: a line this long is a sentence of the abstract. */
const MAX_TITLE_WORDS = 25;
/** A title may hold a question ("Does Size Matter? …"); a long line with a sentence end is prose. */
const MAX_TITLE_WORDS_WITH_SENTENCE_END = 12;

function stripped(line: string): string {
  return line
    .replace(/^\s*(?:#+\s*|\*+\s*)/, '')
    .replace(/\*+\s*$/, '')
    .replace(/^title:\s*/i, '')
    .replace(/^\\title\{|\}$/g, '')
    .trim();
}

/** Prose rather than a title: too many words, or a sentence end before more text in a long line. */
function isParagraph(line: string): boolean {
  const words = (line.match(/\S+/g) ?? []).length;
  if (words > MAX_TITLE_WORDS) return true;
  return words > MAX_TITLE_WORDS_WITH_SENTENCE_END && /[.!?]\s+\S/.test(line);
}

/**
 * The model's first line as a title, or '' when it is a heading, a label, too short to be one,
 * or a paragraph.
 */
export function usableTitle(line: string): string {
  const title = stripped(line);
  const words = title.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  if (words.length < 3 || words.every((w) => HEADING_WORDS.has(w))) return '';
  if (isParagraph(title)) return '';
  return title;
}

/**
 * A reply that should start with a title line: the title ('' when the first line is not one)
 * and the body, which keeps a first line that was prose.
 */
export function splitTitle(text: string): { title: string; body: string } {
  const [first = '', ...rest] = text.split('\n');
  const title = usableTitle(first);
  const keepFirst = !title && isParagraph(stripped(first));
  return { title, body: (keepFirst ? [first, ...rest] : rest).join('\n').trim() };
}

/** The idea's title as notes.txt records it (`# Title: …`), if it does. */
export function ideaTitleOf(notes: string): string | undefined {
  return /^# Title: (.+)$/m.exec(notes)?.[1]?.trim() || undefined;
}
