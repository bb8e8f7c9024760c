/**
 * The paper's title from the first line of the model's abstract reply. A small model often
 * writes a heading there (`# Abstract Section`) instead of a title: such a line is refused and
 * the idea's own title (recorded in notes.txt by the experiments stage) is used instead.
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

/** The model's first line as a title, or '' when it is a heading, a label or too short to be one. */
export function usableTitle(line: string): string {
  const title = line
    .replace(/^\s*(?:#+\s*|\*+\s*)/, '')
    .replace(/\*+\s*$/, '')
    .replace(/^title:\s*/i, '')
    .replace(/^\\title\{|\}$/g, '')
    .trim();
  const words = title.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  if (words.length < 3 || words.every((w) => HEADING_WORDS.has(w))) return '';
  return title;
}

/** The idea's title as notes.txt records it (`# Title: …`), if it does. */
export function ideaTitleOf(notes: string): string | undefined {
  return /^# Title: (.+)$/m.exec(notes)?.[1]?.trim() || undefined;
}
