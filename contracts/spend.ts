/**
 * Running cost totals of a workflow, per stage, and the budget check made at stage boundaries.
 * Pure and deterministic: it only adds numbers that activities returned.
 */

/** What one activity spent. */
export interface Spend {
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  calls: number;
}

export const NO_SPEND: Spend = { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };

export function addSpend(a: Spend, b: Spend): Spend {
  return {
    costUsd: a.costUsd + b.costUsd,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    calls: a.calls + b.calls,
  };
}

export class Ledger {
  private readonly byStage = new Map<string, Spend>();

  constructor(
    /** USD; stop spending at the next stage boundary once the total reaches it. */
    public budgetUsd: number,
    initial: Record<string, Spend> = {},
  ) {
    for (const [stage, spend] of Object.entries(initial)) this.byStage.set(stage, spend);
  }

  record(stage: string, spend: Spend): void {
    this.byStage.set(stage, addSpend(this.byStage.get(stage) ?? NO_SPEND, spend));
  }

  get total(): Spend {
    return [...this.byStage.values()].reduce(addSpend, NO_SPEND);
  }

  get overBudget(): boolean {
    return this.total.costUsd >= this.budgetUsd;
  }

  stages(): Record<string, Spend> {
    return Object.fromEntries(this.byStage);
  }
}

/** USD as people read it: four decimals below a dollar (model calls cost fractions of a cent), two above. */
export function formatUsd(n: number): string {
  return `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}
