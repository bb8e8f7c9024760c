/**
 * The reviewer benchmark's harness on the real shared data (../shared/review-bench): the stored
 * GPT-4o reviews must give the AI Scientist's published figures, the metrics must agree with
 * independent brute-force computations, and the report, its figures and the CLI verb must be
 * what a person reads.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import {
  binaryMetrics,
  buildReport,
  calibrate,
  Canvas,
  comparisonTable,
  crc32,
  encodePng,
  f1AtRates,
  fitThreshold,
  humanReviewerItems,
  impliedAcceptShare,
  joinReviews,
  listReviewFiles,
  parseConfigName,
  parseDelimited,
  parseHumanRatings,
  parseReviewCsv,
  parseTable,
  PUBLISHED,
  readHumanRatings,
  readReviewFile,
  reportFigures,
  resolveBenchDir,
  rocAuc,
  rocPoints,
  splitOf,
  thresholdSweep,
  trapezoidArea,
  type BenchReport,
  type HumanRatings,
  type ReviewRecord,
  type ScoredItem,
} from '../../activities/review-bench';
import { benchMetrics } from '../../cli/bench-reviewer';
import { InvalidInputError } from '../../lib/errors';

const ROOT = path.resolve(__dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/review-bench');
const GPT4O = `${PUBLISHED.gpt4o.config}.csv`;
const two = (x: number) => x.toFixed(2);

/** Independent AUC: every (accepted, rejected) pair, 1 if ordered, ½ if tied. O(n²). */
function pairwiseAuc(items: readonly ScoredItem[]): number {
  const s = (it: ScoredItem) => it.score ?? -Infinity;
  const pos = items.filter((i) => i.positive);
  const neg = items.filter((i) => !i.positive);
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += s(p) > s(n) ? 1 : s(p) === s(n) ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

let benchDir: string;
let ratings: HumanRatings;
let files: { config: ReturnType<typeof parseConfigName>; reviews: ReviewRecord[] }[];
let report: BenchReport;

beforeAll(async () => {
  benchDir = resolveBenchDir(DATA);
  ratings = await readHumanRatings(benchDir);
  files = [];
  for (const f of await listReviewFiles(benchDir)) files.push(await readReviewFile(f));
  report = buildReport(ratings, files);
});

describe('delimited text', () => {
  it('reads quoted fields holding commas, doubled quotes and line breaks (LF, CRLF, CR)', () => {
    const text = '\ufeffid,text,n\r\na,"one, two",1\r\nb,"say ""hi""\nand\r\nbye",2\rc,,3\n';
    expect(parseDelimited(text)).toEqual([
      ['id', 'text', 'n'],
      ['a', 'one, two', '1'],
      ['b', 'say "hi"\nand\r\nbye', '2'],
      ['c', '', '3'],
    ]);
    expect(parseTable(text).records[1]).toEqual({ id: 'b', text: 'say "hi"\nand\r\nbye', n: '2' });
  });

  it('keeps empty fields and a last row without a line break; skips blank lines', () => {
    expect(parseDelimited('a\t\tc\n\t\t', { delimiter: '\t' })).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
    ]);
    expect(parseTable('x,y\n\n1,2\n\n').records).toEqual([{ x: '1', y: '2' }]);
  });

  it('refuses an unterminated quote and a row of the wrong width, naming where', () => {
    expect(() => parseDelimited('a,"open\nstill open', { source: 'r.csv' })).toThrow(
      /r\.csv: a quoted field opened on line 1 is never closed/,
    );
    expect(() => parseTable('a,b\n1,2,3\n', { source: 'r.csv' })).toThrow(/r\.csv: record 1 has 3 fields/);
    expect(() => parseTable('a,b\n1,2,3\n')).toThrow(InvalidInputError);
  });

  it('reads every stored review file: 500 rows each, a numeric Overall in every row', () => {
    expect(files).toHaveLength(6);
    for (const f of files) {
      expect(f.reviews).toHaveLength(500);
      expect(f.reviews.every((r) => r.overall !== null && r.overall >= 1 && r.overall <= 10)).toBe(true);
      expect(f.reviews.every((r) => r.decision === 'Accept' || r.decision === 'Reject')).toBe(true);
    }
  });
});

