/**
 * Stub activities for orchestration tests: deterministic, recording every call, with failures
 * injectable per step. They implement the same ports as the real activities, so the workflows
 * under test are exactly the production workflows.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { RunExperimentResult } from '../../activities/experiments';
import type { GpuPorts, IdeaSummary, MainPorts } from '../../contracts';

const spend = (costUsd = 0.01) => ({ costUsd, inputTokens: 100, outputTokens: 50, calls: 1 });

export interface FakeScript {
  /** Idea names generated in order; a repeated name is archived as a duplicate. */
  ideaNames?: string[];
  /** Ideas judged not novel. */
  notNovel?: string[];
  /** `run_<n>` attempts that fail, by "run_n#attempt". */
  failingRuns?: string[];
  /** Plot attempts that fail. */
  failingPlots?: number[];
  /** Compile rounds that fail. */
  failingCompiles?: number[];
  /** Compile rounds that make a PDF but report warnings (so a fix round follows). */
  warningCompiles?: number[];
  /** The model declares its plan complete before this run. */
  doneBeforeRun?: number;
  costPerCall?: number;
  overall?: number;
  /** Every review comes back unusable. */
  noValidReviews?: boolean;
  /**
   * The figure critique: `skip` (the default: a review model without images), `ok` (every figure
   * passes), or `fix-once` (the first critique asks for a fix, every later one passes).
   */
  figureCritique?: 'skip' | 'ok' | 'fix-once';
  /** Awaited before every stub activity runs: a test can hold the workflow at a chosen step. */
  before?: (activity: string, input: unknown) => Promise<void>;
  /** Activities that fail non-retryably (as a bad configuration would). */
  failing?: string[];
}

