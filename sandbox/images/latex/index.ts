/**
 * The LaTeX sandbox image: TeX Live, latexmk, chktex and poppler-utils, built offline from
 * ./build.sh (debootstrap + docker import) and tagged with a hash of that recipe, like the
 * experiment sandbox image next to it. Kept apart from that image because papers and
 * experiments change at different rates and TeX Live alone is about a gigabyte.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../../../lib/config';
import { ConfigError } from '../../../lib/errors';
import type { Logger } from '../../../lib/log';

export const LATEX_REPOSITORY = 'durable-scientist/latex';
const RECIPE = path.join(__dirname, 'build.sh');

/** `durable-scientist/latex:<first 12 hex of sha256(recipe)>`. */
export function localLatexTag(): string {
  const hash = createHash('sha256').update(readFileSync(RECIPE)).digest('hex').slice(0, 12);
  return `${LATEX_REPOSITORY}:${hash}`;
}

/** The image papers compile in: SCIENTIST_LATEX_IMAGE, else the local build of the current recipe. */
export function latexImage(config: Config): string {
  return config.latex.image || localLatexTag();
}

async function exists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the local LaTeX image if it is missing (about 3 minutes, once per recipe change), then
 * removes older builds of it. A configured image is only checked, never built.
 */
export async function ensureLatexImage(docker: Docker, config: Config, log: Logger): Promise<string> {
  const tag = latexImage(config);
  if (await exists(docker, tag)) return tag;
  if (config.latex.image) {
    throw new ConfigError(
      `LaTeX image ${tag} (SCIENTIST_LATEX_IMAGE) is not on this Docker engine; load or pull it first`,
    );
  }
  log.info(`building LaTeX image ${tag} with debootstrap (a few minutes, once per recipe change)`);
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [RECIPE, tag], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`LaTeX image build failed (exit ${code})`)),
    );
  });
  log.info(`built ${tag} in ${Math.round((Date.now() - t0) / 1000)} s`);
  for (const img of await docker.listImages({ filters: { reference: [LATEX_REPOSITORY] } })) {
    if (!(img.RepoTags ?? []).includes(tag)) {
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  return tag;
}
