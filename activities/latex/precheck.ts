/**
 * Pre-checks: plain functions over the paper's source files that catch, before any TeX runs,
 * the mistakes a writing model makes most: citing keys the bibliography lacks, including figures
 * that do not exist (or the same figure twice), repeating a section heading, and leaving braces
 * or environments unbalanced. Each finding names file and line so the model can fix it.
 */
import path from 'node:path';
import type { CompileIssue } from './types';

/** The paper's files as text (.tex, .bib) or bytes (figures: only their names matter here). */
export type PaperFiles = ReadonlyMap<string, string | Buffer>;

const GRAPHICS_EXTENSIONS = ['', '.pdf', '.png', '.jpg', '.jpeg', '.eps', '.PDF', '.PNG', '.JPG', '.JPEG'];
// Environments whose body is not LaTeX: their braces and commands are text.
const VERBATIM = [
  'verbatim',
  'verbatim*',
  'lstlisting',
  'minted',
  'comment',
  'Verbatim',
  'filecontents',
  'filecontents*',
];
const CITE = /\\(?:no|paren|text|auto|foot|super)?[Cc]ite[a-zA-Z]*\*?\s*(?:\[[^\]]*\]\s*){0,2}\{([^}]*)\}/g;
const MAX_LISTED = 8;

interface TexSource {
  file: string;
  /** The text with comments and verbatim bodies blanked, line structure kept. */
  code: string;
  /** Line number (1-based) of each character offset, via `lineAt`. */
  lineStarts: number[];
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function lineAt(src: TexSource, offset: number): number {
  let lo = 0;
  let hi = src.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((src.lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Blanks every `%` comment (an unescaped percent sign to the end of its line). */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      for (let i = 0; i < line.length; i++) {
        if (line[i] === '\\')
          i++; // `\%` and `\\` are both two-character tokens
        else if (line[i] === '%') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

/** Replaces the bodies of verbatim-like environments and \verb arguments with spaces (newlines kept). */
function blankVerbatim(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = text;
  for (const env of VERBATIM) {
    const e = env.replace('*', '\\*');
    out = out.replace(
      new RegExp(`(\\\\begin\\{${e}\\})([\\s\\S]*?)(\\\\end\\{${e}\\})`, 'g'),
      (_m, a: string, body: string, b: string) => a + blank(body) + b,
    );
  }
  return out.replace(/\\verb\*?([^A-Za-z\s])(.*?)\1/g, (m: string) => blank(m));
}

function texSource(file: string, text: string): TexSource {
  // Verbatim first: a `%` inside a listing is not a comment.
  const code = stripComments(blankVerbatim(text));
  return { file, code, lineStarts: lineStartsOf(code) };
}

function asText(content: string | Buffer): string {
  return typeof content === 'string' ? content : content.toString('utf8');
}

/** `@article{key,` entries of a .bib text, with their lines; @string/@comment/@preamble skipped. */
export function bibKeys(text: string): { key: string; line: number }[] {
  const starts = lineStartsOf(text);
  const src: TexSource = { file: '', code: text, lineStarts: starts };
  const out: { key: string; line: number }[] = [];
  for (const m of text.matchAll(/@\s*([A-Za-z]+)\s*[{(]\s*([^,\s{}()]+)\s*,/g)) {
    if (/^(string|comment|preamble)$/i.test(m[1] ?? '')) continue;
    out.push({ key: m[2] ?? '', line: lineAt(src, m.index ?? 0) });
  }
  return out;
}

/** `{a}{b}` → ['a', 'b'] */
function braceGroups(s: string): string[] {
  return [...s.matchAll(/\{([^{}]*)\}/g)].map((m) => (m[1] ?? '').trim());
}

/** Normalises a path the way TeX sees it from the paper folder: posix, no `./`. */
function normalise(p: string): string {
  return path.posix.normalize(p.trim()).replace(/^\.\//, '');
}

function outside(p: string): boolean {
  const n = path.posix.normalize(p.trim());
  return n.startsWith('/') || n === '..' || n.startsWith('../') || /^[A-Za-z]:/.test(n) || n.startsWith('~');
}

/**
 * Runs every pre-check over the paper's files. `mainFile` is the root document; all .tex files
 * in `files` are checked (the model may split sections into \input files).
 */
export function precheckPaper(files: PaperFiles, mainFile: string): CompileIssue[] {
  const issues: CompileIssue[] = [];
  const issue = (kind: string, message: string, file?: string, line?: number) =>
    issues.push({ source: 'precheck', kind, message, ...(file ? { file } : {}), ...(line ? { line } : {}) });

  const texFiles = [...files.keys()]
    .filter((f) => f.endsWith('.tex'))
    .sort((a, b) => (a === mainFile ? -1 : b === mainFile ? 1 : a.localeCompare(b)));
  const sources = texFiles.map((f) => ({
    raw: asText(files.get(f) ?? ''),
    src: texSource(f, asText(files.get(f) ?? '')),
  }));

  // Bibliography: .bib files in the folder, and those a filecontents block writes at compile time.
  const bibs = new Map<string, { key: string; line: number }[]>();
  for (const [f, content] of files) if (f.endsWith('.bib')) bibs.set(f, bibKeys(asText(content)));
  for (const { raw } of sources) {
    for (const m of raw.matchAll(
      /\\begin\{filecontents\*?\}(?:\[[^\]]*\])?\{([^}]+)\}([\s\S]*?)\\end\{filecontents\*?\}/g,
    )) {
      const name = normalise(m[1] ?? '');
      if (name.endsWith('.bib') || !name.includes('.'))
        bibs.set(name.endsWith('.bib') ? name : `${name}.bib`, bibKeys(m[2] ?? ''));
    }
  }
  const bibItems = new Set<string>();
  const requested: { name: string; file: string; line: number }[] = [];
  for (const { src } of sources) {
    for (const m of src.code.matchAll(/\\bibitem\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g))
      bibItems.add((m[1] ?? '').trim());
    for (const m of src.code.matchAll(/\\(?:bibliography|addbibresource)\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g)) {
      for (const name of (m[1] ?? '').split(',')) {
        const n = normalise(name);
        if (n)
          requested.push({
            name: n.endsWith('.bib') ? n : `${n}.bib`,
            file: src.file,
            line: lineAt(src, m.index ?? 0),
          });
      }
    }
  }
  for (const r of requested) {
    if (outside(r.name))
      issue(
        'path-outside-paper',
        `bibliography ${r.name} is outside the paper folder; only files in the folder can be read`,
        r.file,
        r.line,
      );
    else if (!bibs.has(r.name))
      issue(
        'missing-bibliography',
        `bibliography file ${r.name} does not exist (present: ${[...bibs.keys()].join(', ') || 'none'})`,
        r.file,
        r.line,
      );
  }
  const usedBibs = requested.length
    ? requested.map((r) => r.name).filter((n) => bibs.has(n))
    : [...bibs.keys()];
  const known = new Set<string>(bibItems);
  for (const name of usedBibs) {
    const seen = new Map<string, number>();
    for (const { key, line } of bibs.get(name) ?? []) {
      if (seen.has(key))
        issue(
          'duplicate-bib-entry',
          `bibliography entry ${key} is defined twice (also at line ${seen.get(key)})`,
          name,
          line,
        );
      else seen.set(key, line);
      known.add(key);
    }
  }
  const reported = new Set<string>();
  for (const { src } of sources) {
    for (const m of src.code.matchAll(CITE)) {
      for (const raw of (m[1] ?? '').split(',')) {
        const key = raw.trim();
        if (!key || key === '*' || known.has(key) || reported.has(key)) continue;
        reported.add(key);
        const near = [...known].find((k) => k.toLowerCase() === key.toLowerCase());
        issue(
          'undefined-citation',
          `\\cite key ${key} is not in the bibliography${near ? ` (did you mean ${near}? keys are case-sensitive)` : ''}; cite only keys that exist or add the entry`,
          src.file,
          lineAt(src, m.index ?? 0),
        );
      }
    }
  }

  // Figures: every \includegraphics target must be a file in the folder (or a \graphicspath folder).
  const graphicsDirs = [''];
  for (const { src } of sources) {
    for (const m of src.code.matchAll(/\\graphicspath\s*\{((?:\s*\{[^{}]*\})+)\s*\}/g))
      graphicsDirs.push(...braceGroups(m[1] ?? '').map(normalise));
  }
  const images = [...files.keys()].filter((f) => /\.(pdf|png|jpe?g|eps)$/i.test(f));
  const included = new Map<string, { file: string; line: number }>();
  for (const { src } of sources) {
    for (const m of src.code.matchAll(/\\includegraphics\s*\*?\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g)) {
      const target = (m[1] ?? '').trim();
      const line = lineAt(src, m.index ?? 0);
      if (outside(target)) {
        issue(
          'path-outside-paper',
          `figure ${target} is outside the paper folder; only files in the folder can be read`,
          src.file,
          line,
        );
        continue;
      }
      const found = graphicsDirs
        .flatMap((dir) => GRAPHICS_EXTENSIONS.map((ext) => normalise(path.posix.join(dir, target + ext))))
        .find((candidate) => files.has(candidate));
      if (!found) {
        const listed = images.slice(0, MAX_LISTED).join(', ') + (images.length > MAX_LISTED ? ', …' : '');
        issue(
          'missing-figure',
          `figure file ${target} not found in the paper folder (figures present: ${listed || 'none'})`,
          src.file,
          line,
        );
        continue;
      }
      const first = included.get(found);
      if (first)
        issue(
          'duplicate-figure',
          `figure ${found} is included twice (first at ${first.file}:${first.line}); show each figure once`,
          src.file,
          line,
        );
      else included.set(found, { file: src.file, line });
    }
    // \input / \include of files outside the folder (TeX refuses them; say why before it does).
    for (const m of src.code.matchAll(/\\(?:input|include|InputIfFileExists)\s*\{([^}]+)\}/g)) {
      if (outside(m[1] ?? '')) {
        issue(
          'path-outside-paper',
          `\\input of ${(m[1] ?? '').trim()} reads outside the paper folder, which is not allowed`,
          src.file,
          lineAt(src, m.index ?? 0),
        );
      }
    }
  }

  // Duplicate headings (per level) and duplicate labels.
  const headings = new Map<string, { file: string; line: number }>();
  const labels = new Map<string, { file: string; line: number }>();
  for (const { src } of sources) {
    for (const m of src.code.matchAll(
      /\\(section|subsection|subsubsection)\*?\s*(?:\[[^\]]*\])?\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g,
    )) {
      const title = (m[2] ?? '').replace(/\s+/g, ' ').trim();
      const id = `${m[1]}:${title.toLowerCase()}`;
      const line = lineAt(src, m.index ?? 0);
      const first = headings.get(id);
      if (first)
        issue(
          'duplicate-section',
          `\\${m[1]}{${title}} appears twice (first at ${first.file}:${first.line}); merge the two`,
          src.file,
          line,
        );
      else headings.set(id, { file: src.file, line });
    }
    for (const m of src.code.matchAll(/\\label\s*\{([^}]+)\}/g)) {
      const label = (m[1] ?? '').trim();
      const line = lineAt(src, m.index ?? 0);
      const first = labels.get(label);
      if (first)
        issue(
          'duplicate-label',
          `\\label{${label}} is defined twice (first at ${first.file}:${first.line})`,
          src.file,
          line,
        );
      else labels.set(label, { file: src.file, line });
    }
  }

  for (const { src } of sources) issues.push(...checkBalance(src));
  return issues;
}

/** Unmatched braces and \begin/\end pairs in one file. */
function checkBalance(src: TexSource): CompileIssue[] {
  const issues: CompileIssue[] = [];
  const at = (kind: string, message: string, offset: number) =>
    issues.push({ source: 'precheck', kind, message, file: src.file, line: lineAt(src, offset) });

  const open: number[] = [];
  const code = src.code;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '\\')
      i++; // \{ \} \\ are tokens, not groups
    else if (c === '{') open.push(i);
    else if (c === '}') {
      if (open.length) open.pop();
      else at('unbalanced-braces', 'a } closes a group that was never opened', i);
    }
  }
  for (const i of open.slice(0, 3)) at('unbalanced-braces', 'a { opened here is never closed', i);

  const stack: { name: string; offset: number }[] = [];
  for (const m of code.matchAll(/\\(begin|end)\s*\{([^}]+)\}/g)) {
    const name = (m[2] ?? '').trim();
    const offset = m.index ?? 0;
    if (m[1] === 'begin') {
      stack.push({ name, offset });
      continue;
    }
    const top = stack[stack.length - 1];
    if (top?.name === name) {
      stack.pop();
    } else if (stack.some((s) => s.name === name)) {
      // Environments opened after the one closing here were never closed.
      while (stack.length && stack[stack.length - 1]?.name !== name) {
        const lost = stack.pop();
        if (lost)
          at(
            'unbalanced-environment',
            `\\begin{${lost.name}} is never closed (\\end{${name}} at line ${lineAt(src, offset)} comes first)`,
            lost.offset,
          );
      }
      stack.pop();
    } else {
      at(
        'unbalanced-environment',
        `\\end{${name}} has no matching \\begin{${name}}${top ? ` (the open environment is ${top.name})` : ''}`,
        offset,
      );
    }
  }
  for (const s of stack) at('unbalanced-environment', `\\begin{${s.name}} is never closed`, s.offset);
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

// ------------------------------------------------------------------ one section, as it is written

/**
 * What a section written by the model may refer to: the paper around it. Everything else it
 * names (a key, a label, a figure, a command) is a finding, because each one could stop the
 * build or read what it should not.
 */
export interface SectionContext {
  /** Citation keys the bibliography holds. */
  citeKeys: ReadonlySet<string>;
  /** Labels defined outside this section: the template's, the generated tables' and figures', other sections'. */
  labels: ReadonlySet<string>;
  /** Figure files in the paper folder, by the name \includegraphics gives them (e.g. `val_acc.png`). */
  figures: ReadonlySet<string>;
  /** Files our own code generates that a section may \input (base names, e.g. `results_tables`). */
  inputs: ReadonlySet<string>;
  /** Commands and environments the template defines or its packages add (see `templateVocabulary`). */
  extraCommands?: ReadonlySet<string>;
  extraEnvironments?: ReadonlySet<string>;
  /** Longest body accepted, in characters. */
  maxChars: number;
  /** The results tables are made by code: this section must not typeset numbers in a table of its own. */
  noTables?: boolean;
  /** Every finding, not at most five of each kind (for comparing two versions of a document). */
  listAll?: boolean;
}

/** Commands whose argument is a name (file, key, label, URL), not text: `_` in it is literal. */
const ARGUMENT_NAMES =
  /^(includegraphics|label|ref|eqref|pageref|autoref|nameref|cref|Cref|input|include|url|href|bibliography|[A-Za-z]*cite[a-zA-Z]*)$/;

/** Findings of one kind beyond this many are counted, not listed (the repair prompt stays short). */
const MAX_PER_KIND = 5;

/**
 * Commands a section may use: text markup, references, floats, tables and the math of amsmath and
 * amssymb. A section's LaTeX is untrusted, so this is an allow-list, not a deny-list: a command
 * missing here is a finding (usually it would be an undefined control sequence anyway).
 */
const SECTION_COMMANDS = new Set(
  `
textbf textit texttt textsc textsf textrm textup textmd textnormal textsl emph underline mbox makebox fbox
framebox parbox raisebox footnote footnotemark footnotetext item subsection subsection*
subsubsection paragraph subparagraph caption label ref eqref pageref includegraphics
centering raggedright raggedleft noindent indent par newline linebreak nolinebreak pagebreak nopagebreak
newpage clearpage smallskip medskip bigskip vspace hspace vfill hfill hfil quad qquad enspace thinspace
small footnotesize scriptsize tiny large Large LARGE huge Huge normalsize bfseries itshape ttfamily rmfamily
sffamily scshape upshape mdseries slshape normalfont em ldots dots cdots vdots ddots textasciitilde
textasciicircum textbackslash textbar textless textgreater textendash textemdash textquoteleft
textquoteright textquotedblleft textquotedblright textbullet textdegree textperiodcentered texttimes
textpm textsuperscript textsubscript S P dag ddag copyright pounds LaTeX TeX today ensuremath hline
cline multicolumn resizebox scalebox rotatebox rule textwidth linewidth columnwidth textheight
paperwidth phantom hphantom vphantom c v u H r k t d b i j l L o O ss ae AE oe OE aa AA
frac dfrac tfrac sqrt sum prod coprod int iint iiint oint lim limsup liminf max min arg sup inf exp log ln lg
sin cos tan sinh cosh tanh det dim ker hom deg gcd Pr mathrm mathbf mathit mathcal mathbb mathsf mathtt
mathfrak boldsymbol text textnormal operatorname left right big Big bigg Bigg bigl bigr Bigl Bigr
biggl biggr middle cdot times div pm mp leq geq le ge neq ne approx sim simeq cong equiv propto ll gg lesssim
gtrsim leqslant geqslant prec succ preceq succeq in notin ni subset subseteq supset supseteq subsetneq cup
cap bigcup bigcap setminus emptyset varnothing forall exists nexists neg lnot land lor wedge vee to
rightarrow leftarrow longrightarrow longleftarrow Rightarrow Leftarrow Longrightarrow leftrightarrow
Leftrightarrow uparrow downarrow mapsto implies iff infty partial nabla alpha beta gamma delta epsilon
varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho varrho sigma varsigma tau
upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega hat bar tilde
widetilde widehat vec dot ddot overline underbrace overbrace overrightarrow langle rangle lfloor rfloor
lceil rceil lVert rVert lvert rvert Vert vert top bot intercal star ast circ bullet odot oplus otimes
ominus ell hbar Re Im aleph prime mid nmid parallel perp angle triangle square blacksquare checkmark
displaystyle textstyle scriptstyle limits nolimits binom tbinom dbinom pmod bmod mod substack stackrel
overset underset xrightarrow xleftarrow tag nonumber notag intertext colon dagger ddagger lbrace rbrace
backslash surd diamond not
`
    .split(/\s+/)
    .filter(Boolean),
);

/** Environments a section may open. */
const SECTION_ENVIRONMENTS = new Set(
  `itemize enumerate description equation equation* align align* alignat alignat* gather gather* multline
multline* split aligned gathered alignedat cases matrix pmatrix bmatrix vmatrix Vmatrix smallmatrix array
table table* figure figure* tabular tabular* center flushleft flushright quote quotation verse minipage
math displaymath eqnarray eqnarray* verbatim verbatim*`
    .split(/\s+/)
    .filter(Boolean),
);
const MATH_ENVIRONMENTS = new Set(
  'equation equation* align align* alignat alignat* gather gather* multline multline* eqnarray eqnarray* math displaymath'.split(
    ' ',
  ),
);
/** Environments in which `&` separates cells or alignment points. */
const ALIGN_ENVIRONMENTS = new Set(
  'tabular tabular* array align align* alignat alignat* aligned alignedat split matrix pmatrix bmatrix vmatrix Vmatrix smallmatrix cases eqnarray eqnarray*'.split(
    ' ',
  ),
);

/** Commands with a reason of their own: what they would do in a paper whose text is untrusted. */
const FORBIDDEN_COMMANDS: Record<string, string> = {
  input: 'reads a file',
  include: 'reads a file',
  includeonly: 'changes which files are read',
  InputIfFileExists: 'reads a file',
  openin: 'reads a file',
  read: 'reads a file',
  readline: 'reads a file',
  write: 'writes a file or runs a shell command (\\write18)',
  immediate: 'writes a file or runs a shell command',
  openout: 'writes a file',
  closeout: 'writes a file',
  newwrite: 'writes a file',
  special: 'sends raw code to the PDF driver',
  catcode: 'changes how TeX reads characters',
  uccode: 'changes how TeX reads characters',
  lccode: 'changes how TeX reads characters',
  def: 'defines or redefines a command',
  edef: 'defines or redefines a command',
  gdef: 'defines or redefines a command',
  xdef: 'defines or redefines a command',
  let: 'redefines a command',
  futurelet: 'redefines a command',
  newcommand: 'defines a command',
  renewcommand: 'redefines a command',
  providecommand: 'defines a command',
  DeclareRobustCommand: 'defines a command',
  newenvironment: 'defines an environment',
  renewenvironment: 'redefines an environment',
  csname: 'builds a command name at run time',
  expandafter: 'changes the order TeX expands commands in',
  loop: 'can loop forever',
  usepackage: 'loads a package (the preamble is the template’s)',
  RequirePackage: 'loads a package',
  documentclass: 'starts a document',
  makeatletter: 'exposes LaTeX internals',
  makeatother: 'exposes LaTeX internals',
  end: 'ends the document',
  title: 'sets the title (made by code)',
  author: 'sets the authors',
  maketitle: 'typesets the title (the template does)',
  bibliography: 'adds the bibliography (the template does)',
  bibliographystyle: 'sets the bibliography style (the template does)',
};
const HEADINGS = new Set(['section', 'section*', 'chapter', 'chapter*', 'part', 'part*']);

/** Packages the templates may load, and the commands and environments they add. */
const PACKAGE_VOCABULARY: Record<string, { commands?: string; environments?: string }> = {
  booktabs: { commands: 'toprule midrule bottomrule cmidrule addlinespace specialrule' },
  subcaption: { commands: 'subcaptionbox subref', environments: 'subfigure subtable' },
  hyperref: { commands: 'url href nolinkurl autoref nameref' },
  url: { commands: 'url' },
  xspace: { commands: 'xspace' },
  mathrsfs: { commands: 'mathscr' },
  multirow: { commands: 'multirow' },
  xcolor: { commands: 'textcolor color colorbox' },
  color: { commands: 'textcolor color colorbox' },
  siunitx: { commands: 'SI si num ang' },
  algorithmic: {
    commands:
      'State If ElsIf Else EndIf For ForAll EndFor While EndWhile Return Require Ensure Comment STATE IF ENDIF FOR ENDFOR',
    environments: 'algorithmic',
  },
  algpseudocode: {
    commands:
      'State If ElsIf Else EndIf For ForAll EndFor While EndWhile Return Require Ensure Comment Function EndFunction Procedure EndProcedure',
    environments: 'algorithmic',
  },
  algorithm: { environments: 'algorithm' },
  amsthm: { commands: 'qedhere', environments: 'proof' },
  tabularx: { environments: 'tabularx' },
  cleveref: { commands: 'cref Cref' },
  mathtools: { commands: 'coloneqq eqqcolon mathclap' },
  bm: { commands: 'bm' },
  wrapfig: { environments: 'wrapfigure' },
};

/**
 * The commands and environments a template's preamble adds to the allow-list: those it defines
 * (\newcommand, \DeclareMathOperator, \newtheorem …) and those of the packages it loads.
 */
export function templateCommands(tex: string): { commands: Set<string>; environments: Set<string> } {
  const code = stripComments(tex);
  const commands = new Set<string>();
  const environments = new Set<string>();
  for (const m of code.matchAll(
    /\\(?:(?:re)?newcommand|providecommand|DeclareMathOperator|DeclareRobustCommand)\*?\s*\{?\\([A-Za-z]+)/g,
  ))
    commands.add(m[1] ?? '');
  for (const m of code.matchAll(/\\(?:g|e|x)?def\s*\\([A-Za-z]+)|\\let\s*\\([A-Za-z]+)/g))
    commands.add(m[1] ?? m[2] ?? '');
  for (const m of code.matchAll(/\\(?:newenvironment|newtheorem)\*?\s*\{([^}]+)\}/g)) {
    environments.add((m[1] ?? '').trim());
    environments.add(`${(m[1] ?? '').trim()}*`);
  }
  for (const m of code.matchAll(/\\usepackage\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g)) {
    for (const pkg of (m[1] ?? '').split(',')) {
      const v = PACKAGE_VOCABULARY[pkg.trim()];
      for (const c of v?.commands?.split(' ') ?? []) commands.add(c);
      for (const e of v?.environments?.split(' ') ?? []) environments.add(e);
    }
  }
  commands.delete('');
  return { commands, environments };
}

/** Labels a document defines (`\label{…}`), comments and verbatim skipped. */
export function definedLabels(tex: string): string[] {
  return [...texSource('', tex).code.matchAll(/\\label\s*\{([^}]+)\}/g)].map((m) => (m[1] ?? '').trim());
}