describe('benchmark records', () => {
  it('has 500 papers with a decision, 184 accepted, and each paper’s human scores', () => {
    expect(ratings.papers).toHaveLength(500);
    expect(ratings.papers.filter((p) => p.accepted)).toHaveLength(184);
    expect(ratings.papers.every((p) => p.scores.length >= 1 && p.scores.length <= 7)).toBe(true);
    expect(humanReviewerItems(ratings.papers)).toHaveLength(
      ratings.papers.reduce((n, p) => n + p.scores.length, 0),
    );
  });

  it('leaves out papers whose decision is Unknown, and counts them', () => {
    const tsv =
      'paper_id\t0\t1\tdecision\np1\t6.0\t8.0\tAccept (Poster)\np2\t3.0\t\tReject\np3\t5.0\t5.0\tUnknown\n';
    const r = parseHumanRatings(tsv);
    expect(r.unknown).toBe(1);
    expect(r.papers).toEqual([
      { paperId: 'p1', decision: 'Accept (Poster)', accepted: true, scores: [6, 8] },
      { paperId: 'p2', decision: 'Reject', accepted: false, scores: [3] },
    ]);
  });

  it('reads the configuration from each stored file name', () => {
    expect(parseConfigName(`llm_reviews/${GPT4O}`)).toEqual({
      name: PUBLISHED.gpt4o.config,
      model: 'gpt-4o-2024-05-13',
      temperature: 0.1,
      fewShot: 1,
      reviewRounds: 5,
      ensemble: 5,
      pages: 'all',
    });
    expect(parseConfigName('gpt-4o-2024-05-13_temp_0_1_pages_all.csv')).toMatchObject({
      fewShot: 0,
      reviewRounds: 1,
      ensemble: 1,
    });
    expect(parseConfigName('ours.csv')).toEqual({ name: 'ours' });
    expect(files.map((f) => f.config.model)).toEqual([
      'claude-3-5-sonnet-20240620',
      'gpt-4o-2024-05-13',
      'gpt-4o-2024-05-13',
      'gpt-4o-2024-05-13',
      'gpt-4o-2024-05-13',
      'gpt-4o-mini-2024-07-18',
    ]);
  });

  it('refuses a review file that reviews a paper twice', () => {
    expect(() => parseReviewCsv('paper_id,Overall,Decision\na,6,Accept\na,4,Reject\n', 'x.csv')).toThrow(
      /x\.csv: paper a is reviewed twice/,
    );
  });
});

