/**
 * What operators see of a paper and can do to it while it runs, kept out of the pipeline: the
 * record the stages fill in (status, skipped stages, degraded parts, figure critique, integrity,
 * artifact keys), its status and artifacts queries, the skip-stage update, the operator's
 * controls and the stage board (Web UI details, search attributes, the gate before each activity).
 * Nothing here schedules work of its own: `paper.ts` calls it.
 */
import { setHandler } from '@temporalio/workflow';
import {
  artifactsQuery,
  type Degradation,
  type FigureCritiqueSummary,
  type IntegritySummary,
  type Ledger,
  PAPER_STAGES,
  type PaperStage,
  type PaperStatus,
  paperStatusQuery,
  SKIPPABLE_STAGES,
  type SkippableStage,
  skipStageUpdate,
  type SteeringNote,
} from '../contracts';
import { Control, usd } from './control';
import { StageBoard } from './stage-board';

/** Where each skippable stage sits in the paper, to refuse skipping one that is over. */
const SKIP_POSITION: Record<SkippableStage, PaperStage> = {
  experiments: 'experiments',
  plots: 'plots',
  citations: 'writeup',
  review: 'review',
  improve: 'improve',
};

export interface PaperSurfaceInput {
  ideaTitle: string;
  maxRuns: number;
  /** Steering notes the campaign had received before this paper started. */
  steering?: SteeringNote[];
  /** Stages skipped for every paper of the campaign. */
  skip?: SkippableStage[];
}

export class PaperSurface {
  readonly status = {
    stage: 'baseline' as PaperStage,
    step: 'start',
    runsDone: 0,
    run: undefined as number | undefined,
    attempt: undefined as number | undefined,
    lastError: undefined as string | undefined,
  };
  readonly skip: Set<SkippableStage>;
  /** What degraded before the compile stage (the figures). */
  readonly degraded: Degradation[] = [];
  /** What the latest compile had to contain; replaced by each compile. */
  compiledDegraded: Degradation[] = [];
  integrity?: IntegritySummary;
  figureCritique?: FigureCritiqueSummary;
  /** Keys of what the paper made so far, for the artifacts query. */
  readonly artifacts: Record<string, string> = {};
  readonly control: Control;
  readonly board: StageBoard<PaperStage>;

  constructor(
    private readonly input: PaperSurfaceInput,
    private readonly ledger: Ledger,
  ) {
    this.skip = new Set(input.skip ?? []);
    this.control = new Control(
      ledger,
      { changed: () => this.publish(), stage: () => this.status.stage },
      input.steering,
    );
    setHandler(paperStatusQuery, () => this.snapshot());
    setHandler(artifactsQuery, () => ({ keys: { ...this.artifacts } }));
    setHandler(
      skipStageUpdate,
      (stage) => {
        this.skip.add(stage);
        this.publish();
        return { skipped: stage, note: `${stage} will be skipped from the next step on` };
      },
      {
        validator: (stage: SkippableStage) => {
          if (!SKIPPABLE_STAGES.includes(stage))
            throw new Error(`cannot skip "${String(stage)}"; skippable: ${SKIPPABLE_STAGES.join(', ')}`);
          if (PAPER_STAGES.indexOf(this.status.stage) > PAPER_STAGES.indexOf(SKIP_POSITION[stage]))
            throw new Error(`the paper is already past ${stage} (now in ${this.status.stage})`);
        },
      },
    );
    this.board = new StageBoard(this.status, {
      costUsd: () => ledger.total.costUsd,
      lines: () => [
        `**${input.ideaTitle}**`,
        `Stage: **${this.status.stage}** — ${this.status.step}`,
        `Runs: ${this.status.runsDone}/${input.maxRuns} · Cost: ${usd(ledger.total.costUsd)} of ${usd(ledger.budgetUsd)}`,
      ],
      extra: () => this.extraLines(),
    });
    this.board.attach(this.control);
  }

  /** Everything that degraded so far: the figures, then what the latest compile contained. */
  allDegraded(): Degradation[] {
    return [...this.degraded, ...this.compiledDegraded];
  }

  /** Redraws the Web UI's current details. */
  publish(): void {
    this.board.publish();
  }

  private snapshot(): PaperStatus {
    const { integrity, figureCritique, control, ledger } = this;
    const degraded = this.allDegraded();
    return {
      kind: 'paper',
      ...this.status,
      maxRuns: this.input.maxRuns,
      costUsd: ledger.total.costUsd,
      budgetUsd: ledger.budgetUsd,
      paused: control.paused,
      cancelling: control.cancelling,
      skipped: [...this.skip],
      steering: control.steering,
      ideaTitle: this.input.ideaTitle,
      ...(degraded.length ? { degraded } : {}),
      ...(figureCritique
        ? {
            figureCritique: {
              status: figureCritique.status,
              note: figureCritique.note,
              needsFix: figureCritique.needsFix,
              critiqued: figureCritique.critiqued,
            },
          }
        : {}),
      ...(integrity
        ? {
            integrity: {
              verdict: integrity.verdict,
              numbers: integrity.numbers,
              traced: integrity.traced,
              flags: integrity.flags,
              manifests: integrity.manifests,
              unsupported: integrity.unsupported,
            },
          }
        : {}),
    };
  }

  private extraLines(): string[] {
    const { integrity, figureCritique, status } = this;
    return [
      ...(this.skip.size ? [`Skipping: ${[...this.skip].join(', ')}`] : []),
      ...(status.lastError ? [`Last error: ${status.lastError.slice(0, 200)}`] : []),
      ...this.allDegraded().map((d) => `Degraded: ${d.part} — ${d.reason.slice(0, 200)}`),
      ...(figureCritique ? [`Figures: ${figureCritique.note}`] : []),
      ...(integrity
        ? [
            `Integrity: **${integrity.verdict}** — ${integrity.traced}/${integrity.numbers} numbers traced, ${integrity.flags} flag(s), ${integrity.manifests} manifest(s)`,
            ...integrity.unsupported.slice(0, 5).map((u) => `Unsupported: ${u}`),
          ]
        : []),
    ];
  }
}