// Characters pdflatex reads with inputenc utf8 and T1 fonts; any other non-ASCII character stops it
// ("Unicode character … not set up for use with LaTeX").
const TYPESET_UNICODE = /[\u00a0-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022]/;

/**
 * Checks one section body as the model wrote it, before it joins the paper: balanced braces,
 * environments and math; no stray `&`, `_`, `^`, `#` or `%`; only known citation keys, labels
 * and figure files; only allowed commands and environments (no file reads or writes, no
 * definitions); no characters pdflatex cannot typeset; at most `maxChars` characters.
 * `name` becomes the findings' `file`; lines count from the body's first line.
 */
export function checkSection(name: string, body: string, ctx: SectionContext): CompileIssue[] {
  const src = texSource(name, body);
  const found: CompileIssue[] = [];
  // Offsets into the body, the verbatim-blanked body or the comment-stripped code: all three have
  // the same lines, so a line number is the newlines before the offset in the string it came from.
  const issue = (kind: string, message: string, offset?: number, basis = src.code) =>
    found.push({
      source: 'precheck',
      kind,
      message,
      file: name,
      ...(offset !== undefined ? { line: basis.slice(0, offset).split('\n').length } : {}),
    });

  if (body.length > ctx.maxChars)
    issue('too-long', `the section has ${body.length} characters; keep it under ${ctx.maxChars}`);
  found.push(...checkBalance(src));
  const text = blankVerbatim(body);
  scanSpecials(text, (kind, message, offset) => issue(kind, message, offset, text));

  const code = src.code;
  const own = new Set<string>();
  for (const m of code.matchAll(/\\label\s*\{([^}]*)\}/g)) {
    const label = (m[1] ?? '').trim();
    if (ctx.labels.has(label) || own.has(label))
      issue('duplicate-label', `\\label{${label}} is already defined in the paper; use a new label`, m.index);
    own.add(label);
  }
  for (const m of code.matchAll(/\\(?:ref|eqref|pageref|autoref|nameref|cref|Cref)\*?\s*\{([^}]*)\}/g)) {
    for (const label of (m[1] ?? '').split(',').map((l) => l.trim())) {
      if (label && !ctx.labels.has(label) && !own.has(label))
        issue(
          'undefined-reference',
          `\\ref{${label}}: no such label; the labels are ${listed([...ctx.labels, ...own])}`,
          m.index,
        );
    }
  }
  for (const m of code.matchAll(CITE)) {
    for (const key of (m[1] ?? '').split(',').map((k) => k.trim())) {
      if (key && key !== '*' && !ctx.citeKeys.has(key))
        issue(
          'undefined-citation',
          `\\cite key ${key} is not in the bibliography; cite only ${listed([...ctx.citeKeys])}`,
          m.index,
        );
    }
  }
  for (const m of code.matchAll(/\\includegraphics\s*\*?\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}/g)) {
    const target = (m[1] ?? '').trim();
    if (outside(target)) {
      issue('path-outside-paper', `figure ${target} is outside the paper folder`, m.index);
    } else if (!GRAPHICS_EXTENSIONS.some((ext) => ctx.figures.has(normalise(target + ext)))) {
      issue(
        'missing-figure',
        `figure file ${target} does not exist; the figures are ${listed([...ctx.figures])}`,
        m.index,
      );
    }
  }

  for (const { name: star, at } of commandsOf(code)) {
    const cmd = star.replace(/\*$/, '');
    if (cmd === 'begin' || (cmd === 'end' && !/^\s*\{\s*document\s*\}/.test(code.slice(at + 4)))) continue;
    if (HEADINGS.has(star) || HEADINGS.has(cmd)) {
      issue(
        'section-heading',
        `\\${star}: the section's heading is added by code; use \\subsection inside it`,
        at,
      );
    } else if (cmd === 'input' || cmd === 'include') {
      const arg = /^\s*\{([^}]*)\}/
        .exec(code.slice(at + 1 + star.length))?.[1]
        ?.trim()
        .replace(/\.tex$/, '');
      if (arg === undefined || !ctx.inputs.has(arg))
        issue(
          'forbidden-command',
          `\\${cmd}${arg !== undefined ? `{${arg}}` : ''} reads a file; a section may read only ${listed([...ctx.inputs])}`,
          at,
        );
    } else if (FORBIDDEN_COMMANDS[cmd] !== undefined && !ctx.extraCommands?.has(cmd)) {
      issue('forbidden-command', `\\${cmd} ${FORBIDDEN_COMMANDS[cmd]}: not allowed in a section`, at);
    } else if (
      !SECTION_COMMANDS.has(star) &&
      !SECTION_COMMANDS.has(cmd) &&
      !ctx.extraCommands?.has(cmd) &&
      !/^(no|paren|text|auto|foot|super)?[Cc]ite[a-zA-Z]*$/.test(cmd)
    ) {
      issue(
        'unknown-command',
        `\\${cmd} is not a command this paper defines; use standard LaTeX or plain words`,
        at,
      );
    }
  }
  for (const m of code.matchAll(/\\begin\s*\{([^}]*)\}/g)) {
    const env = (m[1] ?? '').trim();
    if (env === 'document' || env.startsWith('filecontents'))
      issue('forbidden-environment', `\\begin{${env}} is not allowed in a section`, m.index);
    else if (ctx.noTables && /^(tabular|table)\*?$/.test(env))
      issue(
        'retyped-table',
        `\\begin{${env}}: the results tables are made by code from the runs; refer to them by label instead of typing numbers into a table`,
        m.index,
      );
    else if (!SECTION_ENVIRONMENTS.has(env) && !ctx.extraEnvironments?.has(env))
      issue('unknown-environment', `\\begin{${env}} is not an environment this paper defines`, m.index);
  }
  for (const m of body.matchAll(/\^\^/g))
    issue(
      'forbidden-command',
      '^^ writes a character by its code, which can spell any command: not allowed',
      m.index,
      body,
    );
  for (const m of body.matchAll(/[\u{80}-\u{10ffff}]/gu)) {
    if (!TYPESET_UNICODE.test(m[0]))
      issue(
        'unsupported-character',
        `the character ${m[0]} (U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) cannot be typeset; write it in LaTeX (e.g. $\\geq$)`,
        m.index,
        body,
      );
  }
  return ctx.listAll ? found : capPerKind(found);
}

