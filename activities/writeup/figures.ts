/**
 * Figures placed by code: every figure plot.py made goes into the paper with a caption taken
 * from the figure descriptions (the model's notes on each figure, escaped as plain text), two to
 * a float so that a dozen plots do not overflow LaTeX's float queue.
 */
import path from 'node:path';
import { escapeText } from '../latex/plain';

/** Where describeFigures keeps each figure's caption in the workspace: file name → caption. */
export const CAPTIONS_FILE = 'figures.json';
const CAPTION_CHARS = 300;

/** The label code gives a figure: `fig:` and its file name without the extension. */
export function figureLabel(file: string): string {
  return `fig:${path.basename(file, path.extname(file)).replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** A caption made from the file name alone (`val_acc_x_plus_y.png` → "Val acc x plus y."). */
function captionFromName(file: string): string {
  const words = path.basename(file, path.extname(file)).replace(/[_-]+/g, ' ').trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} (made by plot.py).`;
}

/** The first sentences of `text`, at most `max` characters. */
function sentences(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.'));
  return end > max / 3 ? cut.slice(0, end + 1) : `${cut.replace(/\s+\S*$/, '')} …`;
}

/**
 * Each figure's caption from the model's description text, which names the figures: what follows
 * a figure's name up to the next figure's name. A figure the text never names gets a caption
 * from its file name.
 */
export function figureCaptions(description: string, files: string[]): Record<string, string> {
  const names = files.map((f) => path.basename(f));
  const stems = names.map((n) => path.basename(n, path.extname(n)));
  const mentions: { file: string; at: number; end: number }[] = [];
  names.forEach((name, i) => {
    const stem = stems[i]!;
    // The full name if it is there, else the name without its extension (longest names first
    // would matter for `loss` vs `loss_x`; a word boundary that is not `_` settles it).
    const re = new RegExp(
      `(?<![\\w])${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:${path.extname(name).replace('.', '\\.')})?(?![\\w])`,
    );
    const m = re.exec(description);
    if (m) mentions.push({ file: name, at: m.index, end: m.index + m[0].length });
  });
  mentions.sort((a, b) => a.at - b.at);
  const out: Record<string, string> = {};
  mentions.forEach((m, i) => {
    const next = mentions[i + 1]?.at ?? description.length;
    const text = description
      .slice(m.end, next)
      .replace(/^[\s*:.)\]`'"-]+/, '')
      .replace(/[\s*#`([-]+$/, '')
      .replace(/[*`#]/g, '');
    if (text.replace(/[^A-Za-z]/g, '').length >= 10) out[m.file] = sentences(text, CAPTION_CHARS);
  });
  for (const name of names) out[name] ??= captionFromName(name);
  return out;
}

/**
 * The figures as LaTeX: two per float side by side, each with its caption and `figureLabel`.
 * `figures` are file names beside the .tex; captions are plain text (escaped here).
 */
export function figuresLatex(figures: string[], captions: Record<string, string>): string {
  if (!figures.length) return '';
  const one = (file: string, width: string) =>
    [
      `\\begin{minipage}[t]{${width}}`,
      '\\centering',
      `\\includegraphics[width=\\linewidth]{${file}}`,
      `\\caption{${escapeText(captions[file] ?? captionFromName(file))}}`,
      `\\label{${figureLabel(file)}}`,
      '\\end{minipage}',
    ].join('\n');
  const floats: string[] = [];
  for (let i = 0; i < figures.length; i += 2) {
    const pair = figures.slice(i, i + 2);
    floats.push(
      [
        '\\begin{figure}[!htbp]',
        '\\centering',
        pair.length === 2
          ? `${one(pair[0]!, '0.48\\linewidth')}\\hfill\n${one(pair[1]!, '0.48\\linewidth')}`
          : one(pair[0]!, '0.6\\linewidth'),
        '\\end{figure}',
      ].join('\n'),
    );
  }
  return `% Made by code from plot.py's figures and their descriptions.\n${floats.join('\n\n')}\n`;
}
