/**
 * The report's figures as PNG bytes: ROC curves of the Overall score for every reviewer side by
 * side, and per reviewer the Overall-score histograms of accepted and rejected papers. Drawn
 * with ./png.ts; pure.
 */
import type { BinaryMetrics, ScoredItem } from './metrics';
import { BLACK, Canvas, GLYPH_H, hex, type Rgb } from './png';

/** Line colours, in legend order (matplotlib's tab10, minus grey, which the chance line uses). */
export const PALETTE: readonly Rgb[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#bcbd22',
  '#17becf',
].map(hex);

const GRID = hex('#e6e6e6');
const AXIS_GREY = hex('#888888');
const TEXT = hex('#222222');

/**
 * A curve's ROC points from (0, 0) to (1, 1), thresholds falling: the corners of the sweep
 * (./metrics.ts `thresholdSweep`) plus both ends. Papers without a score join at the
 * very end, on a straight segment to (1, 1), as rank-based AUC counts them.
 */
export function rocPoints(sweep: readonly BinaryMetrics[]): { fpr: number; tpr: number }[] {
  const pts = sweep.map((m) => ({ fpr: m.fpr, tpr: m.tpr })).reverse();
  return [{ fpr: 0, tpr: 0 }, ...pts, { fpr: 1, tpr: 1 }];
}

/** Area under a polyline of ROC points by trapezoids (equals rank-based AUC with ties). */
export function trapezoidArea(points: readonly { fpr: number; tpr: number }[]): number {
  let a = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1]!;
    const q = points[i]!;
    a += ((q.fpr - p.fpr) * (q.tpr + p.tpr)) / 2;
  }
  return a;
}

export interface RocCurve {
  label: string;
  sweep: readonly BinaryMetrics[];
  /** The operating point to mark (the decision threshold's metrics). */
  at: BinaryMetrics;
  /** Shown in the legend. */
  auc: number;
  /** Default: the palette, in order. */
  color?: Rgb;
}

const PLOT = 560; // plot area side, pixels
const MARGIN = { left: 90, top: 60, bottom: 80, right: 30 };

/** ROC curves of several reviewers on one chart, with the chance diagonal and a legend. */
export function rocFigure(curves: readonly RocCurve[], title = 'ROC: Overall score vs decision'): Buffer {
  const legendRows = curves.map((c) => `${c.label}  AUC ${c.auc.toFixed(2)}`);
  const legendW = Math.max(0, ...legendRows.map((r) => Canvas.textWidth(r, 2))) + 60;
  const width = MARGIN.left + PLOT + MARGIN.right + legendW;
  const height = Math.max(MARGIN.top + PLOT + MARGIN.bottom, MARGIN.top + curves.length * 28 + 40);
  const c = new Canvas(width, height);
  const px = (fpr: number) => MARGIN.left + fpr * PLOT;
  const py = (tpr: number) => MARGIN.top + (1 - tpr) * PLOT;

  for (let t = 0; t <= 5; t++) {
    const v = t / 5;
    c.line(px(v), py(0), px(v), py(1), GRID);
    c.line(px(0), py(v), px(1), py(v), GRID);
    c.text(px(v), py(0) + 10, v.toFixed(1), TEXT, { align: 'center' });
    c.text(px(0) - 10, py(v) - GLYPH_H, v.toFixed(1), TEXT, { align: 'right' });
  }
  c.line(px(0), py(0), px(1), py(1), AXIS_GREY, 1, [8, 6]);
  c.strokeRect(px(0), py(1), PLOT + 1, PLOT + 1, BLACK);
  c.text(px(0.5), py(0) + 40, 'false-positive rate', TEXT, { align: 'center' });
  c.text(20, py(0.5), 'true-positive rate', TEXT, { align: 'center', vertical: true });
  c.text(width / 2, 20, title, TEXT, { align: 'center' });

  curves.forEach((curve, i) => {
    const color = curve.color ?? PALETTE[i % PALETTE.length]!;
    const pts = rocPoints(curve.sweep);
    for (let k = 1; k < pts.length; k++)
      c.line(px(pts[k - 1]!.fpr), py(pts[k - 1]!.tpr), px(pts[k]!.fpr), py(pts[k]!.tpr), color, 3);
    c.fillRect(px(curve.at.fpr) - 5, py(curve.at.tpr) - 5, 11, 11, color);
    c.strokeRect(px(curve.at.fpr) - 6, py(curve.at.tpr) - 6, 13, 13, BLACK);
    const ly = MARGIN.top + i * 28;
    const lx = MARGIN.left + PLOT + MARGIN.right + 10;
    c.fillRect(lx, ly + 3, 30, 8, color);
    c.text(lx + 40, ly, legendRows[i]!, TEXT);
  });
  const noteY = MARGIN.top + curves.length * 28 + 10;
  c.text(MARGIN.left + PLOT + MARGIN.right + 10, noteY, 'square: decision threshold', AXIS_GREY);
  return c.toPng();
}

