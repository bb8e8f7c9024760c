/**
 * The benchmark's records as types: the human ratings and decisions of the ICLR 2022 papers
 * (`ratings_subset.tsv`), one reviewer configuration's reviews (an upstream `llm_reviews/*.csv`)
 * and the configuration a review file's name encodes. Pure parsing; reading files is in
 * ./files.ts.
 */
import { InvalidInputError } from '../../lib/errors';
import { parseTable } from './csv';

/** A paper with its conference decision and the scores (1–10) of its human reviewers. */
export interface HumanPaper {
  paperId: string;
  /** The decision as the file spells it, e.g. `Accept (Poster)`. */
  decision: string;
  /** Whether the decision starts with `Accept` (oral, spotlight and poster all count). */
  accepted: boolean;
  /** The human reviewers' overall scores, blanks left out. */
  scores: number[];
}

export interface HumanRatings {
  /** Papers with a decision, in file order. */
  papers: HumanPaper[];
  /** Papers whose decision is `Unknown`: left out of every metric. */
  unknown: number;
}

const SCORE_COLUMNS = ['0', '1', '2', '3', '4', '5', '6'];

/**
 * Parses `ratings_subset.tsv`: `paper_id`, reviewer columns `0`…`6` (blank where a paper had
 * fewer reviewers) and `decision`. Papers marked `Unknown` are counted and left out.
 */
export function parseHumanRatings(text: string, source = 'ratings_subset.tsv'): HumanRatings {
  const { header, records } = parseTable(text, { delimiter: '\t', source });
  for (const col of ['paper_id', 'decision'])
    if (!header.includes(col)) throw new InvalidInputError(`${source} has no "${col}" column`);
  const papers: HumanPaper[] = [];
  const seen = new Set<string>();
  let unknown = 0;
  for (const r of records) {
    const paperId = r.paper_id!.trim();
    const decision = r.decision!.trim();
    if (seen.has(paperId)) throw new InvalidInputError(`${source}: paper ${paperId} appears twice`);
    seen.add(paperId);
    if (decision === 'Unknown' || decision === '') {
      unknown++;
      continue;
    }
    const scores = SCORE_COLUMNS.filter((c) => header.includes(c))
      .map((c) => r[c]!.trim())
      .filter((v) => v !== '')
      .map((v) => {
        const n = Number(v);
        if (!Number.isFinite(n)) throw new InvalidInputError(`${source}: paper ${paperId} has score "${v}"`);
        return n;
      });
    papers.push({ paperId, decision, accepted: decision.startsWith('Accept'), scores });
  }
  return { papers, unknown };
}

/** One paper's review as a stored review file has it. */
export interface ReviewRecord {
  paperId: string;
  /** The Overall score (1–10), or null when the field is blank or not a number (a failed review). */
  overall: number | null;
  /** The review's own Decision field; the metrics do not use it (the threshold decides). */
  decision: string;
}

/**
 * Parses a review file of the upstream format (one row per paper: `paper_id`, the review
 * form's fields, `Overall`, `Decision`; free text quoted). A paper reviewed twice is an error:
 * which review counts would be a guess.
 */
export function parseReviewCsv(text: string, source = 'reviews.csv'): ReviewRecord[] {
  const { header, records } = parseTable(text, { source });
  for (const col of ['paper_id', 'Overall'])
    if (!header.includes(col)) throw new InvalidInputError(`${source} has no "${col}" column`);
  const seen = new Set<string>();
  return records.map((r) => {
    const paperId = r.paper_id!.trim();
    if (seen.has(paperId)) throw new InvalidInputError(`${source}: paper ${paperId} is reviewed twice`);
    seen.add(paperId);
    const raw = r.Overall!.trim();
    const n = raw === '' ? NaN : Number(raw);
    return { paperId, overall: Number.isFinite(n) ? n : null, decision: (r.Decision ?? '').trim() };
  });
}

/** The reviewer configuration a review file's name encodes. */
export interface ReviewerConfig {
  /** The file name without `.csv`; the configuration's label. */
  name: string;
  model?: string;
  temperature?: number;
  /** Example reviews shown in the prompt (0 when the name has no `_fewshot_`). */
  fewShot?: number;
  /**
   * Review rounds per reviewer, counting the first review as round 1 (upstream's
   * `num_reflections`; 1 when the name has no `_reflect_`). Our `--reflections N` is N + 1 rounds.
   */
  reviewRounds?: number;
  /** Reviews averaged per paper (1 when the name has no `_ensemble_`). */
  ensemble?: number;
  /** Pages of the paper the reviewer read: `all` or a count. */
  pages?: string;
}

const CONFIG_NAME =
  /^(?<model>.+?)_temp_(?<temp>\d+(?:_\d+)?)(?:_fewshot_(?<fewShot>\d+))?(?:_reflect_(?<rounds>\d+))?(?:_ensemble_(?<ensemble>\d+))?(?:_pages_(?<pages>all|\d+))?$/;

/**
 * Reads the configuration from an upstream review file name, e.g.
 * `gpt-4o-2024-05-13_temp_0_1_fewshot_1_reflect_5_ensemble_5_pages_all.csv` → model
 * gpt-4o-2024-05-13, temperature 0.1, 1 few-shot example, 5 rounds, ensemble of 5, all pages.
 * Upstream writes a part only when it differs from the default, so a missing part is the default.
 * A name of another shape gives just its label.
 */
export function parseConfigName(fileName: string): ReviewerConfig {
  const name = fileName.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '');
  const m = CONFIG_NAME.exec(name);
  if (!m?.groups) return { name };
  const g = m.groups;
  return {
    name,
    model: g.model,
    temperature: Number(g.temp!.replace('_', '.')),
    fewShot: g.fewShot === undefined ? 0 : Number(g.fewShot),
    reviewRounds: g.rounds === undefined ? 1 : Number(g.rounds),
    ensemble: g.ensemble === undefined ? 1 : Number(g.ensemble),
    pages: g.pages ?? 'all',
  };
}
