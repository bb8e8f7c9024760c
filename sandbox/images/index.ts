/**
 * The sandbox image: built offline from ./sandbox/build.sh (debootstrap + docker import) and
 * tagged with a hash of its recipe, so it is rebuilt exactly when the recipe changes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/log';

export const SANDBOX_REPOSITORY = 'durable-scientist/sandbox';
const RECIPE = path.join(__dirname, 'sandbox', 'build.sh');

/** `durable-scientist/sandbox:<first 12 hex of sha256(recipe)>`. */
export function localSandboxTag(): string {
  const hash = createHash('sha256').update(readFileSync(RECIPE)).digest('hex').slice(0, 12);
  return `${SANDBOX_REPOSITORY}:${hash}`;
}

/** The image sandboxes run: the configured one, else the local build of the current recipe. */
export function sandboxImage(config: Config): string {
  return config.sandbox.image || localSandboxTag();
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
 * Builds the local sandbox image if it is missing, then removes older builds of the same
 * repository (each is about 2.5 GB). A configured image is only checked, never built.
 */
export async function ensureSandboxImage(docker: Docker, config: Config, log: Logger): Promise<string> {
  const tag = sandboxImage(config);
  if (await imageExists(docker, tag)) return tag;
  if (config.sandbox.image) {
    throw new Error(
      `sandbox image ${tag} (SCIENTIST_SANDBOX_IMAGE) is not on this Docker engine; load or pull it first`,
    );
  }
  log.info(`building sandbox image ${tag} with debootstrap (a few minutes, once per recipe change)`);
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [RECIPE, tag], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`sandbox image build failed (exit ${code})`)),
    );
  });
  log.info(`built ${tag} in ${Math.round((Date.now() - t0) / 1000)} s`);
  for (const img of await docker.listImages({ filters: { reference: [SANDBOX_REPOSITORY] } })) {
    if (!(img.RepoTags ?? []).includes(tag)) {
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  return tag;
}

// The LaTeX image (TeX Live for compiling papers) is built and tagged the same way.
export { ensureLatexImage, latexImage, localLatexTag, LATEX_REPOSITORY } from './latex';