const ACCEPTED_COLOR = hex('#2ca02c');
const REJECTED_COLOR = hex('#d62728');

/** Share of each class per integer Overall bin 1…10 (scores rounded, clamped), in percent. */
export function scoreHistogram(items: readonly ScoredItem[]): {
  bins: number[];
  accepted: number[];
  rejected: number[];
  nAccepted: number;
  nRejected: number;
} {
  const bins = Array.from({ length: 10 }, (_, i) => i + 1);
  const count = (positive: boolean) => {
    const xs = items.filter((it) => it.positive === positive && it.score !== null);
    const h = bins.map(() => 0);
    for (const it of xs) h[Math.min(10, Math.max(1, Math.round(it.score!))) - 1]!++;
    return { share: h.map((v) => (xs.length ? (100 * v) / xs.length : 0)), n: xs.length };
  };
  const a = count(true);
  const r = count(false);
  return { bins, accepted: a.share, rejected: r.share, nAccepted: a.n, nRejected: r.n };
}

/**
 * Overall-score histograms of accepted and rejected papers side by side (each as a share of its
 * class, so the two are comparable although rejected papers are more), with the threshold as a
 * dashed line.
 */
export function histogramFigure(
  items: readonly ScoredItem[],
  threshold: number,
  title: string,
  /** What one item is, for the legend's counts. */
  unit = 'papers',
): Buffer {
  const h = scoreHistogram(items);
  const plotW = 600;
  const plotH = 360;
  const m = { left: 90, top: 60, bottom: 80, right: 30 };
  const acceptedLabel = `accepted (${h.nAccepted} ${unit})`;
  const rejectedLabel = `rejected (${h.nRejected} ${unit})`;
  const secondLegendX = m.left + 40 + Canvas.textWidth(acceptedLabel) + 40;
  const width = Math.max(
    m.left + plotW + m.right,
    Canvas.textWidth(title, 2) + 40,
    secondLegendX + 40 + Canvas.textWidth(rejectedLabel) + 20,
  );
  const c = new Canvas(width, m.top + plotH + m.bottom + 30);
  const top = Math.max(10, Math.ceil(Math.max(...h.accepted, ...h.rejected) / 10) * 10);
  const bx = (score: number) => m.left + ((score - 1) / 10) * plotW; // left edge of bin `score`
  const by = (pct: number) => m.top + (1 - pct / top) * plotH;
  const binW = plotW / 10;

  for (let v = 0; v <= top; v += top > 50 ? 20 : 10) {
    c.line(m.left, by(v), m.left + plotW, by(v), GRID);
    c.text(m.left - 10, by(v) - GLYPH_H, `${v}%`, TEXT, { align: 'right' });
  }
  h.bins.forEach((b, i) => {
    const x = bx(b);
    c.fillRect(x + binW * 0.1, by(h.accepted[i]!), binW * 0.4, by(0) - by(h.accepted[i]!), ACCEPTED_COLOR);
    c.fillRect(x + binW * 0.5, by(h.rejected[i]!), binW * 0.4, by(0) - by(h.rejected[i]!), REJECTED_COLOR);
    c.text(x + binW / 2, by(0) + 10, String(b), TEXT, { align: 'center' });
  });
  if (Number.isFinite(threshold)) {
    const tx = bx(threshold);
    c.line(tx, m.top, tx, by(0), BLACK, 2, [8, 6]);
    c.text(tx + 6, m.top + 4, `threshold ${threshold}`, TEXT);
  }
  c.strokeRect(m.left, m.top, plotW + 1, plotH + 1, BLACK);
  c.text(m.left + plotW / 2, by(0) + 40, 'overall score', TEXT, { align: 'center' });
  c.text(20, m.top + plotH / 2, 'share of class', TEXT, { align: 'center', vertical: true });
  c.text(width / 2, 20, title, TEXT, { align: 'center' });
  const ly = by(0) + 70;
  c.fillRect(m.left, ly + 3, 30, 8, ACCEPTED_COLOR);
  c.text(m.left + 40, ly, acceptedLabel, TEXT);
  c.fillRect(secondLegendX, ly + 3, 30, 8, REJECTED_COLOR);
  c.text(secondLegendX + 40, ly, rejectedLabel, TEXT);
  return c.toPng();
}