function listed(items: string[]): string {
  const unique = [...new Set(items)].filter(Boolean);
  if (!unique.length) return 'none';
  return unique.slice(0, 12).join(', ') + (unique.length > 12 ? ', …' : '');
}

function capPerKind(found: CompileIssue[]): CompileIssue[] {
  const sorted = [...found].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const count = new Map<string, number>();
  const out: CompileIssue[] = [];
  for (const f of sorted) {
    const n = (count.get(f.kind) ?? 0) + 1;
    count.set(f.kind, n);
    if (n <= MAX_PER_KIND) out.push(f);
  }
  for (const [kind, n] of count) {
    if (n > MAX_PER_KIND)
      out.push({
        source: 'precheck',
        kind,
        message: `${n - MAX_PER_KIND} more of the same kind (${kind})`,
        file: found[0]?.file,
      });
  }
  return out;
}

/**
 * Characters that mean something outside math or alignment: `&` outside a tabular or align, `_`
 * and `^` outside math, `#` anywhere, `%` right after a number or word (a percent sign that
 * comments out the rest of the line), and `$`, `\(`, `\[` left open.
 */
function scanSpecials(text: string, issue: (kind: string, message: string, offset: number) => void): void {
  let dollar: { display: boolean; at: number } | undefined;
  let bracket: { at: number } | undefined;
  const envs: string[] = [];
  const inMath = () =>
    dollar !== undefined || bracket !== undefined || envs.some((e) => MATH_ENVIRONMENTS.has(e));
  const inAlign = () => envs.some((e) => ALIGN_ENVIRONMENTS.has(e));
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      const name = /^[A-Za-z]+/.exec(text.slice(i + 1, i + 40))?.[0];
      if (!name) {
        const next = text[i + 1];
        if ((next === '(' || next === '[') && !inMath()) bracket = { at: i };
        else if ((next === ')' || next === ']') && bracket) bracket = undefined;
        i++;
        continue;
      }
      if (ARGUMENT_NAMES.test(name)) {
        // A file name, key or label, where `_` and `%`-free text are literal: skip it whole.
        const arg = /^\s*(?:\[[^\]]*\]\s*){0,2}\{[^{}]*\}/.exec(text.slice(i + 1 + name.length));
        i += name.length + (arg?.[0].length ?? 0);
        continue;
      }
      if (name === 'begin' || name === 'end') {
        const env = /^\s*\{([^}]*)\}/.exec(text.slice(i + 1 + name.length))?.[1]?.trim();
        if (env !== undefined) {
          if (name === 'begin') envs.push(env);
          else if (envs.lastIndexOf(env) >= 0) envs.splice(envs.lastIndexOf(env));
        }
      }
      i += name.length;
      continue;
    }
    if (c === '%') {
      if (/[A-Za-z0-9)]/.test(text[i - 1] ?? ''))
        issue(
          'stray-percent',
          'a % after a number or word starts a comment that hides the rest of the line; write \\% for a percent sign',
          i,
        );
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
      continue;
    }
    if (c === '$') {
      const display = text[i + 1] === '$';
      if (dollar) dollar = undefined;
      else dollar = { display, at: i };
      if (display) i++;
    } else if (c === '&' && !inAlign()) {
      issue(
        'stray-ampersand',
        '& outside a table or alignment stops the build; write \\& for an ampersand',
        i,
      );
    } else if ((c === '_' || c === '^') && !inMath()) {
      issue(
        c === '_' ? 'stray-underscore' : 'stray-caret',
        `${c} outside math stops the build; write \\${c === '_' ? '_' : '^{}'} in text or put it in math ($x${c}i$)`,
        i,
      );
    } else if (c === '#') {
      issue('stray-hash', '# stops the build; write \\# for a number sign', i);
    }
  }
  if (dollar)
    issue('unbalanced-math', `a ${dollar.display ? '$$' : '$'} opened here is never closed`, dollar.at);
  if (bracket) issue('unbalanced-math', 'math opened with \\( or \\[ here is never closed', bracket.at);
}

/** The control words of `code` (`\\name`, with a trailing star), in order; `\\\\` and `\\{` are skipped. */
function* commandsOf(code: string): Generator<{ name: string; at: number }> {
  for (let i = 0; i < code.length; i++) {
    if (code[i] !== '\\') continue;
    const name = /^[A-Za-z]+\*?/.exec(code.slice(i + 1, i + 60))?.[0];
    if (name) {
      yield { name, at: i };
      i += name.length;
    } else i++;
  }
}
