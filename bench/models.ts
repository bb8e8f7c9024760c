/**
 * Models bench: the whole main job (`infra/start.sh`, the quick grokking campaign) on a model
 * configuration, measured from what the job itself recorded:
 *   - per model and role: calls, prompt tokens (and how many came from reused model state),
 *     reply tokens, model seconds, reply tokens/s (from the stored transcripts);
 *   - experiment edits that applied (and in which format) and whose run then ran, plot edits
 *     that applied and ran, sections that passed the section check, valid reviews (from the
 *     paper's Temporal history and its final draft);
 *   - the wall time of the whole job after set-up, and the machine's load beside it (the cores
 *     may be shared: figures on a busy machine are slower than alone).
 *
 *   npm run bench -- models              the offline default (Qwen2.5-Coder-1.5B for ideas and code)
 *   npm run bench -- models smollm2      every role on SmolLM2-135M (the fallback, and the tests' model)
 *   npm run bench -- models analyse <campaign workflow id> [wall seconds]   measure a finished job
 *   npm run bench -- models edit [model] [attempts]   only the experiment stage's first run: the
 *     real activities (template, seed idea, cached baseline, planEdit, runExperiment in the
 *     sandbox) outside a workflow, up to `attempts` edits (default 2) on `model` (default
 *     local:qwen2.5-coder-1.5b) — edits that apply and run, in minutes rather than a whole job
 *
 * The report goes to stdout as Markdown and to .data/bench/models-<campaign>.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { loadProcessConfig, type Config } from '../lib/config';
import { PROJECT_ROOT } from '../lib/paths';
import { S3ArtifactStore, type ArtifactStore } from '../lib/store';
import { connectClient } from '../lib/temporal';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGpuActivities, createMainActivities } from '../activities';
import { realDeps } from '../workers/create-worker';

interface RoleFigures {
  model: string;
  role: string;
  calls: number;
  promptTokens: number;
  reusedPromptTokens: number;
  replyTokens: number;
  seconds: number;
}

export interface ModelsReport {
  configuration: string;
  campaignId: string;
  papers: string[];
  wallSeconds?: number;
  load: { before?: number[]; after: number[]; cores: number };
  roles: RoleFigures[];
  edits: { attempts: number; applied: number; formats: Record<string, number>; ran: number };
  plotEdits: { attempts: number; applied: number; formats: Record<string, number>; ran: number };
  templatePlotFallback: boolean;
  sections: { total: number; passed: number; degraded: Record<string, string>; unreadable?: boolean };
  reviews: { total: number; valid: number; overall: number[] };
  pdf: boolean;
}

type Completed = { type: string; input: unknown; result: unknown };

/** Every completed activity of a workflow, with its decoded input and result, in order. */
async function activities(client: Client, workflowId: string): Promise<Completed[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, { type: string; input: unknown }>();
  const out: Completed[] = [];
  const decode = (p?: temporal.api.common.v1.IPayloads | null) =>
    p?.payloads?.[0] ? defaultPayloadConverter.fromPayload(p.payloads[0]) : undefined;
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', input: decode(s.input) });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const from = scheduled.get(String(c.scheduledEventId));
      if (from) out.push({ ...from, result: decode(c.result) });
    }
  }
  return out;
}

async function childWorkflows(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
    .filter((id): id is string => Boolean(id));
}

interface StoredTranscript {
  request?: { role?: string; resolvedModel?: { provider: string; model: string } };
  response?: {
    usage?: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
    latencyMs?: number;
  };
}