export function fakePorts(script: FakeScript = {}) {
  const calls: { name: string; input: unknown }[] = [];
  const record = (name: string, input: unknown) => calls.push({ name, input });
  const names = script.ideaNames ?? ['alpha', 'beta'];
  const archive = new Set<string>();
  const runAttempts = new Map<string, number>();
  const cost = script.costPerCall ?? 0.01;

  const main: MainPorts = {
    async loadTemplate(i) {
      record('loadTemplate', i);
      return {
        templateKey: `templates/${i.template}/manifest.json`,
        seedIdeas: 2,
        archiveKey: 'archive/0.json',
      };
    },
    async preflightTemplate(i) {
      record('preflightTemplate', i);
      return { pageCount: 1, warnings: [] };
    },
    async gpuQueuePollers(i) {
      record('gpuQueuePollers', i);
      return { pollers: 1, identities: ['gpu@fake'] };
    },
    async seedIdeas(i) {
      record('seedIdeas', i);
      return [
        {
          name: 'seed',
          title: 'A seed',
          key: 'ideas/seed.json',
          interestingness: 5,
          feasibility: 5,
          novelty: 5,
        },
      ];
    },
    async generateIdea(i) {
      record('generateIdea', i);
      const name = names[i.index - 1];
      if (!name) return { idea: null, problem: 'no more ideas', spend: spend(cost) };
      const idea: IdeaSummary = {
        name,
        title: `On ${name}`,
        key: `ideas/${name}.json`,
        interestingness: 6,
        feasibility: 7,
        novelty: names.indexOf(name) + 3,
      };
      return { idea, spend: spend(cost) };
    },
    async reflectIdea(i) {
      record('reflectIdea', i);
      return { idea: i.idea, done: i.round >= 2, spend: spend(cost) };
    },
    async archiveIdea(i) {
      record('archiveIdea', i);
      const dup = archive.has(i.idea.name);
      archive.add(i.idea.name);
      return {
        archiveKey: `archive/${archive.size}.json`,
        duplicateOf: dup ? i.idea.name : undefined,
        similarity: dup ? 1 : 0,
      };
    },
    async noveltyRound(i) {
      record('noveltyRound', i);
      if (i.round < 2)
        return { decision: 'undecided', query: `query ${i.idea.name}`, historyKey: 'h', spend: spend(cost) };
      return {
        decision: script.notNovel?.includes(i.idea.name) ? 'not-novel' : 'novel',
        historyKey: 'h',
        spend: spend(cost),
      };
    },
    /** As the real one: the template's key. Only papers started before paper-no-prepare-workspace call it. */
    async prepareWorkspace(i) {
      record('prepareWorkspace', i);
      return { workspace: i.templateKey };
    },
    async planEdit(i) {
      record('planEdit', i);
      if (script.doneBeforeRun !== undefined && i.run >= script.doneBeforeRun)
        return { status: 'done', workspace: i.workspace, spend: spend(cost) };
      return { status: 'edited', workspace: `ws/${i.paperId}/${i.run}.${i.attempt}`, spend: spend(cost) };
    },
    async recordRun(i) {
      record('recordRun', i);
      // The baseline's notes are written by code, not by the model.
      return {
        workspace: `${i.workspace}+notes`,
        spend: i.run === 0 ? { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 } : spend(cost),
      };
    },
    async editPlot(i) {
      record('editPlot', i);
      return { workspace: `${i.workspace}+plot${i.attempt}`, status: 'edited', spend: spend(cost) };
    },
    async runPlot(i) {
      record('runPlot', i);
      const ok = !script.failingPlots?.includes(i.attempt);
      return { ok, figureKeys: ok ? ['fig/a.png'] : [], stderrTail: ok ? '' : 'NameError: plt' };
    },
    async describeFigures(i) {
      record('describeFigures', i);
      return { workspace: i.workspace, spend: spend(cost) };
    },
    async critiqueFigures(i) {
      record('critiqueFigures', i);
      const mode = script.figureCritique ?? 'skip';
      if (mode === 'skip')
        return {
          status: 'skipped',
          note: 'figure critique skipped: local:smollm2-135m-instruct-q4_1 takes no images',
          needsFix: 0,
          critiqued: 0,
          spend: { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 },
        };
      const fix = mode === 'fix-once' && calls.filter((c) => c.name === 'critiqueFigures').length === 1;
      return {
        status: 'critiqued',
        note: `figure critique by openai:gpt-4o: 1 of 1 figure(s) critiqued, ${fix ? 1 : 0} to fix`,
        critiqueKey: `critique/${i.attempt}.json`,
        needsFix: fix ? 1 : 0,
        critiqued: 1,
        spend: spend(cost),
        ...(fix ? { feedback: 'a.png: the legend names run_1 instead of the change it made' } : {}),
      };
    },
    async writeSection(i) {
      record('writeSection', i);
      return { draftKey: `draft/${i.section}-${i.phase}`, spend: spend(cost) };
    },
    async citationRound(i) {
      record('citationRound', i);
      return { draftKey: `${i.draftKey}+c${i.round}`, done: i.round >= 3, added: 1, spend: spend(cost) };
    },
    async compilePaper(i) {
      record('compilePaper', i);
      if (script.failingCompiles?.includes(i.round))
        return {
          ok: false,
          logKey: 'log',
          feedback: 'Undefined control sequence \\foo at line 3',
          pageCount: 0,
        };
      return {
        ok: true,
        pdfKey: `pdf/${i.round}.pdf`,
        textKey: `pdf/${i.round}.txt`,
        logKey: 'log',
        feedback: script.warningCompiles?.includes(i.round) ? 'Overfull \\hbox in paragraph at line 9' : '',
        pageCount: 4,
      };
    },
    async fixLatex(i) {
      record('fixLatex', i);
      return { draftKey: `${i.draftKey}+fix${i.round}`, spend: spend(cost) };
    },
    async reviewPaper(i) {
      record('reviewPaper', i);
      if (script.noValidReviews) return { reviewKey: null, spend: spend(cost) };
      return {
        reviewKey: `review/${i.round}/${i.reviewer}`,
        overall: script.overall ?? 5,
        spend: spend(cost),
      };
    },
    async metaReview(i) {
      record('metaReview', i);
      const overall = script.overall ?? 5;
      return {
        metaKey: `meta/${i.round}`,
        overall,
        decision: overall >= i.threshold ? 'Accept' : 'Reject',
        scores: { overall },
        spend: spend(cost),
      };
    },
    async revisePaper(i) {
      record('revisePaper', i);
      return { draftKey: `${i.draftKey}+revised`, spend: spend(cost) };
    },
    async checkIntegrity(i) {
      record('checkIntegrity', i);
      const reportKey = `integrity/${i.round}.json`;
      return {
        summary: {
          verdict: 'clean',
          numbers: 0,
          traced: 0,
          flags: 0,
          unsupported: [],
          manifests: 1,
          fixRound: i.fixRound,
          reportKey,
        },
        draftKey: `${i.draftKey}+report`,
      };
    },
    async fixClaims(i) {
      record('fixClaims', i);
      return { draftKey: i.draftKey, changed: false, spend: spend(cost) };
    },
    async checkCitations(i) {
      record('checkCitations', i);
      return {
        draftKey: i.draftKey,
        changed: false,
        reportKey: 'integrity/citations.json',
        status: '0 of 0 cited entries resolved against the literature',
        // No citing sentence to put to a model: no call.
        spend: { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 },
      };
    },
    async recordSeeds(i) {
      record('recordSeeds', i);
      return { workspace: i.workspace, seeds: i.seedInfoKeys.length + 1 };
    },
  };

  const result = (runName: string): RunExperimentResult => ({
    runName,
    outcome: 'ok',
    exitCode: 0,
    durationMs: 10,
    finalInfo: { x_plus_y: { means: { val_acc: 0.9 } } },
    finalInfoKey: `runs/${runName}/final_info.json`,
    metrics: { 'x_plus_y.val_acc': 0.9 },
    logKey: `runs/${runName}/log`,
    outputKeys: { [`${runName}/final_info.json`]: `runs/${runName}/final_info.json` },
    resumedFromStep: null,
    gpu: null,
  });
  const gpu: GpuPorts = {
    async runBaseline(i) {
      record('runBaseline', i);
      return { ...result('run_0'), cached: false, baselineHash: 'h' };
    },
    async runExperiment(i) {
      record('runExperiment', i);
      const attempt = (runAttempts.get(i.runName) ?? 0) + 1;
      runAttempts.set(i.runName, attempt);
      if (script.failingRuns?.includes(`${i.runName}#${attempt}`)) {
        // As the real activity does: code at fault fails non-retryably, details for the coder.
        throw ApplicationFailure.create({
          type: 'SandboxExitCode',
          message: `${i.runName} exited with 1`,
          nonRetryable: true,
          details: [
            {
              runName: i.runName,
              outcome: 'failed',
              exitCode: 1,
              durationMs: 10,
              stderrTail: 'RuntimeError: shape mismatch',
              logKey: `runs/${i.runName}/log`,
            },
          ],
        });
      }
      return result(i.runName);
    },
  };
  for (const ports of [main, gpu] as unknown as Record<string, (i: unknown) => Promise<unknown>>[]) {
    for (const [name, fn] of Object.entries(ports)) {
      ports[name] = async (i: unknown) => {
        await script.before?.(name, i);
        if (script.failing?.includes(name))
          throw ApplicationFailure.create({
            type: 'ConfigError',
            message: `${name}: no such model`,
            nonRetryable: true,
          });
        return fn(i);
      };
    }
  }
  return { main, gpu, calls, count: (name: string) => calls.filter((c) => c.name === name).length };
}
