/**
 * Images built offline from a recipe script (mmdebstrap + docker import, see ./rootfs.sh),
 * tagged with a hash of the recipe and of the shared ./rootfs.sh, so that they are rebuilt
 * exactly when either changes. Shared by the experiment sandbox image and the LaTeX image.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ConfigError } from '../../lib/errors';
import type { Logger } from '../../lib/log';

export interface RecipeImage {
  /** e.g. `durable-scientist/sandbox`. */
  repository: string;
  /** The build script; it takes the tag as its only argument. */
  recipe: string;
  /** What the image is, for messages. */
  label: string;
  /** The setting that names a prebuilt image instead. */
  setting: string;
}

/** What every recipe sources: its edits change every image's tag. */
const SHARED_RECIPE = path.join(__dirname, 'rootfs.sh');

/** `<repository>:<first 12 hex of sha256(recipe, then rootfs.sh)>`. */
export function recipeTag(image: RecipeImage): string {
  const hash = createHash('sha256').update(readFileSync(image.recipe)).update(readFileSync(SHARED_RECIPE));
  return `${image.repository}:${hash.digest('hex').slice(0, 12)}`;
}

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the image of the current recipe if missing, then removes older builds of the same
 * repository (each is hundreds of MB to GB). A configured image is only checked, never built.
 */
export async function ensureRecipeImage(
  docker: Docker,
  image: RecipeImage,
  configured: string,
  log: Logger,
): Promise<string> {
  const tag = configured || recipeTag(image);
  if (await imageExists(docker, tag)) return tag;
  if (configured) {
    throw new ConfigError(
      `${image.label} ${tag} (${image.setting}) is not on this Docker engine; load or pull it first`,
    );
  }
  log.info(`building ${image.label} ${tag} with mmdebstrap (a few minutes, once per recipe change)`);
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [image.recipe, tag], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${image.label} build failed (exit ${code})`)),
    );
  });
  log.info(`built ${tag} in ${Math.round((Date.now() - t0) / 1000)} s`);
  for (const img of await docker.listImages({ filters: { reference: [image.repository] } })) {
    if (!(img.RepoTags ?? []).includes(tag)) {
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  return tag;
}
