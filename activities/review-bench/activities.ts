/**
 * The benchmark run's own activities (workflows/reviewer-benchmark.ts): the review
 * configuration and its hash, the per-paper record of a finished review (found again by a later
 * run with the same configuration), and the report with its figures. The reviews themselves are
 * the review stage's activities (activities/review).
 */
import { createHash } from 'node:crypto';
import type { BenchPaperResult, ReviewerBenchmarkPorts } from '../../contracts';
import type { Config } from '../../lib/config';
import { classified, InvalidInputError } from '../../lib/errors';
import { keys, type ArtifactStore } from '../../lib/store';
import { parseModelRef, roleTable } from '../llm/roles';
import {
  parseConfigName,
  parseHumanRatings,
  parseReviewCsv,
  type ReviewerConfig,
  type ReviewRecord,
} from './data';
import { buildReport, reportData, reportFigures, reportMarkdown } from './report';

export interface ReviewBenchDeps {
  store: ArtifactStore;
  config: Config;
}

/** Bump when the review prompts or form change in a way that makes old reviews incomparable. */
const REVIEW_CODE_VERSION = 1;

/** Where one paper's finished benchmark review is recorded (next to its review artifacts). */
export function benchResultKey(reviewPaperId: string): string {
  return keys.paper(reviewPaperId, 'review', 'bench', 'result.json');
}

/** The review paper id of a benchmark paper under a configuration (a safe key segment). */
export function benchReviewPaperId(configHash: string, paperId: string): string {
  return `bench-${configHash}-${paperId}`;
}

interface StoredResult {
  paperId: string;
  configHash: string;
  model: string;
  overall: number | null;
  decision: 'Accept' | 'Reject' | null;
  metaKey?: string;
  reviewKeys: string[];
  spend: { costUsd: number; inputTokens: number; outputTokens: number; calls: number };
}

const FORM_COLUMNS: [string, string][] = [
  ['Summary', 'summary'],
  ['Strengths', 'strengths'],
  ['Weaknesses', 'weaknesses'],
  ['Originality', 'originality'],
  ['Quality', 'quality'],
  ['Clarity', 'clarity'],
  ['Significance', 'significance'],
  ['Questions', 'questions'],
  ['Limitations', 'limitations'],
  ['Ethical Concerns', 'ethicalConcerns'],
  ['Soundness', 'soundness'],
  ['Presentation', 'presentation'],
  ['Contribution', 'contribution'],
  ['Overall', 'overall'],
  ['Confidence', 'confidence'],
  ['Decision', 'decision'],
];

