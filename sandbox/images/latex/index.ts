/**
 * The LaTeX sandbox image: TeX Live, latexmk, chktex and poppler-utils, built offline from
 * ./build.sh like the experiment image next to it. Kept apart from that image because papers
 * and experiments change at different rates and TeX Live alone is about a gigabyte.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../../../lib/config';
import type { Logger } from '../../../lib/log';
import { ensureRecipeImage, recipeTag, type RecipeImage } from '../recipe-image';

export const LATEX_REPOSITORY = 'durable-scientist/latex';
const LATEX: RecipeImage = {
  repository: LATEX_REPOSITORY,
  recipe: path.join(__dirname, 'build.sh'),
  label: 'LaTeX image',
  setting: 'SCIENTIST_LATEX_IMAGE',
};

/** `durable-scientist/latex:<first 12 hex of sha256(recipe)>`. */
export function localLatexTag(): string {
  return recipeTag(LATEX);
}

/** The image papers compile in: SCIENTIST_LATEX_IMAGE, else the local build of the current recipe. */
export function latexImage(config: Config): string {
  return config.latex.image || localLatexTag();
}

/** Builds the local LaTeX image if missing (a few minutes, once per recipe change). */
export function ensureLatexImage(docker: Docker, config: Config, log: Logger): Promise<string> {
  return ensureRecipeImage(docker, LATEX, config.latex.image, log);
}