/** Per model and role, from every transcript stored under the campaign's and papers' prefixes. */
async function roleFigures(store: ArtifactStore, prefixes: string[]): Promise<RoleFigures[]> {
  const rows = new Map<string, RoleFigures>();
  for (const prefix of prefixes) {
    for (const obj of await store.list(prefix)) {
      if (!obj.key.endsWith('.json')) continue;
      let t: StoredTranscript;
      try {
        t = await store.getJson<StoredTranscript>(obj.key);
      } catch {
        continue;
      }
      const usage = t.response?.usage;
      const ref = t.request?.resolvedModel;
      if (!usage || !ref || !t.request?.role) continue;
      const model = `${ref.provider}:${ref.model}`;
      const k = `${model}|${t.request.role}`;
      const row = rows.get(k) ?? {
        model,
        role: t.request.role,
        calls: 0,
        promptTokens: 0,
        reusedPromptTokens: 0,
        replyTokens: 0,
        seconds: 0,
      };
      row.calls++;
      row.promptTokens += usage.inputTokens;
      row.reusedPromptTokens += usage.cachedInputTokens;
      row.replyTokens += usage.outputTokens;
      row.seconds += (t.response?.latencyMs ?? 0) / 1000;
      rows.set(k, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.model.localeCompare(b.model) || a.role.localeCompare(b.role));
}

const get = (o: unknown, k: string): unknown =>
  o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
/** The edit's format; results from before formats were reported are search/replace edits. */
const formatOf = (result: unknown): string => {
  const f = get(result, 'format');
  return typeof f === 'string' ? f : 'search-replace';
};

export async function analyse(
  config: Config,
  campaignId: string,
  configuration: string,
  wallSeconds?: number,
  loadBefore?: number[],
): Promise<ModelsReport> {
  const client = await connectClient(config);
  const store = S3ArtifactStore.fromConfig(config);
  const papers = await childWorkflows(client, campaignId);
  const report: ModelsReport = {
    configuration,
    campaignId,
    papers,
    wallSeconds,
    load: { before: loadBefore, after: loadavg(), cores: cpus().length },
    roles: await roleFigures(store, [`campaigns/${campaignId}/`, ...papers.map((p) => `papers/${p}/`)]),
    edits: { attempts: 0, applied: 0, formats: {}, ran: 0 },
    plotEdits: { attempts: 0, applied: 0, formats: {}, ran: 0 },
    templatePlotFallback: false,
    sections: { total: 0, passed: 0, degraded: {} },
    reviews: { total: 0, valid: 0, overall: [] },
    pdf: false,
  };
  for (const paper of papers) {
    const done = await activities(client, paper);
    let lastDraft: string | undefined;
    for (const a of done) {
      const status = get(a.result, 'status');
      if (a.type === 'planEdit' && status !== 'done') {
        report.edits.attempts++;
        if (status === 'edited') {
          report.edits.applied++;
          const f = formatOf(a.result);
          report.edits.formats[f] = (report.edits.formats[f] ?? 0) + 1;
        }
      }
      if (a.type === 'runExperiment' && get(a.result, 'outcome') === 'ok') report.edits.ran++;
      if (a.type === 'editPlot') {
        report.plotEdits.attempts++;
        if (status === 'edited') {
          report.plotEdits.applied++;
          const f = formatOf(a.result);
          report.plotEdits.formats[f] = (report.plotEdits.formats[f] ?? 0) + 1;
        }
      }
      if (a.type === 'runPlot' && get(a.result, 'ok') === true) {
        // The template's own plot.py runs (attempt 0) only after every edit failed.
        if (Number(get(a.input, 'attempt')) >= 1) report.plotEdits.ran++;
        else report.templatePlotFallback = true;
      }
      if (a.type === 'writeSection') lastDraft = String(get(a.result, 'draftKey'));
      if (a.type === 'reviewPaper') {
        report.reviews.total++;
        if (get(a.result, 'reviewKey')) {
          report.reviews.valid++;
          const overall = get(a.result, 'overall');
          if (typeof overall === 'number') report.reviews.overall.push(overall);
        }
      }
      if (a.type === 'compilePaper' && get(a.result, 'pdfKey')) report.pdf = true;
    }
    if (lastDraft) {
      const draft = await store
        .getJson<{ sections: Record<string, string>; degraded?: Record<string, string> }>(lastDraft)
        .catch(() => undefined);
      if (!draft) {
        report.sections.unreadable = true;
        continue;
      }
      const names = Object.keys(draft.sections).filter((s) => draft.sections[s]!.trim() !== '');
      report.sections.total += names.length;
      const degraded = draft.degraded ?? {};
      report.sections.passed += names.filter((s) => !(s in degraded)).length;
      Object.assign(report.sections.degraded, degraded);
    }
  }
  await client.connection.close();
  return report;
}

export function markdown(r: ModelsReport): string {
  const fmt = (n: number, d = 0) => n.toFixed(d);
  const formats = (f: Record<string, number>) =>
    Object.entries(f)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ') || 'none';
  const lines = [
    `### ${r.configuration} (${r.campaignId})`,
    '',
    `wall time of the main job after set-up: ${r.wallSeconds !== undefined ? `${fmt(r.wallSeconds / 60, 1)} min` : 'not measured here'}; load average (1/5/15 min) before ${r.load.before?.map((x) => fmt(x, 1)).join('/') ?? '?'}, after ${r.load.after.map((x) => fmt(x, 1)).join('/')} on ${r.load.cores} cores`,
    '',
    '| model | role | calls | prompt tokens | of them reused | reply tokens | model s | reply tokens/s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.roles.map(
      (x) =>
        `| ${x.model} | ${x.role} | ${x.calls} | ${x.promptTokens} | ${x.reusedPromptTokens} | ${x.replyTokens} | ${fmt(x.seconds)} | ${x.seconds ? fmt(x.replyTokens / x.seconds, 1) : '–'} |`,
    ),
    '',
    `- experiment edits: ${r.edits.applied} of ${r.edits.attempts} applied (${formats(r.edits.formats)}); runs after an edit that ran: ${r.edits.ran}`,
    `- plot edits: ${r.plotEdits.applied} of ${r.plotEdits.attempts} applied (${formats(r.plotEdits.formats)}); edited plot.py that ran: ${r.plotEdits.ran}${r.templatePlotFallback ? '; the template plot.py made the figures' : ''}`,
    `- sections passing the section check: ${r.sections.unreadable ? '(final draft not in this store) ' : ''}${r.sections.passed} of ${r.sections.total}${Object.keys(r.sections.degraded).length ? ` (typeset as plain text: ${Object.keys(r.sections.degraded).join(', ')})` : ''}`,
    `- valid reviews: ${r.reviews.valid} of ${r.reviews.total} (overall ${r.reviews.overall.join(', ') || '–'}); PDF: ${r.pdf ? 'yes' : 'no'}`,
  ];
  return lines.join('\n');
}

export interface EditBenchReport {
  model: string;
  load: { before: number[]; after: number[]; cores: number };
  attempts: {
    status: string;
    format?: string;
    ran?: string;
    seconds: number;
    promptTokens: number;
    reusedPromptTokens: number;
    replyTokens: number;
    feedback?: string;
  }[];
}

/** The experiment stage's first run with real activities, outside a workflow. */
export async function editBench(
  config: Config,
  model: string,
  maxAttempts: number,
): Promise<EditBenchReport> {
  const deps = realDeps(config, 'bench-models');
  const main = createMainActivities(deps);
  const gpu = createGpuActivities(deps);
  // The activities heartbeat and read their context: the SDK's activity environment gives them one.
  const env = new MockActivityEnvironment();
  const act = <O>(fn: () => Promise<O>): Promise<O> => env.run(fn);
  const campaignId = `bench-models-edit-${Date.now().toString(36)}`;
  const paperId = `paper-${campaignId}`;
  const before = loadavg();
  const loaded = await act(() => main.loadTemplate({ campaignId, template: 'grokking' }));
  const [idea] = await act(() => main.seedIdeas({ campaignId, templateKey: loaded.templateKey }));
  if (!idea) throw new Error('grokking has no seed idea');
  // The template's files are a content-addressed workspace already: the paper starts from them.
  let workspace = loaded.templateKey;
  const baseline = await act(() => gpu.runBaseline({ templateName: 'grokking', workspace, fast: true }));
  ({ workspace } = await act(() =>
    main.recordRun({ paperId, idea, run: 0, workspace, result: { ...baseline, stderrTail: '' } }),
  ));
  const report: EditBenchReport = { model, load: { before, after: [], cores: cpus().length }, attempts: [] };
  let feedback: string | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const t0 = Date.now();
    const edit = await act(() =>
      main.planEdit({
        paperId,
        idea,
        run: 1,
        maxRuns: 1,
        attempt,
        workspace,
        feedback,
        steering: [],
      }),
    );
    const t = edit.transcriptKey ? await deps.store.getJson<StoredTranscript>(edit.transcriptKey) : undefined;
    const row: EditBenchReport['attempts'][number] = {
      status: edit.status,
      format: edit.format,
      seconds: (Date.now() - t0) / 1000,
      promptTokens: t?.response?.usage?.inputTokens ?? 0,
      reusedPromptTokens: t?.response?.usage?.cachedInputTokens ?? 0,
      replyTokens: t?.response?.usage?.outputTokens ?? 0,
    };
    report.attempts.push(row);
    if (edit.status !== 'edited') {
      feedback = edit.feedback;
      row.feedback = feedback?.slice(0, 300);
      continue;
    }
    // A run that fails throws (as in the workflow): its message is the next attempt's feedback.
    const ran = await act(() =>
      gpu.runExperiment({
        paperId,
        runName: 'run_1',
        templateName: 'grokking',
        workspace: edit.workspace,
        fast: true,
      }),
    ).then(
      (r) => ({ outcome: r.outcome, error: '' }),
      (err: unknown) => ({ outcome: 'failed', error: err instanceof Error ? err.message : String(err) }),
    );
    row.ran = ran.outcome;
    if (ran.outcome === 'ok') break;
    feedback = `Run 1 ended "${ran.outcome}". The end of its error output:\n${ran.error.slice(-1500)}`;
    row.feedback = feedback.slice(0, 300);
  }
  report.load.after = loadavg();
  return report;
}

