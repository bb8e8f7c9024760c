/**
 * The compile stage's activities: `compilePaper` assembles the draft into the template and
 * compiles it in the LaTeX sandbox (./compile.ts); `fixLatex` has the writing model fix the
 * document from the compiler's structured feedback (its words in ./prompts.ts). Once a fix has
 * touched the assembled document, `draft.tex` is the source of truth (activities/writeup/document.ts).
 *
 * The document always compiles when the template does: the results tables and the figures are
 * generated here (from final_info.json and plot.py's figures), a figure file that does not exist
 * becomes a framed note, a fix that would add a forbidden command or unbalance the document is
 * refused (./hazards.ts), and when TeX still stops, the part its error points to is typeset as
 * plain text (then, if need be, every part) and the paper compiles again — each such part is
 * recorded in the draft's `degraded` list, which the compile result reports.
 */
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import type { SandboxRunner } from '../../sandbox';
import type { MainPorts } from '../../contracts';
import { resultsStatementLatex } from '../integrity/gate';
import { isManifestPath, manifestsOf, setupLatex } from '../integrity/setup';
import type { Ask } from '../research/ask';
import { loadWorkspace, type WorkspaceFiles } from '../workspace';
import {
  embeddedBibliography,
  GENERATED_INPUTS,
  partAtLine,
  partOf,
  replacePart,
  type Draft,
} from '../writeup/assemble';
import { documentOf, documentText, editDocument, type DraftWithTex } from '../writeup/document';
import { CAPTIONS_FILE, figuresLatex } from '../writeup/figures';
import { resultsTablesLatex, tableFeatures } from '../writeup/results';
import { compileLatex } from './compile';
import { compileNeedsFix, formatCompileFeedback } from './feedback';
import { escapeText, isPlainText, plainTextSection } from './plain';
import { bibliographyKeys, fixLatexPrompt } from './prompts';
import type { CompileLatexResult } from './types';

export interface CompilePaperDeps {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  log: Logger;
  ask: Ask;
}