const csvField = (v: unknown): string => {
  let s = '';
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else if (v !== undefined && v !== null) s = JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Our reviews as a review file of the upstream format (one row per paper). */
export function reviewsCsv(rows: { paperId: string; form: Record<string, unknown> | null }[]): string {
  const lines = [['paper_id', ...FORM_COLUMNS.map(([c]) => c)].join(',')];
  for (const r of rows)
    lines.push([r.paperId, ...FORM_COLUMNS.map(([, f]) => r.form?.[f])].map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

/** The configuration label of our reviewer, in the upstream file-name form parseConfigName reads. */
export function ourConfigName(
  model: string,
  temperature: number,
  reviewers: number,
  reflections: number,
): string {
  const m = `ours-${model.replace(/[^A-Za-z0-9.-]+/g, '-')}`;
  return `${m}_temp_${String(temperature).replace('.', '_')}_reflect_${reflections + 1}_ensemble_${reviewers}_pages_all`;
}

export function createReviewBenchActivities({ store, config }: ReviewBenchDeps): ReviewerBenchmarkPorts {
  const roles = roleTable(config);
  return {
    async benchReviewConfig({ reviewers, reflections, threshold, model }) {
      return classified(async () => {
        const ref = roles.model('review');
        const actual = `${ref.provider}:${ref.model}`;
        if (model !== undefined) {
          const want = parseModelRef(model, '--model');
          if (want.provider !== ref.provider || want.model !== ref.model)
            throw new InvalidInputError(
              `the workers review with ${actual}, not ${want.provider}:${want.model}: set SCIENTIST_LLM_REVIEW on the workers (or run with local workers)`,
            );
        }
        const params = roles.params('review');
        const configHash = createHash('sha256')
          .update(
            JSON.stringify({
              v: REVIEW_CODE_VERSION,
              model: actual,
              temperature: params.temperature ?? null,
              maxTokens: params.maxTokens ?? null,
              reviewers,
              reflections,
              threshold,
            }),
          )
          .digest('hex')
          .slice(0, 12);
        return Promise.resolve({ model: actual, configHash });
      });
    },

    async findBenchReview({ configHash, paperId }) {
      return classified(async () => {
        const key = benchResultKey(benchReviewPaperId(configHash, paperId));
        if (!(await store.exists(key))) return null;
        const r = await store.getJson<StoredResult>(key);
        return { paperId, overall: r.overall, decision: r.decision, resultKey: key, reused: true };
      });
    },

    async recordBenchReview(input) {
      return classified(async () => {
        const key = benchResultKey(input.reviewPaperId);
        const record: StoredResult = {
          paperId: input.paperId,
          configHash: input.configHash,
          model: input.model,
          overall: input.overall,
          decision: input.decision,
          metaKey: input.metaKey,
          reviewKeys: input.reviewKeys,
          spend: input.spend,
        };
        await store.putJson(key, record);
        return {
          paperId: input.paperId,
          overall: input.overall,
          decision: input.decision,
          resultKey: key,
          reused: false,
        };
      });
    },

    async benchReviewReport(input) {
      return classified(async () => {
        const all = parseHumanRatings(await store.getText(input.ratingsKey));
        const reviewed = new Set(input.results.map((r) => r.paperId));
        const ratings = { papers: all.papers.filter((p) => reviewed.has(p.paperId)), unknown: 0 };
        const temperature = roles.params('review').temperature ?? 0;
        const name = ourConfigName(input.model, temperature, input.reviewers, input.reflections);
        const ours: { config: ReviewerConfig; reviews: ReviewRecord[] } = {
          config: parseConfigName(name),
          reviews: input.results.map((r: BenchPaperResult) => ({
            paperId: r.paperId,
            overall: r.overall,
            decision: r.decision ?? '',
          })),
        };
        const stored = [];
        for (const [file, key] of Object.entries(input.storedReviewKeys).sort(([a], [b]) =>
          a.localeCompare(b),
        ))
          stored.push({
            config: parseConfigName(file),
            reviews: parseReviewCsv(await store.getText(key), file),
          });
        const report = buildReport(ratings, [ours, ...stored], {
          threshold: input.threshold,
          missing: 'reject',
          split: { seed: input.seed, trainFraction: input.trainFraction },
        });
        const figures = reportFigures(report);
        const base = (file: string) => keys.paper(input.runId, 'report', file);
        const figureKeys: Record<string, string> = {};
        for (const f of figures)
          figureKeys[f.file] = (await store.put(base(f.file), f.png, { contentType: 'image/png' })).key;
        const reviewedNow = input.results.filter((r) => !r.reused).length;
        const header = [
          `# Benchmark run ${input.runId}`,
          '',
          `Our reviewer: \`${input.model}\`, ${input.reviewers} reviewer(s), ${input.reflections} reflection round(s), ` +
            `decision threshold ${input.threshold}, configuration ${input.configHash}. ` +
            `${input.results.length} papers (${input.results.length - reviewedNow} reused from an earlier run with this configuration); ` +
            `the stored configurations and the human reviewers are measured on the same papers. ` +
            `Cost of this run: $${input.costUsd.toFixed(4)}` +
            (reviewedNow ? ` ($${(input.costUsd / reviewedNow).toFixed(4)} per paper reviewed).` : '.'),
          '',
        ];
        const md = [...header, reportMarkdown(report, figures)].join('\n');
        const reportKey = (
          await store.put(base('report.md'), md, { contentType: 'text/markdown; charset=utf-8' })
        ).key;
        const reportJsonKey = (await store.putJson(base('report.json'), reportData(report))).key;
        const rows = [];
        for (const r of input.results) {
          const rec = await store.getJson<StoredResult>(r.resultKey);
          rows.push({
            paperId: r.paperId,
            form: rec.metaKey ? await store.getJson<Record<string, unknown>>(rec.metaKey) : null,
          });
        }
        const csvKey = (await store.put(base(`${name}.csv`), reviewsCsv(rows), { contentType: 'text/csv' }))
          .key;
        const me = report.reviewers[0]!;
        const at = me.metrics.atThreshold;
        return {
          reportKey,
          reportJsonKey,
          csvKey,
          figureKeys,
          balancedAccuracy: at.balancedAccuracy,
          f1: at.f1,
          fpr: at.fpr,
          fnr: at.fnr,
          aucOverall: me.metrics.aucOverall,
          fittedThreshold: me.calibration.threshold,
          heldOutBalancedAccuracy: me.calibration.heldOut.balancedAccuracy,
        };
      });
    },
  };
}
