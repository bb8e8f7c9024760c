/**
 * One campaign: for one template and model configuration, generate ideas with reflection, check
 * their novelty against the literature, rank them, (optionally) wait for approval, then run the
 * chosen ones as child paper workflows, a few at a time, and collect their outcomes.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  CancellationScope,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import {
  addSpend,
  approveIdeasUpdate,
  artifactsQuery,
  type CampaignSettings,
  type CampaignStatus,
  campaignStatusQuery,
  type ExperimentFailureDetails,
  gpuActivityOptions,
  type GpuNeed,
  type GpuPorts,
  gpuQueueFor,
  noGpuWorkerMessage,
  type IdeaSummary,
  Ledger,
  MAIN_ACTIVITY_OPTIONS,
  type MainPorts,
  pauseSignal,
  resumeSignal,
  SA,
  SKIPPABLE_STAGES,
  type SkippableStage,
  skipStageUpdate,
  type Spend,
  type SteeringNote,
  steerSignal,
} from '../contracts';
import { activityCaller, Control, Stopped, usd } from './control';
import { StageBoard } from './stage-board';
import { paperWorkflow, type PaperOutcome } from './paper';

/**
 * Patch: drain the running papers once continue-as-new is suggested, then continue as new.
 * Histories recorded before it replay without it (test/replay).
 */
export const DRAIN_BEFORE_CONTINUE_AS_NEW = 'campaign-drain-before-continue-as-new';

/**
 * Patch: before the first model call, the template's preflight (its LaTeX skeleton compiles and
 * its baseline runs, cached for the papers); a broken template ends the campaign at $0.
 */
export const TEMPLATE_PREFLIGHT = 'campaign-template-preflight';

/**
 * Patch: with `runUndecided`, ideas whose novelty check ended undecided become papers after the
 * novel ones (before it, undecided always counted as not novel).
 */
export const RUN_UNDECIDED = 'campaign-run-undecided';

/**
 * Patch: a template whose template.json says it needs a GPU has its runs (baseline and papers)
 * sent to the queue only GPU workers poll (contracts/gpu-routing.ts); the preflight ends the
 * campaign at $0 when no worker polls it.
 */
export const GPU_ROUTING = 'campaign-gpu-routing';

export interface CampaignInput {
  /** The template's name (a folder of templates/, or the last part of the path the CLI was given). */
  template: string;
  /** The template as the CLI stored it (content-addressed workspace); unset: the worker reads templates/<template>. */
  templateKey?: string;
  gpuTaskQueue: string;
  settings: CampaignSettings;
  /** The model configuration, e.g. `default=openai:gpt-4o review=anthropic:…` (a search attribute). */
  models?: string;
  /** Carried over continue-as-new. */
  carried?: CampaignCarry;
}

/** What a campaign that continued as new has already done, and what operators told it. */
export interface CampaignCarry {
  templateKey: string;
  ranked: RankedIdea[];
  outcomes: PaperOutcome[];
  costByStage: Record<string, Spend>;
  /** The chosen ideas (after approval), so the gate is not asked again. */
  chosen?: string[];
  steering?: SteeringNote[];
  skip?: SkippableStage[];
  budgetUsd?: number;
  paused?: boolean;
  /** The queue the runs go to when the template needs a GPU (GPU_ROUTING); unset: input.gpuTaskQueue. */
  gpuTaskQueue?: string;
}

export interface RankedIdea {
  idea: IdeaSummary;
  novel: boolean;
  /** True when every novelty round ended undecided (absent in histories from before it). */
  undecided?: boolean;
  score: number;
}

export interface CampaignOutcome {
  campaignId: string;
  template: string;
  ideas: RankedIdea[];
  papers: PaperOutcome[];
  cost: Spend;
  costByStage: Record<string, Spend>;
  /** `preflight-failed`: the template did not validate, compile or run its baseline; nothing was spent. */
  state: 'completed' | 'over-budget' | 'no-ideas' | 'cancelled' | 'preflight-failed';
  reason?: string;
}

export type { CampaignStatus };
export { campaignStatusQuery };

