/**
 * Where a campaign or a paper is, as operators see it, kept in one place: the stage and step in
 * its status, the `ScientistStage` and `ScientistCostUsd` search attributes, the Web UI's current
 * details (the workflow's own lines, then the operator's: paused, cancelling, steering notes),
 * and the gate every activity passes first.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { SA } from '../contracts';
import type { Control } from './control';

export interface StageView {
  /** Spent so far (USD), for the cost search attribute. */
  costUsd(): number;
  /** The workflow's own lines of its current details (markdown). */
  lines(): string[];
  /** Lines shown after the pause/cancel lines and before the steering notes. */
  extra?(): string[];
}

export class StageBoard<Stage extends string> {
  private control?: Control;

  constructor(
    /** The workflow's status object: the board sets its `stage` and `step`. */
    private readonly status: { stage: Stage; step: string },
    private readonly view: StageView,
  ) {}

  /** The operator's hold on the workflow, whose gate `before` passes and whose lines it shows. */
  attach(control: Control): void {
    this.control = control;
  }

  /** Redraws the Web UI's current details. */
  publish(): void {
    const extra = this.view.extra?.() ?? [];
    const operator = this.control ? this.control.detailLines(extra) : extra;
    setCurrentDetails([...this.view.lines(), ...operator].join('\n\n'));
  }

  /** Enters a stage: shown in the status, the details and the stage search attribute. */
  enter(stage: Stage, step = 'start'): void {
    this.status.stage = stage;
    this.status.step = step;
    this.mark(stage);
  }

  /** Records `value` (a stage, or a final state) as the stage search attribute, with the cost so far. */
  mark(value: string): void {
    upsertSearchAttributes([
      { key: SA.stage, value },
      { key: SA.costUsd, value: this.view.costUsd() },
    ]);
    this.publish();
  }

  /**
   * Every activity starts here: the step is shown and the operator's gate is passed (a pause
   * waits, a cancel throws). Returns the activity's summary for the Web UI.
   */
  async before(step: string): Promise<string> {
    this.status.step = step;
    this.publish();
    await this.control?.gate();
    return `${this.status.stage} · ${step}`;
  }
}
