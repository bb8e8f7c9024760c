/** The integrity stage's prompts (activities/integrity/prompts.ts) built from small inputs. */
import type { Paper } from '../../../activities/literature';
import {
  ABSTRACT_CHARS,
  citationPrompt,
  FLAGS_LISTED,
  fixClaimsPrompt,
} from '../../../activities/integrity/prompts';

const paper = (abstract: string): Paper => ({
  paperId: 'W1',
  title: 'Grokking',
  authors: ['A. Power'],
  venue: 'ICLR',
  year: 2022,
  abstract,
  citationCount: 1,
  citeKey: 'power2022',
  bibtex: '',
  source: 'openalex',
});

describe('citationPrompt', () => {
  it('numbers each sentence with the title, year and abstract of the paper it cites', () => {
    const q = citationPrompt(
      [{ id: 1, key: 'power2022', sentence: 'Grokking was found by \\citet{power2022}.', at: 0, end: 1 }],
      new Map([['power2022', paper('a'.repeat(ABSTRACT_CHARS + 50))]]),
    );
    expect(q.system).toContain('checking that each citation in a paper supports the sentence');
    expect(q.prompt).toContain('1. Sentence: "Grokking was found by \\citet{power2022}."');
    expect(q.prompt).toContain('Cited paper: "Grokking" (2022). Abstract: ');
    expect(q.prompt).toContain(`Abstract: ${'a'.repeat(ABSTRACT_CHARS)}\n`.trimEnd());
    expect(q.prompt).not.toContain('a'.repeat(ABSTRACT_CHARS + 1));
    expect(q.prompt).toContain('"verdict": "supported" | "unsupported" | "unclear"');
  });
});

describe('fixClaimsPrompt', () => {
  it('lists the flags (at most FLAGS_LISTED) and gives the records and the document', () => {
    const flags = Array.from({ length: FLAGS_LISTED + 3 }, (_, i) => ({
      kind: 'number' as const,
      text: `0.${i}`,
      context: `accuracy 0.${i}`,
      why: 'in no record',
    }));
    const p = fixClaimsPrompt({ flags, resultsTable: 'run_0: {}', setupFacts: 'CPU', tex: '\\section{A}' });
    expect(p.prompt).toContain('1. number "0.0" in: "accuracy 0.0" (in no record)');
    expect(p.prompt).toContain(`${FLAGS_LISTED}. number "0.${FLAGS_LISTED - 1}"`);
    expect(p.prompt).not.toContain(`${FLAGS_LISTED + 1}. number`);
    expect(p.context?.map((c) => c.text)).toEqual(['run_0: {}', 'CPU', '\\section{A}']);
    expect(p.prompt).toContain('Correct each to the recorded value, or remove the statement.');
    expect(p.prompt).toContain('template.tex\n<<<<<<< SEARCH');
  });
});
