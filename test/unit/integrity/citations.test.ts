/**
 * The citation check's plain functions: an entry resolved by title, year and authors (or not),
 * a removed entry's keys taken out of every \cite, the citing sentences put to the model, and an
 * unsupported citation removed from its sentence.
 */
import {
  citationStatus,
  citedKeys,
  citingSentences,
  removeCitesAt,
  resolveEntry,
  stripCites,
  titleSimilarity,
  withoutEntries,
} from '../../../activities/integrity/citations';
import { parseBibtex, type Paper } from '../../../activities/literature';

const paper = (over: Partial<Paper>): Paper => ({
  paperId: 'p1',
  title: 'Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets',
  authors: ['Alethea Power', 'Yuri Burda'],
  venue: 'arXiv',
  year: 2022,
  abstract: 'We study generalization of neural networks on small algorithmically generated datasets.',
  citationCount: 1,
  citeKey: 'power2022',
  bibtex: '',
  source: 'semantic-scholar',
  ...over,
});
const bib = `@article{power2022grokking,
  title={Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets},
  author={Power, Alethea and Burda, Yuri},
  year={2022}
}

@inproceedings{smith2023warmup,
  title={Warmup Schedules Provably Cause Grokking},
  author={Smith, Jane},
  year={2023}
}
`;
const [power, smith] = parseBibtex(bib);
const tex = [
  '\\documentclass{article}',
  '\\begin{document}',
  'Grokking was reported on small algorithmic data \\citep{power2022grokking}. Warmup is known to prevent grokking entirely \\citep{smith2023warmup, power2022grokking}.',
  '',
  'As \\citet{smith2023warmup} show, it does.',
  '\\bibliography{references}',
  '\\end{document}',
].join('\n');

describe('citations', () => {
  it('resolve by title similarity, year and a shared author; a paper that does not exist does not', () => {
    expect(titleSimilarity('Attention Is {All} You Need.', 'attention is all you need')).toBe(1);
    expect(
      resolveEntry(power!, [paper({ title: 'Omnigrok: Grokking Beyond Algorithmic Data' }), paper({})]),
    ).toEqual({
      paper: paper({}),
    });
    expect(resolveEntry(power!, [paper({ year: 2019 })])).toEqual({
      why: expect.stringContaining('year 2022 against 2019'),
    });
    expect(resolveEntry(power!, [paper({ authors: ['Neel Nanda'] })])).toEqual({
      why: expect.stringContaining('no author in common'),
    });
    expect(resolveEntry(smith!, [paper({})])).toEqual({
      why: expect.stringMatching(/^no search result matches/),
    });
    expect(resolveEntry(smith!, [])).toEqual({ why: 'the literature search found nothing for its title' });
  });

  it('a removed entry leaves the bibliography and every \\cite; a \\cite left empty goes whole', () => {
    expect([...citedKeys(tex)]).toEqual(['power2022grokking', 'smith2023warmup']);
    const stripped = stripCites(tex, new Set(['smith2023warmup']));
    expect(stripped).toContain('prevent grokking entirely \\citep{power2022grokking}.');
    expect(stripped).toContain('As show, it does.');
    expect(stripped).not.toContain('smith2023warmup');
    const refs = withoutEntries(bib, new Set(['smith2023warmup']));
    expect(parseBibtex(refs).map((e) => e.key)).toEqual(['power2022grokking']);
  });

  it('puts each (sentence, cited paper) to the model, and removes an unsupported citation from its sentence only', () => {
    const pairs = citingSentences(tex, new Set(['power2022grokking']));
    expect(pairs.map((p) => [p.id, p.key, p.sentence])).toEqual([
      [1, 'power2022grokking', 'Grokking was reported on small algorithmic data.'],
      [2, 'power2022grokking', 'Warmup is known to prevent grokking entirely.'],
    ]);
    const after = removeCitesAt(tex, [pairs[1]!]);
    expect(after).toContain('small algorithmic data \\citep{power2022grokking}.');
    expect(after).toContain('prevent grokking entirely \\citep{smith2023warmup}.');
    const gone = removeCitesAt(stripCites(tex, new Set(['smith2023warmup'])), [
      citingSentences(stripCites(tex, new Set(['smith2023warmup'])), new Set(['power2022grokking']))[1]!,
    ]);
    expect(gone).toContain('prevent grokking entirely.');
  });

  it('says what it did in one line', () => {
    expect(
      citationStatus({
        cited: 2,
        resolved: [{ key: 'a', paperId: 'p', title: 't', source: 'openalex' }],
        removed: [{ key: 'b', title: 't', why: 'w' }],
        unverified: [],
        sentences: [{ id: 1, key: 'a', sentence: 's', verdict: 'unsupported', removed: true }],
        notes: [],
      }),
    ).toBe(
      '1 of 2 cited entries resolved against the literature; 1 removed (b); 1 citing sentence(s) checked against the cited abstracts: 0 supported, 1 unsupported (citation removed), 0 unclear',
    );
  });
});
