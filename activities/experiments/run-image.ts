/**
 * The image a run uses: the sandbox image, or — when the workspace has a requirements.txt — the
 * derived image with those packages (sandbox/images/derived.ts), built on this worker the first
 * time and reused after. The build output is kept in the store beside the image's cache entry.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import type { Config } from '../../lib/config';
import { InvalidInputError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { artifactKey, type ArtifactStore } from '../../lib/store';
import { sandboxImage } from '../../sandbox';
import { ensureDerivedImage, type DerivedImage } from '../../sandbox/images/derived';
import { checkRequirements } from './template';

export interface RunImageEnv {
  config: Config;
  /** Where the build output is kept; unset (the CLI's `template prepare`): not kept. */
  store?: ArtifactStore;
  log: Logger;
  /** Build output as it arrives (heartbeats show its tail). */
  onOutput?: (text: string) => void;
}

/** The requirement lines of a workspace folder's requirements.txt ([] when it has none). */
export async function workspaceRequirements(dir: string): Promise<string[]> {
  const text = await readFile(path.join(dir, 'requirements.txt'), 'utf8').catch(() => null);
  if (text === null) return [];
  const problems: string[] = [];
  const lines = checkRequirements(text, problems);
  if (problems.length) throw new InvalidInputError(problems.join('\n'));
  return lines;
}

/** Ensures the derived image for `requirements` over the configured sandbox image. */
export async function derivedImageFor(env: RunImageEnv, requirements: string[]): Promise<DerivedImage> {
  const { config } = env;
  const derived = await ensureDerivedImage(
    new Docker({ socketPath: config.docker.socketPath }),
    sandboxImage(config),
    requirements,
    {
      pip: config.sandbox.pip,
      indexUrl: config.sandbox.pipIndexUrl,
      workDir: path.join(config.dataDir, 'derived-images'),
      log: env.log,
      onOutput: env.onOutput,
    },
  );
  if (derived.built && env.store)
    await env.store.put(
      artifactKey('cache', 'images', derived.image.replace(/[:/]/g, '-'), 'build.log'),
      derived.log,
      {
        contentType: 'text/plain',
      },
    );
  return derived;
}

/** The image for a run in `dir` (the fetched workspace). */
export async function runImage(env: RunImageEnv, dir: string): Promise<string> {
  const requirements = await workspaceRequirements(dir);
  if (!requirements.length) return sandboxImage(env.config);
  return (await derivedImageFor(env, requirements)).image;
}
