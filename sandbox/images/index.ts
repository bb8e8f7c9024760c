/**
 * The sandbox images, each built offline from a recipe (mmdebstrap + docker import) and tagged
 * with a hash of it, so it is rebuilt exactly when the recipe changes: the experiment image
 * (./sandbox/build.sh: Python with Debian's PyTorch, NumPy, SciPy, Matplotlib) and the LaTeX
 * image (./latex).
 */
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/log';
import { ensureRecipeImage, recipeTag, type RecipeImage } from './recipe-image';

export const SANDBOX_REPOSITORY = 'durable-scientist/sandbox';
const SANDBOX: RecipeImage = {
  repository: SANDBOX_REPOSITORY,
  recipe: path.join(__dirname, 'sandbox', 'build.sh'),
  label: 'sandbox image',
  setting: 'SCIENTIST_SANDBOX_IMAGE',
};

/** `durable-scientist/sandbox:<first 12 hex of sha256(recipe)>`. */
export function localSandboxTag(): string {
  return recipeTag(SANDBOX);
}

/** The image sandboxes run: the configured one, else the local build of the current recipe. */
export function sandboxImage(config: Config): string {
  return config.sandbox.image || localSandboxTag();
}

/** Builds the local sandbox image if missing (about 2.5 min, ≈ 2 GB); a configured one is only checked. */
export function ensureSandboxImage(docker: Docker, config: Config, log: Logger): Promise<string> {
  return ensureRecipeImage(docker, SANDBOX, config.sandbox.image, log);
}

export { ensureLatexImage, latexImage, localLatexTag, LATEX_REPOSITORY } from './latex';
