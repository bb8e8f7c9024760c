/**
 * Validating a template already in the store (what loadTemplate and preflightTemplate do with
 * the copy the CLI stored) reads its code, not its data: on the real S3 store, a 3 MiB data file
 * is never fetched, yet the data folder counts as there; a template whose data is missing is
 * still told so.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storeTemplate, validateStoredTemplate } from '../../activities/experiments/template-source';
import { saveWorkspace, workspaceManifest } from '../../activities/workspace';
import type { ArtifactStore } from '../../lib/store';
import { suiteConfig, suiteStore } from '../harness';
import { FIXTURES } from './helpers';

const root = mkdtempSync(path.join(tmpdir(), 'tpl-stored-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The store, counting the keys read from it. */
function counting(store: ArtifactStore): { store: ArtifactStore; read: string[] } {
  const read: string[] = [];
  const wrapped = Object.create(store) as ArtifactStore;
  wrapped.get = (key) => (read.push(key), store.get(key));
  wrapped.getVerified = (key) => (read.push(key), store.getVerified(key));
  return { store: wrapped, read };
}

test('a stored template validates without its data being fetched; code inside the data folder is read', async () => {
  const store = suiteStore(suiteConfig('stored-template'));
  const dir = path.join(root, 'large-data');
  cpSync(path.join(FIXTURES, 'user', 'large-data'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'data', 'points.f32'), Buffer.alloc(3 * 1024 * 1024, 1));
  writeFileSync(path.join(dir, 'data', 'make_points.py'), '# how points.f32 was made\n');
  const { templateKey } = await storeTemplate(store, dir);
  const manifest = await workspaceManifest(store, templateKey);

  const { store: watched, read } = counting(store);
  const info = await validateStoredTemplate(watched, templateKey, 'large-data');
  expect(info.manifest?.data).toEqual([{ path: 'data' }]);
  expect(read).not.toContain(manifest['data/points.f32']);
  expect(read).not.toContain(manifest['data/README.txt']);
  expect(read).toContain(manifest['data/make_points.py']);
  expect(read).toContain(manifest['experiment.py']);
}, 120_000);

test('a data folder left empty is still a problem, with where the data should go', async () => {
  const store = suiteStore(suiteConfig('stored-template'));
  const dir = path.join(FIXTURES, 'user', 'large-data');
  // Stored as is (the CLI would have refused it): every file but a prepared folder's data.
  const files: Record<string, Buffer> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' }))
    if (statSync(path.join(dir, rel)).isFile())
      files[rel.split(path.sep).join('/')] = readFileSync(path.join(dir, rel));
  files['template.json'] = Buffer.from(
    JSON.stringify({ data: [{ path: 'data' }, { path: 'prepared', prepare: 'python prepare.py' }] }),
  );
  const templateKey = await saveWorkspace(store, files);
  await expect(validateStoredTemplate(store, templateKey, 'needs-data')).rejects.toThrow(
    /data "prepared" must be downloaded or prepared first \(python prepare\.py\)/,
  );
}, 120_000);