function editMarkdown(r: EditBenchReport): string {
  return [
    `### experiment edits on ${r.model}`,
    '',
    `load average (1/5/15 min) before ${r.load.before.map((x) => x.toFixed(1)).join('/')}, after ${r.load.after.map((x) => x.toFixed(1)).join('/')} on ${r.load.cores} cores`,
    '',
    '| attempt | outcome | format | run | seconds | prompt tokens | of them reused | reply tokens |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.attempts.map(
      (a, i) =>
        `| ${i + 1} | ${a.status} | ${a.format ?? '–'} | ${a.ran ?? '–'} | ${a.seconds.toFixed(0)} | ${a.promptTokens} | ${a.reusedPromptTokens} | ${a.replyTokens} |`,
    ),
    ...r.attempts.filter((a) => a.feedback).map((a) => `\n- feedback: ${a.feedback!.replace(/\n/g, ' ')}`),
  ].join('\n');
}

/** Runs the main job (infra/start.sh) under `env`, returning its wall time in seconds. */
function runMainJob(name: string, env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(PROJECT_ROOT, 'infra', 'start.sh'), '--name', name], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve((Date.now() - t0) / 1000) : reject(new Error(`the main job exited ${code}`)),
    );
  });
}

export async function main(argv: string[] = []): Promise<void> {
  const [mode = 'default', ...rest] = argv;
  if (mode === 'edit') {
    const [model = 'local:qwen2.5-coder-1.5b', attempts = '2'] = rest;
    const config = loadProcessConfig({
      ...process.env,
      SCIENTIST_LLM_CODING: model,
      SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS: process.env.SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS ?? '8192',
    });
    const r = await editBench(config, model, Number(attempts));
    const out = path.join(config.dataDir, 'bench', `models-edit-${Date.now().toString(36)}.json`);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(r, null, 2));
    console.log(editMarkdown(r));
    console.log(`\n(report: ${out})`);
    return;
  }
  const config = loadProcessConfig();
  let report: ModelsReport;
  if (mode === 'analyse') {
    const [campaignId, wall] = rest;
    if (!campaignId)
      throw new Error('usage: npm run bench -- models analyse <campaign workflow id> [wall seconds]');
    report = await analyse(config, campaignId, 'a finished main job', wall ? Number(wall) : undefined);
  } else {
    const configurations: Record<string, { label: string; env: NodeJS.ProcessEnv }> = {
      // infra/start.sh picks the offline default when no model setting is made.
      default: {
        label: 'offline default: ideation + coding on Qwen2.5-Coder-1.5B, the rest on SmolLM2-135M',
        env: {},
      },
      smollm2: { label: 'every role on SmolLM2-135M', env: { SCIENTIST_LLM_DEFAULT: 'local' } },
    };
    const chosen = configurations[mode];
    if (!chosen)
      throw new Error(
        `no configuration "${mode}"; configurations: ${Object.keys(configurations).join(', ')}, or analyse`,
      );
    const name = `bench-models-${mode}-${Date.now().toString(36)}`;
    const before = loadavg();
    const wall = await runMainJob(name, { ...process.env, ...chosen.env });
    report = await analyse(config, `campaign-grokking-${name}`, chosen.label, wall, before);
  }
  const out = path.join(config.dataDir, 'bench', `models-${report.campaignId}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(report, null, 2));
  console.log(markdown(report));
  console.log(`\n(report: ${out})`);
}
