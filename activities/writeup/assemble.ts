/**
 * Turns a draft (title, sections, references) into the files LaTeX compiles, using the
 * template's own latex/template.tex: the sections the template declares are filled in place, so
 * its preamble, style and bibliography setup stay exactly as the template's author wrote them.
 */

export interface Draft {
  title: string;
  /** Section name (see SECTION_TITLES) → LaTeX body. */
  sections: Record<string, string>;
  /** references.bib text: the template's own entries plus those added by code. */
  references: string;
  /** Papers found in citation rounds, with where the model wants them cited. */
  citations: { key: string; description: string }[];
}

export const SECTION_TITLES: Record<string, string> = {
  introduction: 'Introduction',
  related_work: 'Related Work',
  background: 'Background',
  method: 'Method',
  experimental_setup: 'Experimental Setup',
  results: 'Results',
  conclusion: 'Conclusions and Future Work',
};

export function emptyDraft(references = ''): Draft {
  return { title: '', sections: {}, references, citations: [] };
}

/** The bibliography a template embeds with filecontents (the AI Scientist's layout), or ''. */
export function embeddedBibliography(tex: string): string {
  const m =
    /\\begin\{filecontents\*?\}(?:\[[^\]]*\])?\{references\.bib\}([\s\S]*?)\\end\{filecontents\*?\}/.exec(
      tex,
    );
  return m ? m[1]!.trim() + '\n' : '';
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Fills title, abstract and sections into the template; sections it lacks go before the bibliography. */
export function assemble(template: string, draft: Draft): string {
  let tex = template;
  if (draft.title) {
    tex = tex.replace(/\\title\{(?:[^{}]|\{[^{}]*\})*\}/, () => `\\title{${draft.title}}`);
  }
  if (draft.sections.abstract) {
    tex = tex.replace(
      /(\\begin\{abstract\})[\s\S]*?(\\end\{abstract\})/,
      (_m, a: string, b: string) => `${a}\n${draft.sections.abstract}\n${b}`,
    );
  }
  // Drop the embedded bibliography: references.bib is written beside the .tex, whole.
  tex = tex.replace(
    /\\begin\{filecontents\*?\}(?:\[[^\]]*\])?\{references\.bib\}[\s\S]*?\\end\{filecontents\*?\}\n?/,
    '',
  );
  const missing: string[] = [];
  for (const [name, heading] of Object.entries(SECTION_TITLES)) {
    const body = draft.sections[name];
    if (!body) continue;
    const re = new RegExp(
      `(\\\\section\\*?\\{${escapeRe(heading).replace(/ /g, '\\s+')}s?\\}(?:\\s*\\\\label\\{[^}]*\\})?)([\\s\\S]*?)(?=\\\\section|\\\\bibliographystyle|\\\\bibliography\\{|\\\\end\\{document\\})`,
      'i',
    );
    if (re.test(tex)) tex = tex.replace(re, (_m, head: string) => `${head}\n${body}\n\n`);
    else missing.push(`\\section{${heading}}\n${body}\n`);
  }
  if (missing.length) {
    const at = tex.search(/\\bibliographystyle|\\bibliography\{|\\end\{document\}/);
    tex = at >= 0 ? `${tex.slice(0, at)}${missing.join('\n')}\n${tex.slice(at)}` : tex + missing.join('\n');
  }
  return tex;
}

/**
 * Numbers in `text` that appear nowhere in the results table (allowing for rounding to the
 * precision written). Years, section numbers and small integers are ignored.
 */
export function unsupportedNumbers(text: string, results: number[]): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?<![\w.])-?\d+\.\d+(?:e-?\d+)?|(?<![\w.])\d{3,}(?![\w])/gi)) {
    const s = m[0];
    const v = Number(s);
    if (!Number.isFinite(v) || (Number.isInteger(v) && v >= 1900 && v <= 2100)) continue;
    const decimals = /\.(\d+)/.exec(s)?.[1]?.length ?? 0;
    const tol = 0.5 * 10 ** -decimals + 1e-12;
    const ok = results.some((r) => Math.abs(r - v) <= tol || Math.abs(r * 100 - v) <= tol);
    if (!ok) found.add(s);
  }
  return [...found];
}
