/**
 * Where a template comes from and how it gets into the store: `scientist run --template <name |
 * path>` names a folder of templates/ or any folder on disk; it is validated, copied into the
 * store as a content-addressed workspace (its key, a hash of every file, is the template's
 * identity), within a size budget, and what was left out is reported with the reason, never
 * silently. Data files of any size within the budget are stored content-addressed like the code.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../../lib/errors';
import type { ArtifactStore } from '../../lib/store';
import { saveWorkspace, type WorkspaceFiles } from '../workspace';
import type { WorkspaceManifest } from '../../contracts';
import { EDITABLE_NAME, validateTemplate, type TemplateInfo } from './template';
import { dataFolders } from './template-data';
import { checkManifest, fetchWorkspace } from './workspace';
import { workspaceManifest } from '../workspace';

/** How much of a template is copied into the store. */
export interface TemplateBudget {
  /** Largest single file (bytes). */
  fileBytes: number;
  /** All files together (bytes). */
  totalBytes: number;
  /** Number of files. */
  files: number;
}

/** Data sets are often hundreds of MB; anything larger belongs in a prepared data folder. */
export const DEFAULT_TEMPLATE_BUDGET: TemplateBudget = {
  fileBytes: 512 * 1024 * 1024,
  totalBytes: 1024 * 1024 * 1024,
  files: 5000,
};

/** What a template's copy into the store kept and left out. */
export interface TemplateCopyReport {
  template: string;
  /** The folder read (links to the folder itself resolved). */
  dir: string;
  files: number;
  bytes: number;
  /** Files of more than 2 MiB that were stored (content-addressed, like every file). */
  large: { path: string; bytes: number }[];
  /** What was not copied, and why. */
  left: { path: string; bytes?: number; reason: string }[];
  budget: TemplateBudget;
}

const LARGE_FILE_BYTES = 2 * 1024 * 1024;

/**
 * The folder a `--template` argument names: a bare name is a folder of `templatesDir`; anything
 * with a slash (or `.`/`~` at the start) is a path, relative to `cwd`.
 */
export function resolveTemplateDir(ref: string, templatesDir: string, cwd = process.cwd()): string {
  if (!ref.trim()) throw new InvalidInputError('--template needs a template name or a folder');
  const home = process.env.HOME ?? '';
  if (ref === '~' || ref.startsWith('~/')) return path.resolve(home, ref.slice(2));
  if (ref.includes('/') || ref.startsWith('.')) return path.resolve(cwd, ref);
  return path.join(templatesDir, ref);
}

/**
 * Reads a template folder within `budget`: regular files only (links inside are never followed),
 * no hidden entries, Python caches or earlier run folders. Returns the files and the report.
 */
export async function readTemplateTree(
  info: Pick<TemplateInfo, 'name' | 'dir'>,
  budget: TemplateBudget = DEFAULT_TEMPLATE_BUDGET,
): Promise<{ files: WorkspaceFiles; report: TemplateCopyReport }> {
  const files: WorkspaceFiles = {};
  const report: TemplateCopyReport = {
    template: info.name,
    dir: info.dir,
    files: 0,
    bytes: 0,
    large: [],
    left: [],
    budget,
  };
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(info.dir, rel), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.name.startsWith('.')) report.left.push({ path: child, reason: 'hidden entry' });
      else if (e.name === '__pycache__') report.left.push({ path: child, reason: 'Python cache' });
      else if (/^run_\d+$/.test(e.name) && !rel)
        report.left.push({ path: child, reason: "an earlier run's output (the baseline runs again)" });
      else if (e.isSymbolicLink())
        report.left.push({ path: child, reason: 'a link (links inside a template are not followed)' });
      else if (e.isDirectory()) await walk(child);
      else if (!e.isFile()) report.left.push({ path: child, reason: 'not a regular file' });
      else {
        const bytes = (await lstat(path.join(info.dir, child))).size;
        const reason =
          bytes > budget.fileBytes
            ? `larger than the ${mb(budget.fileBytes)} per-file budget`
            : report.bytes + bytes > budget.totalBytes
              ? `over the ${mb(budget.totalBytes)} budget for the whole template`
              : report.files >= budget.files
                ? `over the ${budget.files}-file budget`
                : undefined;
        if (reason) {
          report.left.push({ path: child, bytes, reason });
          continue;
        }
        files[child] = await readFile(path.join(info.dir, child));
        report.files += 1;
        report.bytes += bytes;
        if (bytes > LARGE_FILE_BYTES) report.large.push({ path: child, bytes });
      }
    }
  };
  await walk('');
  return { files, report };
}

const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MiB`;

/** The report in a few lines for a person: what was stored, what was left out and why. */
export function formatCopyReport(r: TemplateCopyReport): string {
  const lines = [
    `template ${r.template}: ${r.files} files (${(r.bytes / 1024 / 1024).toFixed(1)} MiB) stored from ${r.dir}`,
  ];
  for (const f of r.large)
    lines.push(`  stored large file ${f.path} (${(f.bytes / 1024 / 1024).toFixed(1)} MiB)`);
  for (const f of r.left)
    lines.push(`  left out ${f.path}${f.bytes !== undefined ? ` (${f.bytes} bytes)` : ''}: ${f.reason}`);
  return lines.join('\n');
}

export interface StoredTemplate {
  /** The content-addressed workspace key: the template's identity. */
  templateKey: string;
  info: TemplateInfo;
  report: TemplateCopyReport;
  /** The report, stored beside the template. */
  reportKey: string;
}

/**
 * Validates the folder (every problem in one InvalidInputError) and stores it. A file the code
 * needs that the budget left out fails here, not in a run: experiment.py and the other required
 * files must all be stored.
 */
export async function storeTemplate(
  store: ArtifactStore,
  dir: string,
  budget: TemplateBudget = DEFAULT_TEMPLATE_BUDGET,
): Promise<StoredTemplate> {
  const info = await validateTemplate(dir);
  const { files, report } = await readTemplateTree(info, budget);
  const templateKey = await saveWorkspace(store, files);
  const reportKey = (
    await store.putContent('cas/template-report', JSON.stringify(report, null, 1), {
      contentType: 'application/json',
    })
  ).key;
  return { templateKey, info, report, reportKey };
}

/**
 * Validates a template already in the store (as stored by the CLI): fetched into a temp folder,
 * all but its data. Validation only sees that a data folder is there and not empty, so each data
 * file is an empty stand-in instead of a download (a template's data can be gigabytes); code and
 * notes inside a data folder are fetched, as validation reads them.
 */
export async function validateStoredTemplate(
  store: ArtifactStore,
  templateKey: string,
  name: string,
): Promise<TemplateInfo> {
  const root = await mkdtemp(path.join(tmpdir(), 'ds-template-'));
  try {
    const dir = path.join(root, name);
    const manifest = await workspaceManifest(store, templateKey);
    checkManifest(manifest);
    const folders = await dataFolders(store, manifest);
    const fetched: WorkspaceManifest = {};
    for (const [rel, key] of Object.entries(manifest)) {
      const inData = folders.some((f) => rel.startsWith(`${f}/`));
      if (!inData || EDITABLE_NAME.test(path.posix.basename(rel))) fetched[rel] = key;
      else {
        const file = path.join(dir, ...rel.split('/'));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, '');
      }
    }
    await fetchWorkspace(store, fetched, dir);
    return await validateTemplate(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