describe('metrics', () => {
  it('reproduce the published GPT-4o figures from the stored reviews (1 few-shot, 5 rounds, ensemble 5)', () => {
    const r = report.reviewers.find((x) => x.name === PUBLISHED.gpt4o.config)!;
    const m = r.metrics.atThreshold;
    expect(r.missing).toBe(0);
    expect(m.n).toBe(500);
    expect(two(m.balancedAccuracy)).toBe(two(PUBLISHED.gpt4o.balancedAccuracy));
    expect(two(m.f1)).toBe(two(PUBLISHED.gpt4o.f1));
    expect(two(m.aucBinary)).toBe(two(PUBLISHED.gpt4o.auc));
    expect(two(m.fpr)).toBe(two(PUBLISHED.gpt4o.fpr));
    expect(two(m.fnr)).toBe(two(PUBLISHED.gpt4o.fnr));
  });

  it('agree with a direct count of the stored file: Overall ≥ 6 against Accept*', async () => {
    const csv = parseTable(await readFile(path.join(benchDir, 'llm_reviews', GPT4O), 'utf8')).records;
    const accepted = new Map(ratings.papers.map((p) => [p.paperId, p.decision.startsWith('Accept')]));
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    for (const row of csv) {
      const truth = accepted.get(row.paper_id!)!;
      const predicted = Number(row.Overall) >= 6;
      if (predicted && truth) tp++;
      else if (predicted) fp++;
      else if (truth) fn++;
      else tn++;
    }
    const m = report.reviewers.find((x) => x.name === PUBLISHED.gpt4o.config)!.metrics.atThreshold;
    expect({ tp: m.tp, fp: m.fp, tn: m.tn, fn: m.fn }).toEqual({ tp, fp, tn, fn });
    expect(m.accuracy).toBeCloseTo((tp + tn) / 500, 12);
    expect(m.balancedAccuracy).toBeCloseTo((tp / (tp + fn) + tn / (tn + fp)) / 2, 12);
  });

  it('rank AUC equals the pairwise count, with ties, for every reviewer and the humans', () => {
    for (const r of [...report.reviewers, report.human]) {
      expect(r.metrics.aucOverall).toBeCloseTo(pairwiseAuc(r.items), 12);
      // The binary AUC is the balanced accuracy, and the plotted ROC's area is the rank AUC.
      expect(r.metrics.atThreshold.aucBinary).toBeCloseTo(r.metrics.atThreshold.balancedAccuracy, 12);
      expect(trapezoidArea(rocPoints(r.metrics.sweep))).toBeCloseTo(r.metrics.aucOverall, 12);
    }
    expect(rocAuc([{ score: 1, positive: true }])).toBeNaN();
  });

  it('sweep every threshold that changes a prediction, from accept-all to reject-all', () => {
    for (const r of report.reviewers) {
      const sweep = r.metrics.sweep;
      const distinct = new Set(r.items.map((i) => i.score)).size;
      expect(sweep).toHaveLength(distinct + 1);
      expect(sweep[0]!.tp + sweep[0]!.fp).toBe(500);
      expect(sweep.at(-1)!.threshold).toBe(Infinity);
      expect(sweep.at(-1)!.tp + sweep.at(-1)!.fp).toBe(0);
      for (let i = 1; i < sweep.length; i++) {
        expect(sweep[i]!.threshold).toBeGreaterThan(sweep[i - 1]!.threshold);
        expect(sweep[i]!.tpr).toBeLessThanOrEqual(sweep[i - 1]!.tpr);
        expect(sweep[i]!.fpr).toBeLessThanOrEqual(sweep[i - 1]!.fpr);
      }
      expect(sweep.find((m) => m.threshold === 6)).toEqual(r.metrics.atThreshold);
    }
  });

  it('count a missing review as Reject (or leave it out) and ignore reviews of papers without a decision', () => {
    const reviews = files.find((f) => f.config.name === PUBLISHED.gpt4o.config)!.reviews;
    const dropped = new Set(reviews.slice(0, 10).map((r) => r.paperId));
    const blank = reviews[10]!.paperId;
    const edited = [
      ...reviews.slice(11),
      { ...reviews[10]!, overall: null },
      { paperId: 'not-in-the-ratings', overall: 9, decision: 'Accept' },
    ];
    const asReject = joinReviews(ratings.papers, edited, 'reject');
    expect(asReject).toMatchObject({ missing: 11, ignored: 1 });
    expect(asReject.items).toHaveLength(500);
    const missingItems = asReject.items.filter((i) => dropped.has(i.paperId) || i.paperId === blank);
    expect(missingItems.every((i) => i.score === null)).toBe(true);
    const all = binaryMetrics(asReject.items, 6);
    const present = binaryMetrics(
      asReject.items.filter((i) => i.score !== null),
      6,
    );
    expect([all.tp, all.fp]).toEqual([present.tp, present.fp]);
    expect(all.fn + all.tn).toBe(present.fn + present.tn + 11);
    expect(binaryMetrics(missingItems, 1)).toMatchObject({ tp: 0, fp: 0 });
    const excluded = joinReviews(ratings.papers, edited, 'exclude');
    expect(excluded.items).toHaveLength(489);
    expect(excluded).toMatchObject({ missing: 11, ignored: 1 });
    expect(rocAuc(asReject.items)).toBeCloseTo(pairwiseAuc(asReject.items), 12);
    // The table says how many papers each reviewer has a usable review for, under either policy.
    for (const missing of ['reject', 'exclude'] as const) {
      const table = comparisonTable(
        buildReport(ratings, [{ config: parseConfigName('edited.csv'), reviews: edited }], { missing }),
      );
      expect(table).toContain('| `edited` | - | - | - | - | - | 489/500 |');
    }
  });
});

describe('human baseline', () => {
  it('scores each human reviewer’s score against the final decision', () => {
    const h = report.human;
    const items = humanReviewerItems(ratings.papers);
    expect(h.predictions).toBe(items.length);
    expect(h.papers).toBe(500);
    expect(h.metrics.atThreshold).toEqual(binaryMetrics(items, 6));
    const m = h.metrics.atThreshold;
    expect([m.balancedAccuracy, m.f1, h.metrics.aucOverall, m.fpr, m.fnr].map(two)).toEqual([
      '0.77',
      '0.71',
      '0.81',
      '0.31',
      '0.15',
    ]);
  });

  it('cannot reproduce the published human row on these papers: its F1 implies another acceptance rate', () => {
    const h = PUBLISHED.human;
    const share = report.accepted / report.papers;
    expect(two(impliedAcceptShare(h))).toBe('0.26');
    expect(f1AtRates(h.fpr, h.fnr, impliedAcceptShare(h))).toBeCloseTo(h.f1, 12);
    // Even at the published error rates, this file's 37 % acceptance gives F1 ≥ 0.53, not 0.49.
    expect(f1AtRates(h.fpr + 0.005, h.fnr + 0.005, share)).toBeGreaterThan(0.53);
    // And no threshold on a single human score reaches the published FPR and FNR together.
    const sweep = thresholdSweep(humanReviewerItems(ratings.papers));
    expect(sweep.some((s) => two(s.fpr) === two(h.fpr) && two(s.fnr) === two(h.fnr))).toBe(false);
  });
});