/** Ideas rank by novelty first, then by the sum of the model's three scores. */
export function rankIdeas(ideas: RankedIdea[]): RankedIdea[] {
  return [...ideas].sort(
    (a, b) =>
      Number(b.novel) - Number(a.novel) || b.score - a.score || a.idea.name.localeCompare(b.idea.name),
  );
}

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignOutcome> {
  const campaignId = workflowInfo().workflowId;
  const s = input.settings;
  const carried = input.carried;
  const ledger = new Ledger(carried?.budgetUsd ?? s.budgetUsd, carried?.costByStage);
  const skip = new Set<SkippableStage>(carried?.skip ?? []);
  const done: PaperOutcome[] = [...(carried?.outcomes ?? [])];
  const running = new Map<string, Promise<void>>();
  /** Ideas the model proposed that were not ideas, and why (the campaign's status says so). */
  const rejectedIdeas: { index: number; reason: string }[] = [];
  const artifacts: Record<string, string> = {};
  let ranked: RankedIdea[] | undefined = carried?.ranked;
  let approved: string[] | undefined = carried?.chosen;
  const status = {
    stage: 'ideation' as CampaignStatus['stage'],
    step: 'start',
    ideas: 0,
    awaitingApproval: false,
  };
  /** Everything spent: the campaign's own LLM calls and every finished paper's. */
  const spentUsd = () => ledger.total.costUsd + done.reduce((x, p) => x + p.cost.costUsd, 0);
  const toChildren = (send: (id: string) => Promise<void>) => {
    // A paper that has just finished cannot take the message any more; that is fine.
    for (const id of running.keys()) void send(id).catch(() => undefined);
  };
  const control = new Control(
    ledger,
    {
      changed: () => board.publish(),
      stage: () => status.stage,
      onPause: (reason) => toChildren((id) => getExternalWorkflowHandle(id).signal(pauseSignal, reason)),
      onResume: () => toChildren((id) => getExternalWorkflowHandle(id).signal(resumeSignal)),
      onSteer: (note) => toChildren((id) => getExternalWorkflowHandle(id).signal(steerSignal, note.text)),
      // Each running paper ends gracefully (`cancelled`, artifacts kept) through Temporal's cancel.
      onCancel: () => toChildren((id) => getExternalWorkflowHandle(id).cancel()),
    },
    carried?.steering,
  );
  if (carried?.paused) control.paused = true;
  const snapshot = (): CampaignStatus => ({
    kind: 'campaign',
    ...status,
    ranked: (ranked ?? []).map((r) => ({
      name: r.idea.name,
      title: r.idea.title,
      novel: r.novel,
      ...(r.undecided ? { undecided: true } : {}),
      score: r.score,
    })),
    skipped: [...skip],
    papersDone: done.length,
    papersRunning: [...running.keys()],
    costUsd: spentUsd(),
    budgetUsd: ledger.budgetUsd,
    paused: control.paused,
    cancelling: control.cancelling,
    steering: control.steering,
    ...(rejectedIdeas.length ? { rejectedIdeas } : {}),
  });
  setHandler(campaignStatusQuery, snapshot);
  setHandler(artifactsQuery, () => {
    const keys: Record<string, string> = { ...artifacts };
    for (const r of ranked ?? []) keys[`idea/${r.idea.name}`] = r.idea.key;
    for (const p of done) if (p.pdfKey) keys[`paper/${p.idea.name}/pdf`] = p.pdfKey;
    return { keys };
  });
  setHandler(
    approveIdeasUpdate,
    (names) => {
      approved = [...new Set(names)];
      publish();
      return { approved, ignored: names.filter((n, i) => names.indexOf(n) !== i) };
    },
    {
      validator: (names: string[]) => {
        if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string'))
          throw new Error('approveIdeas takes a non-empty list of idea names');
        if (!s.requireApproval) throw new Error('this campaign does not wait for approval');
        if (approved !== undefined) throw new Error(`ideas already approved: ${approved.join(', ')}`);
        if (!ranked)
          throw new Error(
            `the ideas are not ranked yet (stage ${status.stage}); try again at the approval gate`,
          );
        const known = new Set(ranked.map((r) => r.idea.name));
        const unknown = names.filter((n) => !known.has(n));
        if (unknown.length)
          throw new Error(
            `unknown idea(s): ${unknown.join(', ')}; the ranked ideas are: ${[...known].join(', ')}`,
          );
      },
    },
  );
  setHandler(
    skipStageUpdate,
    (stage) => {
      skip.add(stage);
      publish();
      return {
        skipped: stage,
        note: `papers started from now on skip ${stage}`,
      };
    },
    {
      validator: (stage: SkippableStage) => {
        if (!SKIPPABLE_STAGES.includes(stage))
          throw new Error(`cannot skip "${String(stage)}"; skippable: ${SKIPPABLE_STAGES.join(', ')}`);
      },
    },
  );

  const board: StageBoard<CampaignStatus['stage']> = new StageBoard(status, {
    costUsd: spentUsd,
    lines: () => [
      `Campaign on **${input.template}**`,
      `Stage: **${status.stage}** — ${status.step}`,
      `Ideas: ${status.ideas} · Papers done: ${done.length}, running: ${running.size} · Cost: ${usd(spentUsd())} of ${usd(ledger.budgetUsd)}`,
      ...(status.awaitingApproval
        ? [`Waiting for approveIdeas: ${(ranked ?? []).map((r) => r.idea.name).join(', ')}`]
        : []),
    ],
    extra: () => rejectedIdeas.map((r) => `Idea ${r.index} not used: ${r.reason.slice(0, 200)}`),
  });
  board.attach(control);
  const publish = () => board.publish();
  /** Every activity starts here: the step is shown and the operator's gate is passed. */
  const call = activityCaller<MainPorts>(MAIN_ACTIVITY_OPTIONS, (step) => board.before(step));
  /** Where the template's runs go: the GPU queue, or for a template that needs a GPU its `@cuda` queue. */
  let gpuQueue = carried?.gpuTaskQueue ?? input.gpuTaskQueue;
  const callGpu = <K extends keyof GpuPorts>(step: string, name: K, arg: Parameters<GpuPorts[K]>[0]) =>
    activityCaller<GpuPorts>(gpuActivityOptions(gpuQueue), (st) => board.before(st))(step, name, arg);
  const enter = (stage: CampaignStatus['stage'], step = 'start') => board.enter(stage, step);
  const finish = (state: CampaignOutcome['state'], reason?: string): CampaignOutcome => {
    status.stage = 'done';
    status.step = state;
    board.mark(state === 'completed' ? 'done' : state);
    return {
      campaignId,
      template: input.template,
      ideas: ranked ?? [],
      papers: done,
      // Everything spent: the campaign's own calls and every paper's, tokens and calls too.
      cost: done.reduce((sum, p) => addSpend(sum, p.cost), ledger.total),
      costByStage: ledger.stages(),
      state,
      reason,
    };
  };

  try {
    return await stages();
  } catch (err) {
    if (!(err instanceof Stopped) && !isCancellation(err)) throw err;
    // Graceful end: the running papers were told to stop; collect what they kept.
    await CancellationScope.nonCancellable(() => Promise.all(running.values()));
    const reason = err instanceof Stopped ? err.reason : 'cancelled through Temporal';
    return finish('cancelled', `${reason} (after ${done.length} paper(s))`);
  }

  async function stages(): Promise<CampaignOutcome> {
    // ---- ideas (skipped after continue-as-new)
    let templateKey = carried?.templateKey;
    if (!templateKey || !ranked) {
      enter('ideation');
      const preflighted = patched(TEMPLATE_PREFLIGHT);
      const load = call('load the template', 'loadTemplate', {
        campaignId,
        template: input.template,
        ...(input.templateKey ? { templateKey: input.templateKey } : {}),
      });
      // With the preflight, an invalid template is an outcome with its problems, not a failed workflow.
      const loaded = preflighted ? await load.catch(templateProblem) : await load;
      if (typeof loaded === 'string') return finish('preflight-failed', loaded);
      templateKey = loaded.templateKey;
      artifacts.template = templateKey;
      const needsGpu = loaded.gpu && patched(GPU_ROUTING) ? loaded.gpu : undefined;
      if (needsGpu) gpuQueue = gpuQueueFor(input.gpuTaskQueue, needsGpu);
      if (preflighted) {
        const problem = await preflight(templateKey, needsGpu);
        if (problem) return finish('preflight-failed', problem);
      }
      let ideas = await ideate(templateKey, loaded.archiveKey);
      if (ideas.length === 0) {
        // A weak model that produced no usable idea degrades to the template's own seed ideas.
        ideas = await call('no usable idea from the model: using the seed ideas', 'seedIdeas', {
          campaignId,
          templateKey,
        });
      }
      if (ledger.overBudget)
        return finish('over-budget', `budget of $${ledger.budgetUsd} reached during ideation`);
      enter('novelty');
      ranked = rankIdeas(await checkNovelty(ideas));
    }
    const undecidedToo = s.runUndecided === true && patched(RUN_UNDECIDED);
    // Novel ideas first (rankIdeas), then, if allowed, the undecided ones.
    const candidates = ranked.filter((r) => r.novel || (undecidedToo && r.undecided === true));
    if (candidates.length === 0) return finish('no-ideas', 'no idea survived the novelty check');

    // ---- approval gate (optional)
    let chosen = candidates.slice(0, s.papers);
    if (s.requireApproval) {
      if (approved === undefined) {
        enter('approval', 'waiting for approveIdeas');
        status.awaitingApproval = true;
        publish();
        await condition(() => approved !== undefined || control.cancelling);
        status.awaitingApproval = false;
        await control.gate();
      }
      const byName = new Map(ranked.map((r) => [r.idea.name, r]));
      chosen = approved!.map((n) => byName.get(n)!).filter(Boolean);
    }

    // ---- papers, `parallelism` at a time
    enter('papers');
    const queue = chosen.filter((c) => !done.some((d) => d.idea.name === c.idea.name));
    let stoppedForBudget = false;
    // Keep history well below Temporal's limits on long campaigns: once the server suggests
    // continue-as-new, no new paper starts; the running ones finish, then the campaign continues
    // as new with the rest. (Before this patch it continued only when no paper happened to be
    // running, which at parallelism ≥ 2 was almost never.)
    const draining = () => workflowInfo().continueAsNewSuggested && patched(DRAIN_BEFORE_CONTINUE_AS_NEW);
    while (queue.length > 0 || running.size > 0) {
      while (queue.length > 0 && running.size < s.parallelism && !draining()) {
        await control.gate();
        if (spentUsd() >= ledger.budgetUsd) {
          // No new paper starts; those running finish (each stops at its own budget).
          stoppedForBudget = true;
          queue.length = 0;
          break;
        }
        const next = queue.shift()!;
        await startPaper(templateKey, next.idea);
      }
      if (running.size === 0) {
        if (queue.length > 0 && draining()) await continueWithTheRest();
        break;
      }
      await Promise.race(running.values());
      upsertSearchAttributes([{ key: SA.costUsd, value: spentUsd() }]);
      publish();
      if (workflowInfo().continueAsNewSuggested && running.size === 0 && queue.length > 0)
        await continueWithTheRest();
    }
    // A cancel that arrived while the last papers ran: they ended `cancelled`; so does the campaign.
    control.throwIfCancelled();
    return stoppedForBudget
      ? finish('over-budget', `budget of $${ledger.budgetUsd} reached after ${done.length} paper(s)`)
      : finish('completed');

    function continueWithTheRest(): Promise<never> {
      return continueAsNew<typeof campaignWorkflow>({
        ...input,
        carried: {
          templateKey: templateKey!,
          ranked: ranked!,
          outcomes: done,
          costByStage: ledger.stages(),
          chosen: chosen.map((c) => c.idea.name),
          steering: control.steering,
          skip: [...skip],
          budgetUsd: ledger.budgetUsd,
          paused: control.paused,
          ...(gpuQueue !== input.gpuTaskQueue ? { gpuTaskQueue: gpuQueue } : {}),
        },
      });
    }
  }

  async function startPaper(templateKey: string, idea: IdeaSummary): Promise<void> {
    status.step = `starting the paper on ${idea.name}`;
    const handle: ChildWorkflowHandle<typeof paperWorkflow> = await startChild(paperWorkflow, {
      workflowId: `paper-${campaignId}-${idea.name}`.slice(0, 200),
      args: [
        {
          campaignId,
          template: input.template,
          templateKey,
          idea,
          gpuTaskQueue: gpuQueue,
          settings: s.paper,
          steering: control.steering,
          skip: [...skip],
        },
      ],
      typedSearchAttributes: [
        { key: SA.kind, value: 'paper' },
        { key: SA.template, value: input.template },
        { key: SA.campaign, value: campaignId },
        { key: SA.stage, value: 'baseline' },
        ...(input.models ? [{ key: SA.models, value: input.models }] : []),
      ],
      memo: { ideaTitle: idea.title },
      staticSummary: `Paper: ${idea.title}`.slice(0, 400),
      staticDetails: `Idea \`${idea.name}\` of campaign \`${campaignId}\` (template ${input.template}). Scores: interestingness ${idea.interestingness}, feasibility ${idea.feasibility}, novelty ${idea.novelty}.`,
    });
    const id = handle.workflowId;
    running.set(
      id,
      handle
        .result()
        .then(
          (o) => void done.push(o),
          (err: unknown) => void done.push(failedOutcome(id, idea, err)),
        )
        .finally(() => {
          running.delete(id);
          publish();
        }),
    );
    publish();
  }

  // ------------------------------------------------------------------ stages

  /**
   * The template's LaTeX skeleton and baseline, before any model call. Returns the template's
   * own error when it fails (the campaign ends with it), undefined when it passed.
   */
  async function preflight(templateKey: string, needsGpu?: GpuNeed): Promise<string | undefined> {
    try {
      if (needsGpu) {
        // Its runs wait on a queue only GPU workers poll: with none polling, they would wait forever.
        const { pollers } = await call(`preflight: a GPU worker on ${gpuQueue}?`, 'gpuQueuePollers', {
          taskQueue: gpuQueue,
        });
        if (pollers === 0) return noGpuWorkerMessage(input.template, input.gpuTaskQueue, needsGpu);
      }
      await call('preflight: validate the template and compile its LaTeX skeleton', 'preflightTemplate', {
        campaignId,
        template: input.template,
        templateKey,
      });
      const baseline = await callGpu('preflight: run the baseline (run_0)', 'runBaseline', {
        templateName: input.template,
        workspace: templateKey,
        fast: s.paper.fast,
      });
      artifacts.baseline = baseline.finalInfoKey;
      return undefined;
    } catch (err) {
      return templateProblem(err);
    }
  }

  /** The template's own error from a failed preflight activity; anything else is rethrown. */
  function templateProblem(err: unknown): string {
    if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) throw err;
    const d = (err.cause.details?.[0] ?? {}) as Partial<ExperimentFailureDetails>;
    return d.logKey
      ? `the template's baseline failed (${d.outcome ?? 'failed'}; log ${d.logKey}): ${err.cause.message}`
      : err.cause.message;
  }

  async function ideate(tKey: string, initialArchiveKey: string): Promise<IdeaSummary[]> {
    let archiveKey = initialArchiveKey;
    const ideas: IdeaSummary[] = [];
    for (let index = 1; index <= s.ideas && !ledger.overBudget; index++) {
      const gen = await call(`idea ${index}/${s.ideas}: generate`, 'generateIdea', {
        campaignId,
        templateKey: tKey,
        index,
        archiveKey,
        steering: control.notes,
      });
      ledger.record('ideation', gen.spend);
      if (!gen.idea) {
        // Status and details only (no command), so recorded histories replay unchanged.
        if (gen.problem) rejectedIdeas.push({ index, reason: gen.problem.slice(0, 300) });
        publish();
        continue;
      }
      let idea = gen.idea;
      for (let round = 1; round <= s.ideaReflections; round++) {
        const r = await call(`idea ${index} reflection ${round}`, 'reflectIdea', {
          campaignId,
          templateKey: tKey,
          index,
          round,
          idea,
          steering: control.notes,
        });
        ledger.record('ideation', r.spend);
        idea = r.idea;
        if (r.done) break;
      }
      const archived = await call(`idea ${index}: archive`, 'archiveIdea', { campaignId, archiveKey, idea });
      archiveKey = archived.archiveKey;
      if (!archived.duplicateOf) ideas.push(idea);
      status.ideas = ideas.length;
    }
    return ideas;
  }

  async function checkNovelty(ideas: IdeaSummary[]): Promise<RankedIdea[]> {
    const out: RankedIdea[] = [];
    for (const idea of ideas) {
      let novel = false;
      let decided = false;
      let historyKey: string | undefined;
      for (let round = 1; round <= s.noveltyRounds && !ledger.overBudget; round++) {
        const r = await call(`novelty of ${idea.name}: round ${round}`, 'noveltyRound', {
          campaignId,
          idea,
          round,
          maxRounds: s.noveltyRounds,
          historyKey,
        });
        ledger.record('novelty', r.spend);
        historyKey = r.historyKey;
        if (r.decision !== 'undecided') {
          novel = r.decision === 'novel';
          decided = true;
          break;
        }
      }
      const score = idea.interestingness + idea.feasibility + idea.novelty;
      out.push({ idea, novel, ...(decided ? {} : { undecided: true }), score });
    }
    return out;
  }
}

function failedOutcome(paperId: string, idea: IdeaSummary, err: unknown): PaperOutcome {
  const zero = { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
  const message =
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return { paperId, idea, state: 'failed', reason: message, runs: [], cost: zero, costByStage: {} };
}
