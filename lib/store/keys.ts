/**
 * Where artifacts live. Keys derive from workflow ids and step names only, so a retried
 * activity writes the same key again instead of a new one (idempotence by construction).
 *
 *   campaigns/<campaignId>/…                 ideas, novelty, ranking, outcome
 *   papers/<paperId>/<stage>/<step>/…        prompts, completions, code, logs, figures, PDF
 *   cas/<kind>/<sha256>                      content-addressed blobs (deduplicated)
 *   cache/<kind>/<hash>                      reusable results (baselines, literature queries)
 *   health/<id>/…                            health checks and plumbing tests
 */
import { InvalidInputError } from '../errors';
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=-]*$/;

/** Joins key segments, rejecting any that could escape its folder or be ambiguous. */
export function artifactKey(...segments: (string | number)[]): string {
  return segments
    .map((s) => {
      const seg = String(s);
      if (!SAFE_SEGMENT.test(seg) || seg.includes('..')) {
        throw new InvalidInputError(`unsafe artifact key segment: ${JSON.stringify(seg)}`);
      }
      return seg;
    })
    .join('/');
}

export const keys = {
  campaign: (campaignId: string, ...rest: (string | number)[]) =>
    artifactKey('campaigns', campaignId, ...rest),
  paper: (paperId: string, stage: string, ...rest: (string | number)[]) =>
    artifactKey('papers', paperId, stage, ...rest),
  cas: (kind: string) => artifactKey('cas', kind),
  cache: (kind: string, hash: string) => artifactKey('cache', kind, hash),
  health: (id: string, ...rest: (string | number)[]) => artifactKey('health', id, ...rest),
};