describe('calibration', () => {
  it('splits by a seeded hash of the paper id: deterministic, order-free, about the asked share', () => {
    const ids = ratings.papers.map((p) => p.paperId);
    const a = ids.map((id) => splitOf(id));
    expect([...ids].reverse().map((id) => splitOf(id))).toEqual([...a].reverse());
    const train = a.filter((s) => s === 'train').length;
    expect(train).toBeGreaterThan(200);
    expect(train).toBeLessThan(300);
    expect(ids.map((id) => splitOf(id, { seed: 2 }))).not.toEqual(a);
    expect(ids.filter((id) => splitOf(id, { trainFraction: 0.8 }) === 'train').length).toBeGreaterThan(350);
  });

  it('fits the threshold with the best training balanced accuracy and reports it held out', () => {
    for (const r of [...report.reviewers, report.human]) {
      const c = r.calibration;
      const train = r.items.filter((i) => splitOf(i.paperId) === 'train');
      const heldOut = r.items.filter((i) => splitOf(i.paperId) === 'heldOut');
      expect(c.trainPapers + c.heldOutPapers).toBe(500);
      const best = Math.max(...thresholdSweep(train).map((m) => m.balancedAccuracy));
      expect(c.train.balancedAccuracy).toBe(best);
      expect(c.heldOut).toEqual(binaryMetrics(heldOut, c.threshold));
    }
    const gpt = report.reviewers.find((x) => x.name === PUBLISHED.gpt4o.config)!.calibration;
    expect(calibrate(report.reviewers.find((x) => x.name === PUBLISHED.gpt4o.config)!.items)).toEqual(gpt);
    expect(gpt.threshold).toBe(6);
  });

  it('breaks a tie toward the stricter threshold', () => {
    const items: ScoredItem[] = [
      { paperId: 'a', score: 1, positive: false },
      { paperId: 'b', score: 2, positive: true },
      { paperId: 'c', score: 3, positive: false },
      { paperId: 'd', score: 4, positive: true },
    ];
    // ≥ 2 and ≥ 4 both give balanced accuracy 0.75.
    expect(fitThreshold(items).threshold).toBe(4);
    expect(() => fitThreshold(items.filter((i) => i.positive))).toThrow(InvalidInputError);
  });
});

