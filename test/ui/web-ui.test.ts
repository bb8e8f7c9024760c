/**
 * The Temporal Web UI in a real headless Chromium (Debian's package, driven by playwright-core):
 * an operator finds a paper by our custom search attributes, opens it, sees its summary and its
 * pending activity, and steers it with a signal sent from the UI; the workflow's `status` query
 * then shows the note. Screenshots of each step land in <data dir>/test-artifacts/ui/.
 *
 * The paper is the production paper workflow with stub activities; its first experiment run
 * blocks (heartbeating) until the test releases it, so the UI has a pending activity to show.
 * Selectors are the UI's data-testids, roles and visible texts (UI 2.54, from the pinned
 * Temporal CLI); a failing step saves `failure-<step>.png` next to the other screenshots.
 */
import { accessSync, constants, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { DEFAULT_PAPER_SETTINGS, type GpuPorts, paperStatusQuery, SA } from '../../contracts';
import type { PaperInput } from '../../workflows';
import { startStubWorkers, suiteConfig, uniqueId } from '../harness';
import { fakePorts } from '../pipeline/fake-ports';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

const config = suiteConfig('ui');
const UI = config.temporal.uiUrl;
const NAMESPACE = encodeURIComponent(config.temporal.namespace);
const ARTIFACTS = path.join(config.dataDir, 'test-artifacts', 'ui');
const STEER = 'stop tuning the learning rate, try weight decay';

/** Polls `probe` until it returns something other than undefined/false; fails with `what`. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = `: ${err instanceof Error ? err.message : JSON.stringify(err)}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The GPU stubs, with a first experiment run that blocks until `release()`. */
function blockingGpu(gpu: GpuPorts) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const ports: GpuPorts = {
    ...gpu,
    async runExperiment(i) {
      markStarted();
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        await Promise.race([released, ctx.cancelled]);
      } finally {
        clearInterval(beat);
      }
      return gpu.runExperiment(i);
    },
  };
  return { ports, started, release };
}

/** Column name (the header's test id suffix) → cell text, for one row of the workflow list. */
async function rowValues(page: Page, row: Locator): Promise<Record<string, string>> {
  const prefix = 'workflows-summary-table-header-cell-';
  const headers: string[] = [];
  for (const cell of await page.locator(`[data-testid^="${prefix}"]`).all())
    headers.push(((await cell.getAttribute('data-testid')) ?? '').slice(prefix.length));
  const cells = await row.getByTestId('workflows-summary-table-body-cell').allInnerTexts();
  return Object.fromEntries(headers.map((h, i) => [h, (cells[i] ?? '').trim()]));
}

/** The text of one of the markdown iframes of the User Metadata tab. */
function metadataText(page: Page, id: 'summary' | 'details' | 'current-details'): Promise<string> {
  return page.frameLocator(`#user-metadata-${id}`).locator('body').innerText({ timeout: 5000 });
}

