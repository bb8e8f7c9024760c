/**
 * `template.json`: the optional manifest a template may carry for what its code alone cannot say.
 * Every field is optional; a template without the file runs with its own defaults.
 *
 *   {
 *     "fast": { "env": { "SCIENTIST_FAST": "1" }, "args": ["--num_iters", "200"] },
 *     "editable": ["experiment.py", "plot.py", "models/*.py"],
 *     "data": [{ "path": "data", "prepare": "python data/make_corpus.py" }],
 *     "metrics": ["final_val_loss", "final_val_acc"],
 *     "gpu": { "minCapability": "8.0" }
 *   }
 *
 * - fast: what the fast mode (`scientist run --fast`) adds to `python experiment.py --out_dir run_N`:
 *   environment variables and extra arguments. Without a manifest, a template whose code reads
 *   SCIENTIST_FAST has a fast mode; any other has none (and the validator warns once).
 * - editable: the files (globs over the template's relative paths) the coding model may edit.
 * - data: data folders shipped with the template, or to be prepared before the first run
 *   (`prepare` says how); a folder that is missing or empty while `prepare` is given makes the
 *   template invalid, with the path where the prepared data should go.
 * - metrics: the metric names final_info.json is expected to report.
 * - gpu: the code needs a GPU (`true`), optionally of at least a CUDA compute capability; its
 *   runs go only to GPU workers that have one (contracts/gpu-routing.ts).
 */
import { z } from 'zod';
import { CUDA_CAPABILITY_LEVELS, type GpuNeed } from '../../contracts';

export const TEMPLATE_MANIFEST_FILE = 'template.json';

/** A relative path inside the template: no leading slash, no `..`, plain characters. */
const RelPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_.*\-/]+$/, 'a relative path inside the template');

/** Environment names the sandbox accepts: upper-case settings, never a secret-looking name. */
const EnvName = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'an upper-case environment variable name');

export const TemplateManifest = z
  .object({
    fast: z
      .object({
        env: z.record(EnvName, z.string().max(200)).default({}),
        args: z.array(z.string().max(200)).max(40).default([]),
      })
      .strict()
      .optional(),
    editable: z.array(RelPath).max(100).optional(),
    data: z
      .array(z.object({ path: RelPath, prepare: z.string().max(500).optional() }).strict())
      .max(20)
      .optional(),
    metrics: z.array(z.string().min(1).max(100)).max(100).optional(),
    gpu: z
      .union([z.boolean(), z.object({ minCapability: z.enum(CUDA_CAPABILITY_LEVELS).optional() }).strict()], {
        error: `must be true, false or {"minCapability": "<CUDA compute capability>"} with one of ${CUDA_CAPABILITY_LEVELS.join(', ')}`,
      })
      .optional(),
  })
  .strict();
export type TemplateManifest = z.infer<typeof TemplateManifest>;

/**
 * Reads template.json's text; problems (bad JSON, unknown or mistyped fields) are pushed to
 * `problems` with the field's path, and undefined comes back.
 */
export function parseTemplateManifest(text: string, problems: string[]): TemplateManifest | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    problems.push(`${TEMPLATE_MANIFEST_FILE} is not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
  const parsed = TemplateManifest.safeParse(json);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    problems.push(
      `${TEMPLATE_MANIFEST_FILE}: ${issue.path.length ? `"${issue.path.join('.')}" ` : ''}${issue.message}`,
    );
  return undefined;
}

/** The fast mode's additions to the command and environment, from a workspace's template.json. */
export function fastModeOf(manifestText: string | undefined): {
  env: Record<string, string>;
  args: string[];
} {
  if (manifestText === undefined) return { env: {}, args: [] };
  const m = parseTemplateManifest(manifestText, []);
  return { env: m?.fast?.env ?? {}, args: m?.fast?.args ?? [] };
}

/** What the manifest says the code needs: a GPU (and its capability), or undefined for none. */
export function gpuNeedOf(manifest: TemplateManifest | undefined): GpuNeed | undefined {
  const gpu = manifest?.gpu;
  if (gpu === undefined || gpu === false) return undefined;
  return gpu === true || gpu.minCapability === undefined ? {} : { minCapability: gpu.minCapability };
}
