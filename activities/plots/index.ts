/**
 * Plots: run the (model-edited) plot.py over every run's results in a CPU sandbox, keep the
 * figures, and have the model describe each figure in notes.txt for the write-up; each
 * description becomes its figure's caption (figures.json), for the figures code places.
 */
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import type { MainPorts } from '../../contracts';
import { sandboxImage, sandboxLimits, type SandboxRunner } from '../../sandbox';
import type { Ask } from '../research/ask';
import { loadWorkspace, updateWorkspace } from '../workspace';
import { CAPTIONS_FILE, figureCaptions } from '../writeup/figures';

export interface PlotDeps {
  config: Config;
  store: ArtifactStore;
  sandbox: SandboxRunner;
  ask: Ask;
}

const PLOT_TIMEOUT_MS = 5 * 60_000;
const STDERR_CHARS = 1500;

export function createPlotActivities({
  config,
  store,
  sandbox,
  ask,
}: PlotDeps): Pick<MainPorts, 'runPlot' | 'describeFigures'> {
  return {
    async runPlot({ paperId, attempt, workspace }) {
      return classified(async () => {
        const ctx = Context.current();
        const files = await loadWorkspace(store, workspace, (p) => p === 'plot.py' || /^run_\d+\//.test(p));
        const work = await mkdtemp(path.join(tmpdir(), 'ds-plot-'));
        try {
          await chmod(work, 0o777);
          for (const [rel, body] of Object.entries(files)) {
            await mkdir(path.dirname(path.join(work, rel)), { recursive: true });
            await writeFile(path.join(work, rel), body);
          }
          const result = await sandbox.run({
            runId: `${paperId}-plot-${attempt}-${ctx.info.attempt}`,
            image: sandboxImage(config),
            command: ['python3', 'plot.py'],
            workDir: work,
            limits: sandboxLimits(config, {
              timeoutMs: PLOT_TIMEOUT_MS,
              memoryMB: Math.min(config.sandbox.memoryMB, 2048),
            }),
            signal: ctx.cancellationSignal,
          });
          await store.put(keys.paper(paperId, 'plots', `attempt-${attempt}`, 'plot.log'), result.log);
          const pngs = (await readdir(work)).filter((f) => f.endsWith('.png')).sort();
          if (result.outcome !== 'ok' || pngs.length === 0) {
            const why =
              result.outcome !== 'ok' ? `plot.py ended "${result.outcome}"` : 'plot.py wrote no .png file';
            return {
              ok: false,
              figureKeys: [],
              stderrTail: `${why}\n${result.stderrTail.slice(-STDERR_CHARS)}`,
            };
          }
          const figureKeys: string[] = [];
          for (const png of pngs) {
            figureKeys.push(
              (await store.put(keys.paper(paperId, 'plots', png), await readFile(path.join(work, png)))).key,
            );
          }
          return { ok: true, figureKeys, stderrTail: '' };
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      });
    },

    async describeFigures({ paperId, workspace, figureKeys }) {
      return classified(async () => {
        const figures: Record<string, Buffer> = {};
        for (const key of figureKeys) figures[`figures/${path.basename(key)}`] = await store.get(key);
        const withFigures = await updateWorkspace(store, workspace, figures);
        const files = await loadWorkspace(store, withFigures, (p) => p === 'plot.py' || p === 'notes.txt');
        const transcriptKey = keys.paper(paperId, 'plots', 'describe.json');
        const res = await ask({
          role: 'writing',
          transcriptKey,
          system: 'You are an expert ML researcher writing precise figure descriptions for a paper.',
          context: [
            { name: 'plot.py', text: files['plot.py']?.toString() ?? '', priority: 1 },
            { name: 'notes.txt', text: files['notes.txt']?.toString() ?? '', priority: 2 },
          ],
          prompt: [
            `plot.py produced these figures: ${Object.keys(figures)
              .map((f) => path.basename(f))
              .join(', ')}.`,
            'For each figure, write its file name and a description of what it shows and what it means for the results, in detail: someone will write the paper from these notes. Plain text.',
          ].join('\n\n'),
        });
        const notes = `${files['notes.txt']?.toString() ?? ''}\n## Figures\n${res.text.trim()}\n`;
        // Each figure's caption, from the description that names it: code places the figures.
        const captions = figureCaptions(res.text, Object.keys(figures));
        return {
          workspace: await updateWorkspace(store, withFigures, {
            'notes.txt': notes,
            [CAPTIONS_FILE]: `${JSON.stringify(captions, null, 1)}\n`,
          }),
          spend: res.spend,
          transcriptKey,
        };
      });
    },
  };
}