describe('PNG figures', () => {
  /** Splits a PNG into chunks, checking each CRC with node:zlib's own crc32. */
  function chunks(png: Buffer): { type: string; data: Buffer }[] {
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const out: { type: string; data: Buffer }[] = [];
    for (let o = 8; o < png.length;) {
      const len = png.readUInt32BE(o);
      const type = png.subarray(o + 4, o + 8).toString('ascii');
      const data = png.subarray(o + 8, o + 8 + len);
      expect(png.readUInt32BE(o + 8 + len)).toBe(zlibCrc32(png.subarray(o + 4, o + 8 + len)));
      out.push({ type, data });
      o += 12 + len;
    }
    return out;
  }

  /** Decodes the PNGs we write (RGB, filter 0) back to pixels. */
  function decode(png: Buffer): { width: number; height: number; rgb: Buffer } {
    const cs = chunks(png);
    const ihdr = cs[0]!;
    expect(ihdr.type).toBe('IHDR');
    const width = ihdr.data.readUInt32BE(0);
    const height = ihdr.data.readUInt32BE(4);
    const raw = inflateSync(Buffer.concat(cs.filter((c) => c.type === 'IDAT').map((c) => c.data)));
    const rgb = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      expect(raw[y * (width * 3 + 1)]).toBe(0);
      raw.copy(rgb, y * width * 3, y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1));
    }
    expect(cs.at(-1)!.type).toBe('IEND');
    return { width, height, rgb };
  }

  it('encodes pixels losslessly with valid chunk CRCs', () => {
    const c = new Canvas(7, 5, [10, 20, 30]);
    c.fillRect(1, 1, 3, 2, [200, 100, 0]);
    c.text(0, 0, 'A', [1, 2, 3], { scale: 1 });
    const back = decode(c.toPng());
    expect(back).toMatchObject({ width: 7, height: 5 });
    expect(Buffer.from(back.rgb).equals(Buffer.from(c.pixels))).toBe(true);
    expect(crc32(Buffer.from('IEND'))).toBe(zlibCrc32('IEND'));
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow(/expected 12 bytes/);
  });

  it('draws an ROC curve per reviewer and a histogram each, in the reviewers’ colours', () => {
    const figures = reportFigures(report);
    expect(figures.map((f) => f.file)).toEqual([
      'roc.png',
      ...report.reviewers.map((r) => `hist-${r.name}.png`),
      'hist-human.png',
    ]);
    const roc = decode(figures[0]!.png);
    const has = (rgb: Buffer, color: readonly number[]) => {
      for (let i = 0; i < rgb.length; i += 3)
        if (rgb[i] === color[0] && rgb[i + 1] === color[1] && rgb[i + 2] === color[2]) return true;
      return false;
    };
    expect(has(roc.rgb, [0x1f, 0x77, 0xb4])).toBe(true); // first reviewer
    expect(has(roc.rgb, [0x8c, 0x56, 0x4b])).toBe(true); // sixth reviewer
    const hist = decode(figures[2]!.png);
    expect(has(hist.rgb, [0x2c, 0xa0, 0x2c])).toBe(true); // accepted bars
    expect(has(hist.rgb, [0xd6, 0x27, 0x28])).toBe(true); // rejected bars
  });
});

describe('the README figures', () => {
  it('in docs/ are what the code draws now (regenerate: bench-reviewer metrics --out, copy two files)', async () => {
    const figures = reportFigures(report);
    const png = (file: string) => figures.find((f) => f.file === file)!.png;
    expect((await readFile(path.join(ROOT, 'docs/reviewer-roc.png'))).equals(png('roc.png'))).toBe(true);
    expect(
      (await readFile(path.join(ROOT, 'docs/reviewer-histogram.png'))).equals(
        png(`hist-${PUBLISHED.gpt4o.config}.png`),
      ),
    ).toBe(true);
  });
});

describe('scientist bench-reviewer metrics', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(path.join(tmpdir(), 'review-bench-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('writes report.md with the side-by-side table, report.json and the figures', async () => {
    const { report: r, written } = await benchMetrics({
      data: DATA,
      out,
      threshold: 6,
      missing: 'reject',
      seed: '1',
      trainFraction: 0.5,
    });
    expect(r.reviewers).toHaveLength(6);
    expect((await readdir(out)).sort()).toEqual(written.map((f) => path.basename(f)).sort());
    expect(written).toHaveLength(10);
    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    for (const rev of r.reviewers) expect(md).toContain(`| \`${rev.name}\` |`);
    expect(md).toContain('![ROC curves');
    expect(md).toMatch(/Computed here: balanced accuracy 0\.65, F1 0\.57, AUC 0\.65, FPR 0\.31, FNR 0\.39\./);
    const json = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as {
      reviewers: { name: string; items?: unknown }[];
    };
    expect(json.reviewers.map((x) => x.name)).toEqual(r.reviewers.map((x) => x.name));
    expect(json.reviewers[0]!.items).toBeUndefined();
  });

  it('runs as a CLI verb on one review file, with --json', async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          path.join(ROOT, 'bin', 'scientist'),
          [
            'bench-reviewer',
            'metrics',
            '--data',
            DATA,
            '--reviews',
            path.join(benchDir, 'llm_reviews', GPT4O),
            '--json',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      reviewers: { name: string; metrics: { atThreshold: { balancedAccuracy: number } } }[];
    };
    expect(parsed.reviewers.map((x) => x.name)).toEqual([PUBLISHED.gpt4o.config]);
    expect(two(parsed.reviewers[0]!.metrics.atThreshold.balancedAccuracy)).toBe('0.65');
  });

  it('says which folder it needs when --data is wrong', () => {
    expect(existsSync(path.join(ROOT, 'nowhere'))).toBe(false);
    expect(() => resolveBenchDir(path.join(ROOT, 'nowhere'))).toThrow(/holds no ratings_subset\.tsv/);
  });
});
