/**
 * Which of the template's files the coding model sees and may edit in the experiment stage:
 * the globs of template.json's `editable` list when the template has one, else every Python
 * file of the template up to a size bound — never the outputs of runs, the LaTeX folder, the
 * manifest itself or plot.py (the plot stage's) — and always experiment.py and notes.txt. A block that names any other path (outside the
 * workspace, or not editable) is refused by the edit engine.
 */
import { parseTemplateManifest, TEMPLATE_MANIFEST_FILE } from '../experiments/template-manifest';

/** Largest Python file shown and editable by default (a data table in .py is not code to edit). */
export const MAX_EDITABLE_BYTES = 64 * 1024;

/** A glob over relative paths: `*` within one folder, `**` across folders, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const NEVER = (p: string) =>
  /^run_\d+\//.test(p) || p.startsWith('latex/') || p === TEMPLATE_MANIFEST_FILE || p.startsWith('figures/');

export interface EditableFiles {
  /** May this path be written? */
  editable: (path: string) => boolean;
  /** The editable code files to show, experiment.py first, then by path. */
  shown: string[];
  /** Where the list came from, for the model and the logs. */
  source: 'template.json' | 'default';
}

/**
 * The experiment stage's editable files of a workspace (`sizes`: path → bytes of every file;
 * `manifestText`: template.json's text, if the workspace has one).
 */
export function experimentEditable(sizes: Record<string, number>, manifestText?: string): EditableFiles {
  const manifest = manifestText === undefined ? undefined : parseTemplateManifest(manifestText, []);
  const globs = manifest?.editable?.map(globToRegExp);
  // plot.py is the plot stage's file; the experiment stage leaves it alone.
  const code = (p: string) =>
    !NEVER(p) && p !== 'plot.py' && (globs ? globs.some((g) => g.test(p)) : p.endsWith('.py'));
  const editable = (p: string) =>
    p === 'notes.txt' || p === 'experiment.py' || (code(p) && (sizes[p] ?? 0) <= MAX_EDITABLE_BYTES);
  const shown = Object.keys(sizes)
    .filter((p) => p !== 'notes.txt' && editable(p))
    .sort((a, b) => (a === 'experiment.py' ? -1 : b === 'experiment.py' ? 1 : a.localeCompare(b)));
  return { editable, shown, source: globs ? 'template.json' : 'default' };
}
