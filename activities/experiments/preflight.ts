/**
 * The campaign's preflight on the main queue, before any model call: the stored template is
 * validated again (what the workers will run is what was stored) and its LaTeX skeleton compiled
 * in the LaTeX sandbox, figures replaced by a placeholder image. The baseline, the other half of
 * the preflight, runs on the GPU queue (runBaseline, cached); for a template that needs a GPU,
 * the campaign first asks whether any worker polls the queue its runs go to (gpuQueuePollers).
 * A broken template ends the campaign here at $0 with its own error.
 */
import { Context } from '@temporalio/activity';
import { InvalidInputError, classified } from '../../lib/errors';
import { keys } from '../../lib/store';
import type { MainPorts } from '../../contracts';
import type { ActivityDeps } from '../deps';
import { compileLatex, formatCompileFeedback } from '../latex';
import { workspaceManifest } from '../workspace';
import { validateStoredTemplate } from './template-source';

// A valid 1×1 PNG: pdflatex reads each figure, so a placeholder has to be a real image.
const PLACEHOLDER_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export function createPreflightActivities(
  deps: ActivityDeps,
): Pick<MainPorts, 'preflightTemplate' | 'gpuQueuePollers'> {
  const { store } = deps;
  return {
    async gpuQueuePollers({ taskQueue }) {
      return classified(async () => {
        const res = await Context.current().client.workflowService.describeTaskQueue({
          namespace: deps.config.temporal.namespace,
          taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ },
          taskQueueType: 2 /* ACTIVITY */,
        });
        const identities = (res.pollers ?? []).map((p) => p.identity ?? '').filter(Boolean);
        return { pollers: (res.pollers ?? []).length, identities };
      });
    },

    async preflightTemplate({ campaignId, template, templateKey }) {
      return classified(async () => {
        const info = await validateStoredTemplate(store, templateKey, template);
        const manifest = await workspaceManifest(store, templateKey);
        const files: Record<string, string> = {};
        for (const [rel, key] of Object.entries(manifest))
          if (rel.startsWith('latex/')) files[rel.slice('latex/'.length)] = key;
        const tex = (await store.get(manifest['latex/template.tex']!)).toString('utf8');
        for (const m of tex.matchAll(/\\includegraphics(?:\[[^\]]*\])?\{([^}]+)\}/g)) {
          const name = m[1]!.trim();
          const file = /\.(png|pdf|jpe?g)$/i.test(name) ? name : `${name}.png`;
          if (!files[file] && /^[A-Za-z0-9_.-]+$/.test(file))
            files[file] = (await store.putContent('cas/file', PLACEHOLDER_PNG)).key;
        }
        const result = await compileLatex(deps, {
          paperId: `preflight-${campaignId}`,
          round: 0,
          files,
          mainFile: 'template.tex',
        });
        if (!result.ok)
          throw new InvalidInputError(
            `template "${template}": its LaTeX skeleton latex/template.tex does not compile (log ${result.logKey}):\n${formatCompileFeedback(result)}`,
          );
        await store.putJson(keys.campaign(campaignId, 'preflight', 'latex.json'), {
          pdfKey: result.pdfKey,
          logKey: result.logKey,
          pageCount: result.pageCount,
        });
        return { pageCount: result.pageCount, warnings: info.warnings };
      });
    },
  };
}
