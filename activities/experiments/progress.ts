/**
 * The progress protocol between experiment code and the activity: lines the templates print.
 *   SCIENTIST_PROGRESS {"step": 120, "total": 1000, "loss": 0.42}
 *   SCIENTIST_RESUMED {"step": 100}
 */
export interface Progress {
  step?: number;
  total?: number;
  loss?: number;
  /** The step the run resumed from (printed once at start when a checkpoint was restored). */
  resumedStep?: number;
}

const LINE = /^SCIENTIST_(PROGRESS|RESUMED) (\{.*\})\s*$/;

/** Feeds on output chunks, splits lines, and keeps the latest progress. */
export class ProgressTracker {
  readonly progress: Progress = {};
  private partial = '';

  add(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = (lines.pop() ?? '').slice(-4096);
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    const m = LINE.exec(line.trim());
    if (!m) return;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(m[2]!) as Record<string, unknown>;
    } catch {
      return;
    }
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    if (m[1] === 'RESUMED') {
      this.progress.resumedStep = num(data.step);
    } else {
      this.progress.step = num(data.step) ?? this.progress.step;
      this.progress.total = num(data.total) ?? this.progress.total;
      this.progress.loss = num(data.loss) ?? this.progress.loss;
    }
  }
}