describe('the Temporal Web UI, in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    try {
      accessSync(CHROMIUM, constants.X_OK);
    } catch {
      throw new Error(
        `${CHROMIUM} is missing: the browser test needs Debian's chromium package (bash infra/setup.sh installs it)`,
      );
    }
    const res = await fetch(UI).catch((err: Error) => {
      const why = err.cause instanceof Error ? err.cause.message : err.message;
      throw new Error(`the Temporal Web UI at ${UI} is unreachable (${why}); run npm run services -- up`);
    });
    if (!res.ok) throw new Error(`the Temporal Web UI at ${UI} answered HTTP ${res.status}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const f of readdirSync(ARTIFACTS)) if (f.startsWith('failure-')) rmSync(path.join(ARTIFACTS, f));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('finds a paper by search attribute, shows its summary and pending activity, and steers it by signal', async () => {
    const fake = fakePorts();
    const gpu = blockingGpu(fake.gpu);
    const workers = await startStubWorkers(config, { main: fake.main, gpu: gpu.ports });
    const campaignId = uniqueId('ui');
    const idea = {
      name: 'weightdecay',
      title: 'Grokking faster with weight decay',
      key: 'ideas/weightdecay.json',
      interestingness: 6,
      feasibility: 7,
      novelty: 5,
    };
    const workflowId = `paper-${campaignId}-${idea.name}`;
    const input: PaperInput = {
      campaignId,
      template: 'grokking',
      templateKey: 'templates/grokking/manifest.json',
      idea,
      gpuTaskQueue: config.temporal.gpuTaskQueue,
      settings: { ...DEFAULT_PAPER_SETTINGS, seeds: 1, maxRuns: 1, fast: true },
    };
    const page = await browser.newPage({ viewport: { width: 1920, height: 1200 } });
    page.setDefaultTimeout(30_000);
    page.setDefaultNavigationTimeout(60_000);
    const shot = (name: string) =>
      page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    const t0 = Date.now();
    const timings: string[] = [];
    const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      try {
        const value = await fn();
        timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return value;
      } catch (err) {
        await shot(`failure-${name}`).catch(() => undefined);
        throw new Error(`step "${name}" failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    };

    let handle: WorkflowHandle | undefined;
    try {
      await workers.run(async () => {
        try {
          // ---- a paper started as the campaign starts its papers, stopped at a pending activity
          handle = await workers.client.workflow.start('paperWorkflow', {
            workflowId,
            taskQueue: config.temporal.taskQueue,
            args: [input],
            typedSearchAttributes: [
              { key: SA.kind, value: 'paper' },
              { key: SA.template, value: 'grokking' },
              { key: SA.campaign, value: campaignId },
              { key: SA.stage, value: 'baseline' },
            ],
            memo: { ideaTitle: idea.title },
            staticSummary: `Paper: ${idea.title}`,
            staticDetails: `Idea \`${idea.name}\` of campaign \`${campaignId}\` (template grokking).`,
          });
          await step('pending activity', async () => {
            const ok = await Promise.race([
              gpu.started.then(() => true),
              new Promise<false>((r) => setTimeout(() => r(false), 60_000)),
            ]);
            if (ok) return;
            const pending = (await handle!.describe()).raw.pendingActivities ?? [];
            const seen = pending.map(
              (a) => `${a.activityType?.name}: ${a.lastFailure?.message ?? 'no failure'}`,
            );
            throw new Error(
              `the paper did not reach its first experiment run in 60 s (pending: ${seen.join('; ') || 'none'})`,
            );
          });
          const query = `ScientistKind="paper" AND ScientistCampaign="${campaignId}"`;
          // The list reads the visibility store, which catches up with the workflow's upserts.
          await step('visible', () =>
            eventually('the paper at stage experiments in visibility', async () => {
              for await (const wf of workers.client.workflow.list({ query }))
                if (wf.workflowId === workflowId)
                  return wf.typedSearchAttributes.get(SA.stage) === 'experiments';
              return false;
            }),
          );

          // ---- find it by a custom search attribute, typed into the list's query box
          await step('search', async () => {
            // A short window for the list: the screenshot is the one the README shows.
            await page.setViewportSize({ width: 1920, height: 640 });
            await page.goto(`${UI}/namespaces/${NAMESPACE}/workflows`);
            await page.getByTestId('toggle-manual-query').click();
            const box = page.getByTestId('workflow-manual-search-input');
            await box.fill(query);
            await box.press('Enter');
            await page.waitForURL(/[?&]query=/);
            const rows = page.getByTestId('workflows-summary-configurable-table-row');
            await eventually(
              'exactly our paper in the filtered list',
              async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes(workflowId),
            );
          });
          await step('columns', async () => {
            const rows = page.getByTestId('workflows-summary-configurable-table-row');
            // Show our search attributes as columns (and drop two to make room).
            await page.getByTestId('workflows-summary-table-configuration-button').click();
            for (const c of ['Run ID', 'End'])
              await page.getByTestId(`orderable-list-item-${c}-remove-button`).click();
            for (const c of [SA.kind, SA.template, SA.stage, SA.costUsd])
              await page.getByTestId(`orderable-list-item-${c.name}-add-button`).click();
            await page.getByTestId('drawer-close-button').click();
            const values = await eventually('our search attributes in the row', async () => {
              const v = await rowValues(page, rows.first());
              return v[SA.stage.name] !== undefined && v;
            });
            expect(values).toMatchObject({
              'Workflow ID': workflowId,
              Status: 'RUNNING',
              Type: 'paperWorkflow',
              [SA.kind.name]: 'paper',
              [SA.template.name]: 'grokking',
              [SA.stage.name]: 'experiments',
            });
            expect(values[SA.costUsd.name]).toMatch(/^\d+(\.\d+)?$/);
            await shot('1-search-by-attribute');
            await page.setViewportSize({ width: 1920, height: 1200 });
          });

          // ---- open it; the UI asks the workflow for its signal definitions as the page loads
          const metadataQuery = (r: { url(): string }) =>
            r.url().includes('/query/__temporal_workflow_metadata');
          const metadata = page.waitForResponse(metadataQuery, { timeout: 60_000 });
          metadata.catch(() => undefined); // awaited in the signal step; not unhandled if a step fails first
          await step('open', async () => {
            await page
              .getByTestId('workflows-summary-configurable-table-row')
              .first()
              .getByRole('link', { name: workflowId })
              .first()
              .click();
            await page.waitForURL(new RegExp(`/workflows/${workflowId}/[^/]+/`));
            await eventually('the workflow heading', async () =>
              (await page.getByTestId('workflow-id-heading').innerText()).includes(workflowId),
            );
          });

          // ---- its summary, details and current details
          await step('summary', async () => {
            await page.getByTestId('user-metadata-tab').click();
            await eventually('the static summary', async () =>
              (await metadataText(page, 'summary')).includes(`Paper: ${idea.title}`),
            );
            expect(await metadataText(page, 'details')).toContain(campaignId);
            const current = await eventually('the current details', async () => {
              const text = await metadataText(page, 'current-details');
              return text.includes('Stage: experiments') && text;
            });
            expect(current).toContain('run 1 attempt 1: train');
            // Money shows as money, not as LaTeX math (a bare $ would start it).
            expect(current).toMatch(/Cost: \$\d/);
            await shot('2-summary-and-details');
          });

          // ---- its pending activity, and the activity's summary in the history
          await step('pending', async () => {
            await page.getByTestId('pending-activities-tab').click();
            expect(await page.getByTestId('pending-activities-tab').innerText()).toMatch(
              /Pending Activities\s*1\b/,
            );
            // One card per pending activity: its type as a heading, its state as a badge.
            await page.getByRole('heading', { name: 'runExperiment', exact: true, level: 4 }).waitFor();
            await page.getByTestId('execution-status').filter({ hasText: 'Started' }).waitFor();
            await shot('3-pending-activity');
            await page.getByTestId('history-tab').click();
            await page
              .getByTestId('pending-activity-summary-row')
              .filter({ hasText: 'runExperiment' })
              .waitFor();
            // The activity's summary (stage · step), as the workflow set it when scheduling it.
            await page
              .getByTestId('event-summary-row')
              .filter({ hasText: 'Activity Task Scheduled' })
              .filter({ hasText: 'run 1 attempt 1: train' })
              .waitFor();
          });

          // ---- steer it from the UI: More Actions → Send a Signal
          await step('signal', async () => {
            await metadata;
            await page.getByRole('button', { name: 'More Actions' }).click();
            await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
            const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
            const select = dialog.getByTestId('signal-select-button');
            const name = dialog.getByTestId('signal-name');
            await select.or(name).first().waitFor();
            if (await select.isVisible()) {
              // The workflow declares its signals: pick `steer` from them.
              await select.click();
              await page.getByRole('option', { name: 'steer', exact: true }).click();
            } else {
              await name.fill('steer');
            }
            await dialog.getByRole('textbox', { name: 'Data' }).fill(JSON.stringify(STEER));
            await dialog.getByRole('button', { name: 'Submit' }).click();
            await dialog.waitFor({ state: 'hidden' });
          });

          // ---- the workflow got it: its status query lists the note
          await step('received', async () => {
            const status = await eventually('the steering note in the status query', async () => {
              const st = await handle!.query(paperStatusQuery);
              return st.steering.length > 0 && st;
            });
            expect(status.steering.map((n) => n.text)).toEqual([STEER]);
            expect(Date.parse(status.steering[0]!.at)).toBeGreaterThan(t0 - 60_000);
          });

          // ---- and the UI shows it: the signal in the history, the note in the current details
          await step('shown', async () => {
            // The history tab follows new events by itself (long poll); no reload needed.
            await page
              .getByTestId('event-summary-row')
              .filter({ hasText: 'Workflow Execution Signaled' })
              .filter({ hasText: 'steer' })
              .waitFor();
            await shot('4-history-after-steer');
            await page.getByTestId('user-metadata-tab').click();
            await eventually('the steering note in the current details', async () => {
              if ((await metadataText(page, 'current-details')).includes(STEER)) return true;
              await page.keyboard.press('r'); // the tab's own "press R for freshness"
              return false;
            });
            await shot('5-details-after-steer');
          });
        } finally {
          gpu.release();
          await handle?.terminate('browser test done').catch(() => undefined);
        }
      });
    } finally {
      await page.close();
      await workers.close();
      console.log(`web UI test steps: ${timings.join(', ')}`);
    }
  }, 170_000);
});