export function createCompileActivities(
  deps: CompilePaperDeps,
): Pick<MainPorts, 'compilePaper' | 'fixLatex'> {
  const { store, ask } = deps;

  /** The files the paper is compiled from: the template, its other latex/ files, figures, results. */
  async function paperSources(workspace: string): Promise<PaperSources> {
    const files = await loadWorkspace(
      store,
      workspace,
      (p) =>
        p.startsWith('figures/') ||
        p.startsWith('latex/') ||
        p === CAPTIONS_FILE ||
        isManifestPath(p) ||
        /^run_\d+\/final_info\.json$/.test(p),
    );
    const template = files['latex/template.tex']?.toString() ?? '';
    const assets: Record<string, Buffer> = {};
    const figures: string[] = [];
    const unreadable: string[] = [];
    for (const [rel, body] of Object.entries(files)) {
      if (rel.startsWith('latex/') && rel !== 'latex/template.tex') assets[rel.slice(6)] = body;
      if (!rel.startsWith('figures/')) continue;
      const name = path.basename(rel);
      // Figures sit beside the .tex (templates' \graphicspath may also point elsewhere); a name
      // TeX or the compile stage's path check cannot take is left out, not allowed to stop the build.
      if (FIGURE_FILE.test(name)) {
        assets[name] = body;
        figures.push(name);
      } else unreadable.push(name);
    }
    let captions: Record<string, string> = {};
    try {
      captions = JSON.parse(files[CAPTIONS_FILE]?.toString() ?? '{}') as Record<string, string>;
    } catch {
      captions = {};
    }
    return {
      template,
      assets,
      figures: figures.sort(),
      unreadable,
      captions,
      tables: withStatement(resultsTablesLatex(files, tableFeatures(template)), resultsStatementLatex(files)),
      setup: setupLatex(
        manifestsOf(files),
        tableFeatures(template).booktabs,
        deps.config.integrity.computeRatio,
      ),
      results: files,
    };
  }

  return {
    async compilePaper({ paperId, round, draftKey, workspace }) {
      return classified(async () => {
        const ctx = Context.current();
        const src = await paperSources(workspace);
        const given = await store.getJson<DraftWithTex>(draftKey);
        let draft = src.unreadable.length
          ? degrade(
              given,
              'figure files',
              `files LaTeX cannot read were left out: ${src.unreadable.join(', ')}`,
            )
          : given;
        let result: CompileLatexResult;
        for (let attempt = 0; ; attempt++) {
          const tex = missingFiguresAsNotes(documentOf(draft, src.template), src.assets);
          const files: Record<string, string> = {};
          const put = async (rel: string, body: string | Buffer) => {
            files[rel] = (await store.putContent('cas/file', body)).key;
          };
          await put('template.tex', tex);
          await put('references.bib', draft.references);
          for (const [rel, body] of Object.entries(src.assets)) await put(rel, body);
          const generated = generatedFiles(draft, src, tex);
          for (const [name, body] of Object.entries(generated)) await put(`${name}.tex`, body);
          result = await compileLatex(
            deps,
            {
              paperId,
              round,
              ...(attempt ? { variant: `contained-${attempt}` } : {}),
              files,
              mainFile: 'template.tex',
            },
            { attempt: ctx.info.attempt, signal: ctx.cancellationSignal },
          );
          if (result.pdfKey || attempt >= MAX_CONTAINMENTS) break;
          const next = contain(draft, tex, result, src.template);
          if (!next) break;
          deps.log.warn('compile failed; a part is typeset as plain text', {
            paperId,
            round,
            error: result.errors[0]?.message,
          });
          draft = next;
        }
        const finalKey =
          draft !== given
            ? (await store.putJson(keys.paper(paperId, 'writeup', `compile-${round}-contained.json`), draft))
                .key
            : draftKey;
        const feedback = compileNeedsFix(result) ? formatCompileFeedback(result) : '';
        return {
          ok: result.ok,
          pdfKey: result.pdfKey,
          textKey: result.textKey,
          logKey: result.logKey,
          feedback,
          pageCount: result.pageCount,
          draftKey: finalKey,
          degraded: Object.entries(draft.degraded ?? {}).map(([part, reason]) => ({ part, reason })),
        };
      });
    },

    async fixLatex({ paperId, round, draftKey, workspace, feedback }) {
      return classified(async () => {
        const draft = await store.getJson<DraftWithTex>(draftKey);
        const tex = await documentText(store, draft, workspace);
        const transcriptKey = keys.paper(paperId, 'compile', `fix-${round}.json`);
        const res = await ask({
          role: 'writing',
          transcriptKey,
          ...fixLatexPrompt({ tex, citeKeys: bibliographyKeys(draft.references), feedback }),
        });
        const edited = await editDocument(store, paperId, `fix-${round}`, draft, tex, res.text);
        // A fix the engine could not apply leaves the draft as it was; the next round tries again.
        return {
          draftKey: 'draftKey' in edited ? edited.draftKey : draftKey,
          spend: res.spend,
          transcriptKey,
        };
      });
    },
  };
}

/** Figure files LaTeX and the compile stage's path check both accept. */
const FIGURE_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.(png|pdf|jpe?g)$/i;
/** Compiles after the first, each with one more part typeset as plain text. */
const MAX_CONTAINMENTS = 4;

interface PaperSources {
  template: string;
  /** Files beside the .tex: the template's latex/ files and the figures, by base name. */
  assets: Record<string, Buffer>;
  /** plot.py's figures (base names), sorted. */
  figures: string[];
  /** Figure files whose names LaTeX cannot read, left out. */
  unreadable: string[];
  captions: Record<string, string>;
  tables: { latex: string; labels: string[] };
  /** The setup paragraph and table from the runs' manifests ('' without any). */
  setup: string;
  results: WorkspaceFiles;
}

function degrade<T extends Draft>(draft: T, part: string, reason: string): T {
  return { ...draft, degraded: { ...draft.degraded, [part]: reason } };
}

/** A framed note where the figure was, for each \includegraphics of a file the paper does not have. */
export function missingFiguresAsNotes(tex: string, assets: Record<string, unknown>): string {
  const have = (target: string) =>
    ['', '.pdf', '.png', '.jpg', '.jpeg'].some(
      (ext) => assets[target + ext] !== undefined || assets[path.posix.basename(target) + ext] !== undefined,
    );
  return tex
    .split('\n')
    .map((line) => {
      // Only the code before a comment: `\%` is text, an unescaped `%` starts the comment.
      const cut = /(?<!\\)(?:\\\\)*%/.exec(line);
      const code = cut ? line.slice(0, cut.index + cut[0].length - 1) : line;
      const fitted = code.replace(
        /\\includegraphics\s*\*?\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}/g,
        (m: string, target: string) =>
          have(target.trim())
            ? m
            : `\\fbox{\\parbox{0.8\\linewidth}{\\centering Figure file \\texttt{${escapeText(target.trim())}} is missing.}}`,
      );
      return fitted + line.slice(code.length);
    })
    .join('\n');
}

