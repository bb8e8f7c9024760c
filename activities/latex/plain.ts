/**
 * LaTeX that cannot break: model text made safe when its own LaTeX could not be trusted. A
 * section that failed its check after a repair round is typeset as plain prose — markup taken
 * out, every special character escaped, nothing of it read as a command — behind a visible
 * marker, so the document compiles whatever the model wrote.
 */

/** Unicode a model writes that pdflatex cannot typeset, as LaTeX that works in text and in math. */
const UNICODE_LATEX: Record<string, string> = {
  '≥': '\\ensuremath{\\geq}',
  '≤': '\\ensuremath{\\leq}',
  '≠': '\\ensuremath{\\neq}',
  '≈': '\\ensuremath{\\approx}',
  '±': '\\ensuremath{\\pm}',
  '×': '\\ensuremath{\\times}',
  '÷': '\\ensuremath{\\div}',
  '→': '\\ensuremath{\\rightarrow}',
  '←': '\\ensuremath{\\leftarrow}',
  '⇒': '\\ensuremath{\\Rightarrow}',
  '∞': '\\ensuremath{\\infty}',
  '∈': '\\ensuremath{\\in}',
  '∑': '\\ensuremath{\\sum}',
  '√': '\\ensuremath{\\surd}',
  '∼': '\\ensuremath{\\sim}',
  '·': '\\ensuremath{\\cdot}',
  '−': '\\ensuremath{-}',
  µ: '\\ensuremath{\\mu}',
  α: '\\ensuremath{\\alpha}',
  β: '\\ensuremath{\\beta}',
  γ: '\\ensuremath{\\gamma}',
  δ: '\\ensuremath{\\delta}',
  ε: '\\ensuremath{\\epsilon}',
  η: '\\ensuremath{\\eta}',
  θ: '\\ensuremath{\\theta}',
  λ: '\\ensuremath{\\lambda}',
  μ: '\\ensuremath{\\mu}',
  π: '\\ensuremath{\\pi}',
  σ: '\\ensuremath{\\sigma}',
  τ: '\\ensuremath{\\tau}',
  φ: '\\ensuremath{\\phi}',
  ω: '\\ensuremath{\\omega}',
  Δ: '\\ensuremath{\\Delta}',
  Σ: '\\ensuremath{\\Sigma}',
  '\u00a0': '~',
  '\u2009': '\\,',
  '✓': '\\ensuremath{\\checkmark}',
};

/** Replaces the Unicode symbols models like to write (≥, ±, α …) with LaTeX pdflatex can typeset. */
export function normaliseUnicode(tex: string): string {
  return tex.replace(/[\u{80}-\u{10ffff}]/gu, (c) => UNICODE_LATEX[c] ?? c);
}

// Characters the T1/utf8 setup of every template typesets as they are.
const SAFE_UNICODE = /[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d]/;

const ESCAPES: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  $: '\\$',
  '&': '\\&',
  '#': '\\#',
  '%': '\\%',
  _: '\\_',
  '^': '\\textasciicircum{}',
  '~': '\\textasciitilde{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '|': '\\textbar{}',
};

/**
 * `text` as LaTeX that prints exactly these characters: specials escaped, control characters
 * dropped, known symbols (≥, α …) as their LaTeX, any other character the fonts lack as `?`.
 * Safe for any input.
 */
export function escapeText(text: string): string {
  let out = '';
  for (const c of text) {
    if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else if (c === '\n' || c === ' ' || c === '\t') out += c === '\t' ? ' ' : c;
    else if (c < ' ' || c === '\x7f') continue;
    else if (c <= '\x7e' || SAFE_UNICODE.test(c)) out += c;
    else out += UNICODE_LATEX[c] ?? '?';
  }
  return out;
}

/** The words of a piece of model LaTeX: markup, references and figures taken out, prose kept. */
export function proseOf(tex: string): string {
  return (
    tex
      .replace(/\\begin\s*\{[^}]*\}(?:\s*\[[^\]]*\])?(?:\s*\{[^}]*\})?/g, ' ')
      .replace(/\\end\s*\{[^}]*\}/g, ' ')
      .replace(
        /\\(?:[A-Za-z]*cite[a-zA-Z]*|ref|eqref|autoref|pageref|label|includegraphics|input|include)\*?\s*(?:\[[^\]]*\]\s*)*\{[^}]*\}/g,
        '',
      )
      .replace(/\\\\(?:\[[^\]]*\])?/g, '\n')
      .replace(/\\([%&_#${}])/g, '$1')
      .replace(/\\[A-Za-z]+\*?(?:\[[^\]]*\])?/g, '')
      .replace(/[{}]/g, '')
      .replace(/\$+/g, '')
      .replace(/~/g, ' ')
      // paragraphs stay paragraphs; everything else is one line of words
      .split(/\n\s*\n/)
      .map((p) =>
        p
          .replace(/\s+/g, ' ')
          .replace(/ ([.,;:!?)])/g, '$1')
          .trim(),
      )
      .filter(Boolean)
      .join('\n\n')
  );
}

const PLAIN_MARK = '\\par\\noindent\\fbox{\\parbox{';

/** True for a body made by `plainTextSection`. */
export function isPlainText(body: string): boolean {
  return body.startsWith(PLAIN_MARK);
}

/**
 * A section whose LaTeX failed its check, typeset so that it cannot fail: a framed note saying
 * why, then the section's prose as plain text (at most `maxChars` characters of it).
 */
export function plainTextSection(tex: string, reason: string, maxChars = 12_000): string {
  let prose = proseOf(tex);
  if (prose.length > maxChars) prose = `${prose.slice(0, maxChars).replace(/\s+\S*$/, '')} …`;
  const why = escapeText(reason.replace(/\s+/g, ' ').trim().slice(0, 300));
  const note =
    PLAIN_MARK +
    '\\dimexpr\\linewidth-2\\fboxsep-2\\fboxrule\\relax}{\\small\\textbf{Shown as plain text:} ' +
    `the LaTeX written for this part could not be typeset safely (${why}).}}\\par\\medskip`;
  return prose ? `${note}\n\n${escapeText(prose)}` : note;
}
