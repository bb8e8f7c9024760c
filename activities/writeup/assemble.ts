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
  /**
   * Parts typed as plain text because their LaTeX failed its check after a repair round, or
   * stopped the build (part → why). A part that later passes leaves this list.
   */
  degraded?: Record<string, string>;
  /** Set by the integrity stage: the report page (code-made LaTeX) \input after the bibliography. */
  appendix?: string;
}

/**
 * Files our own code generates beside the .tex: the results section \input's the tables and
 * figures, the setup section the manifest's paragraph and table, the document's end the
 * integrity report (once the integrity stage has made one).
 */
export const GENERATED_INPUTS = ['results_tables', 'figures', 'setup_manifest', 'integrity_report'] as const;
/** The generated inputs each section ends with. */
const SECTION_INPUTS: Record<string, readonly (typeof GENERATED_INPUTS)[number][]> = {
  results: ['results_tables', 'figures'],
  experimental_setup: ['setup_manifest'],
};
/** The line that places the integrity report. */
export const APPENDIX_INPUT = '\\input{integrity_report}';

/** The comment lines around each part the model wrote, so that a TeX error's line names its part. */
export const partBegin = (name: string) => `% ds:begin ${name}`;
export const partEnd = (name: string) => `% ds:end ${name}`;
const fenced = (name: string, body: string) => `${partBegin(name)}\n${body}\n${partEnd(name)}`;

/** The part (section name, `abstract`) whose fenced body holds line `line` (1-based) of `tex`. */
export function partAtLine(tex: string, line: number): string | undefined {
  const lines = tex.split('\n');
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const l = lines[i] ?? '';
    if (l.startsWith('% ds:end ') && i !== line - 1) return undefined;
    if (l.startsWith('% ds:begin ')) return l.slice('% ds:begin '.length).trim();
  }
  return undefined;
}

/** `tex` with the fenced body of `part` replaced by `body` (undefined when the fence is gone). */
export function replacePart(tex: string, part: string, body: string): string | undefined {
  const begin = tex.indexOf(`${partBegin(part)}\n`);
  const end = tex.indexOf(partEnd(part), begin);
  if (begin < 0 || end < 0) return undefined;
  return `${tex.slice(0, begin)}${fenced(part, body)}${tex.slice(end + partEnd(part).length)}`;
}

/** The fenced body of `part` in `tex`, if the fence is still there. */
export function partOf(tex: string, part: string): string | undefined {
  const begin = tex.indexOf(`${partBegin(part)}\n`);
  const end = tex.indexOf(`\n${partEnd(part)}`, begin);
  return begin < 0 || end < 0 ? undefined : tex.slice(begin + partBegin(part).length + 1, end);
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

/**
 * Fills title, abstract and sections into the template; sections it lacks go before the
 * bibliography. Each body the model wrote is fenced by comment lines (`partBegin`/`partEnd`),
 * and the results section ends with the generated tables and figures (`GENERATED_INPUTS`).
 */
export function assemble(template: string, draft: Draft): string {
  let tex = template;
  if (draft.title) {
    tex = tex.replace(/\\title\{(?:[^{}]|\{[^{}]*\})*\}/, () => `\\title{${draft.title}}`);
  }
  if (draft.sections.abstract) {
    tex = tex.replace(
      /(\\begin\{abstract\})[\s\S]*?(\\end\{abstract\})/,
      (_m, a: string, b: string) => `${a}\n${fenced('abstract', draft.sections.abstract ?? '')}\n${b}`,
    );
  }
  // Drop the embedded bibliography: references.bib is written beside the .tex, whole.
  tex = tex.replace(
    /\\begin\{filecontents\*?\}(?:\[[^\]]*\])?\{references\.bib\}[\s\S]*?\\end\{filecontents\*?\}\n?/,
    '',
  );
  const missing: string[] = [];
  for (const [name, heading] of Object.entries(SECTION_TITLES)) {
    const written = draft.sections[name];
    // The results and setup sections always carry their generated files, written or not.
    const inputs = SECTION_INPUTS[name] ?? [];
    if (!written && !inputs.length) continue;
    const generated = inputs
      .filter((f) => !new RegExp(`\\\\input\\s*\\{${f}(\\.tex)?\\}`).test(written ?? ''))
      .map((f) => `\\input{${f}}`)
      .join('\n');
    const body = [written ? fenced(name, written) : '', generated].filter(Boolean).join('\n\n');
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
  return draft.appendix ? withAppendixInput(tex) : tex;
}

/** `tex` with the integrity report's \input before \end{document} (once). */
export function withAppendixInput(tex: string): string {
  if (tex.includes(APPENDIX_INPUT)) return tex;
  const at = tex.lastIndexOf('\\end{document}');
  return at < 0 ? `${tex}\n${APPENDIX_INPUT}\n` : `${tex.slice(0, at)}${APPENDIX_INPUT}\n${tex.slice(at)}`;
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