/** The results tables followed by the code-made noise-gate paragraph (none without tables). */
function withStatement(tables: { latex: string; labels: string[] }, statement: string) {
  return tables.latex && statement ? { ...tables, latex: `${tables.latex}\n${statement}` } : tables;
}

/** The generated files the results section \input's: the tables and the figures not already in the text. */
function generatedFiles(
  draft: Draft,
  src: PaperSources,
  tex: string,
): Record<(typeof GENERATED_INPUTS)[number], string> {
  const shown = new Set(
    [...tex.matchAll(/^[^%\n]*\\includegraphics\s*\*?\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}/gm)].map((m) =>
      path.posix.basename((m[1] ?? '').trim()),
    ),
  );
  const figures = src.figures.filter((f) => !shown.has(f) && !shown.has(path.basename(f, path.extname(f))));
  // A generated file TeX stopped in (see `contain`) becomes a note saying so.
  const leftOut = (part: string, what: string) =>
    `\\par\\noindent\\fbox{\\parbox{0.9\\linewidth}{${what} left out (${escapeText(draft.degraded?.[part] ?? '')}).}}\\par\n`;
  return {
    results_tables: draft.degraded?.results_tables
      ? leftOut('results_tables', 'The results tables')
      : src.tables.latex,
    figures: draft.degraded?.figures
      ? leftOut('figures', 'The figures')
      : figuresLatex(figures, src.captions),
    setup_manifest: draft.degraded?.setup_manifest ? leftOut('setup_manifest', 'The setup table') : src.setup,
    integrity_report: draft.degraded?.integrity_report
      ? leftOut('integrity_report', 'The integrity report')
      : (draft.appendix ?? ''),
  };
}

/**
 * The draft with the next part typeset as plain text, after a compile that made no PDF: the part
 * the first located error is in; a generated file or the bibliography the error is in; the
 * document's fixes (back to the checked sections); else every section still in LaTeX. Undefined
 * when nothing is left to contain.
 */
function contain(
  draft: DraftWithTex,
  tex: string,
  result: CompileLatexResult,
  template: string,
): DraftWithTex | undefined {
  const err = result.errors.find((e) => e.file && e.line) ?? result.errors[0];
  const why = `LaTeX error: ${(err?.message ?? 'no PDF was made').replace(/\s+/g, ' ').slice(0, 160)}`;
  const file = err?.file ? path.posix.basename(err.file) : undefined;
  const generated = GENERATED_INPUTS.find((g) => file === `${g}.tex`);
  if (generated) return draft.degraded?.[generated] ? undefined : degrade(draft, generated, why);
  if (file?.endsWith('.bbl') && !draft.degraded?.references)
    return degrade(
      { ...draft, references: embeddedBibliography(template) },
      'references',
      `${why} (in the bibliography; only the template's entries are kept)`,
    );
  const part = file === 'template.tex' && err?.line ? partAtLine(tex, err.line) : undefined;
  if (part) {
    const body = draft.tex ? partOf(draft.tex, part) : draft.sections[part];
    if (body !== undefined && !isPlainText(body)) {
      const plain = plainTextSection(body, why);
      if (!draft.tex) return degrade({ ...draft, sections: { ...draft.sections, [part]: plain } }, part, why);
      const tex = replacePart(draft.tex, part, plain);
      if (tex !== undefined) return degrade({ ...draft, tex }, part, why);
    }
  }
  if (draft.tex) {
    const { tex: _dropped, ...sections } = draft;
    return degrade(
      sections,
      'latex fixes',
      `${why}; the paper is assembled from its checked sections instead`,
    );
  }
  const open = Object.keys(draft.sections).filter((name) => !isPlainText(draft.sections[name] ?? ''));
  if (!open.length) return undefined;
  let next: DraftWithTex = { ...draft, sections: { ...draft.sections } };
  for (const name of open) {
    next.sections[name] = plainTextSection(draft.sections[name] ?? '', why);
    next = degrade(next, name, `${why} (the error could not be traced to one part)`);
  }
  return next;
}
