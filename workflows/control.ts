/**
 * The operator's hold on a running workflow, shared by campaigns and papers: pause/resume,
 * steering notes, a graceful cancel and budget changes. Workflows call `gate()` before every
 * activity: that is where a pause or a cancel takes effect (running activities finish).
 */
import {
  CancellationScope,
  condition,
  proxyActivities,
  setHandler,
  type ActivityOptions,
} from '@temporalio/workflow';
import {
  cancelUpdate,
  formatUsd,
  type Ledger,
  pauseSignal,
  resumeSignal,
  setBudgetUpdate,
  type SteeringNote,
  steerSignal,
  steerText,
} from '../contracts';

/** Thrown by `gate()` once a cancel was asked for; the workflow turns it into a `cancelled` end. */
export class Stopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Stopped';
  }
}

/** USD for the Web UI's markdown, where a bare `$` starts LaTeX math. */
export function usd(n: number): string {
  return `\\${formatUsd(n)}`;
}

/**
 * How workflows start every activity: `before(step)` shows the step, passes the operator's gate
 * and returns the activity's summary for the Web UI ("experiments · run 3 attempt 2: train").
 * Returns a function, never a proxy, from async code: awaiting a proxy would look up `.then`
 * on it and schedule an activity of that name.
 */
export function activityCaller<P extends { [K in keyof P]: (arg: never) => Promise<unknown> }>(
  options: ActivityOptions,
  before: (step: string) => Promise<string>,
) {
  return async <K extends keyof P & string>(
    step: string,
    name: K,
    arg: Parameters<P[K]>[0],
  ): Promise<Awaited<ReturnType<P[K]>>> => {
    const summary = await before(step);
    const fn = proxyActivities<P>({ ...options, summary })[name] as unknown as (
      a: typeof arg,
    ) => Promise<Awaited<ReturnType<P[K]>>>;
    return fn(arg);
  };
}

export interface ControlHooks {
  /** Called after any change, e.g. to refresh the workflow's current details. */
  changed(): void;
  /** Where the workflow is, for the cancel update's answer. */
  stage(): string;
  /** Forwarding to children (campaigns): called after the change is recorded. */
  onPause?(reason: string | undefined): void;
  onResume?(): void;
  onSteer?(note: SteeringNote): void;
  onCancel?(reason: string): void;
}

export class Control {
  paused = false;
  pauseReason?: string;
  cancelReason?: string;
  readonly steering: SteeringNote[];

  constructor(
    private readonly ledger: Ledger,
    private readonly hooks: ControlHooks,
    steering: SteeringNote[] = [],
  ) {
    this.steering = [...steering];
    setHandler(pauseSignal, (reason) => {
      this.paused = true;
      this.pauseReason = reason;
      hooks.onPause?.(reason);
      hooks.changed();
    });
    setHandler(resumeSignal, () => {
      this.paused = false;
      this.pauseReason = undefined;
      hooks.onResume?.();
      hooks.changed();
    });
    setHandler(steerSignal, (input) => {
      const text = steerText(input);
      if (!text) return; // An empty note has nothing to steer with; signals cannot answer.
      const note = { at: new Date().toISOString(), text };
      this.steering.push(note);
      hooks.onSteer?.(note);
      hooks.changed();
    });
    setHandler(
      setBudgetUpdate,
      (usd) => {
        ledger.budgetUsd = usd;
        hooks.changed();
        return { budgetUsd: usd, spentUsd: ledger.total.costUsd };
      },
      {
        validator: (usd) => {
          if (typeof usd !== 'number' || !Number.isFinite(usd) || usd <= 0)
            throw new Error(`a budget is a positive number of USD, got ${JSON.stringify(usd)}`);
        },
      },
    );
    setHandler(
      cancelUpdate,
      (reason) => {
        this.cancelReason = (typeof reason === 'string' && reason.trim()) || 'cancelled by an operator';
        hooks.onCancel?.(this.cancelReason);
        hooks.changed();
        return { state: 'cancelling' as const, stage: hooks.stage() };
      },
      {
        validator: (_reason) => {
          if (this.cancelReason !== undefined) throw new Error('already cancelling');
        },
      },
    );
  }

  get cancelling(): boolean {
    return this.cancelReason !== undefined;
  }

  /** The current-details lines every workflow shows: paused, cancelling, `extra`, latest notes. */
  detailLines(extra: string[] = []): string[] {
    const lines: string[] = [];
    if (this.paused) lines.push(`⏸ Paused${this.pauseReason ? `: ${this.pauseReason}` : ''}`);
    if (this.cancelling) lines.push(`Cancelling: ${this.cancelReason}`);
    lines.push(...extra);
    for (const n of this.steering.slice(-3)) lines.push(`Steer (${n.at}): ${n.text.slice(0, 200)}`);
    return lines;
  }

  /** The steering texts for prompts, oldest first. */
  get notes(): string[] {
    return this.steering.map((n) => n.text);
  }

  /** Waits while paused; throws `Stopped` once cancelled. Call before starting any activity. */
  async gate(): Promise<void> {
    if (this.paused) await condition(() => !this.paused || this.cancelling);
    this.throwIfCancelled();
  }

  throwIfCancelled(): void {
    if (this.cancelReason !== undefined) throw new Stopped(this.cancelReason);
    // Temporal's own cancel (UI, `temporal workflow cancel`) ends the workflow the same way.
    if (CancellationScope.current().consideredCancelled) throw new Stopped('cancelled through Temporal');
  }
}
