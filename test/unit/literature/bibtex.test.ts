import {
  bracesBalanced,
  buildBibEntry,
  citeKeyOf,
  dedupeBibEntries,
  escapeLatex,
  field,
  formatBibEntry,
  makeCiteKey,
  mergeBibtex,
  normalizeBibEntry,
  parseBibtex,
  renameCiteKey,
  repairLatexValue,
  sanitizeCiteKey,
  uniqueCiteKey,
  validateBibEntry,
} from '../../../activities/literature';

// Entries as Semantic Scholar's citationStyles.bibtex really writes them (types in the type slot, accented keys).
const S2_CONFERENCE =
  "@['JournalArticle', 'Conference']{Ammar2018ConstructionOT,\n author = {Waleed Ammar and Dirk Groeneveld and Oren Etzioni},\n booktitle = {NAACL},\n pages = {84-91},\n title = {Construction of the Literature Graph in Semantic Scholar},\n year = {2018}\n}\n";
const S2_ACCENTED =
  "@['JournalArticle']{Salomón-Ferrer2013RoutineMM,\n author = {Romelia Salomón-Ferrer and A. Götz and D. Poole and S. Le Grand and R. Walker},\n journal = {Journal of chemical theory and computation},\n title = {Routine Microsecond Molecular Dynamics Simulations with AMBER on GPUs. 2. Explicit Solvent Particle Mesh Ewald},\n year = {2013}\n}\n";
const S2_NONE =
  '@None{Smith2020Fast,\n author = {J. Smith},\n title = {Fast & Slow Thinking for 100% of $O(n_1)$ cases},\n year = {2020}\n}\n';

describe('BibTeX parsing and normalization', () => {
  it("repairs Semantic Scholar's entry types and accented keys", () => {
    const [conf] = parseBibtex(S2_CONFERENCE).map((e) => normalizeBibEntry(e));
    expect(conf!.type).toBe('inproceedings');
    expect(conf!.key).toBe('Ammar2018ConstructionOT');
    expect(field(conf!, 'booktitle')).toBe('NAACL');

    const [acc] = parseBibtex(S2_ACCENTED).map((e) => normalizeBibEntry(e));
    expect(acc!.type).toBe('article');
    expect(acc!.key).toBe('Salomon-Ferrer2013RoutineMM');
    // Values keep their Unicode: only keys must be ASCII.
    expect(field(acc!, 'author')).toContain('Salomón-Ferrer');

    const [none] = parseBibtex(S2_NONE).map((e) => normalizeBibEntry(e));
    expect(none!.type).toBe('misc');
    expect(field(none!, 'title')).toBe('Fast \\& Slow Thinking for 100\\% of $O(n_1)$ cases');
    for (const e of [conf!, acc!, none!]) expect(validateBibEntry(e)).toEqual([]);
  });

  it('parses nested braces, quotes, numbers, concatenation and skips comments and macros', () => {
    const text = `
@comment{ignore me}
@string{nips = "NeurIPS"}
@InProceedings{ key1 ,
  Title = {The {BERT} model {and {nested}} braces},
  booktitle = "Proc. of " # nips,
  year = 2019,
  pages = "1--10",
}
@article(key2, title = "Parenthesised entry", year = {2001})
`;
    const entries = parseBibtex(text);
    expect(entries.map((e) => e.key)).toEqual(['key1', 'key2']);
    expect(entries[0]!.type).toBe('InProceedings');
    expect(entries[0]!.fields).toEqual([
      ['title', 'The {BERT} model {and {nested}} braces'],
      ['booktitle', 'Proc. of nips'],
      ['year', '2019'],
      ['pages', '1--10'],
    ]);
    expect(field(entries[1]!, 'title')).toBe('Parenthesised entry');
  });

  it('formats entries that parse back to the same entry', () => {
    const entry = normalizeBibEntry(parseBibtex(S2_CONFERENCE)[0]!);
    const text = formatBibEntry(entry);
    expect(text).toMatch(/^@inproceedings\{Ammar2018ConstructionOT,\n {2}author = \{.*\},\n[\s\S]*\n\}\n$/);
    expect(parseBibtex(text)[0]).toEqual(entry);
    expect(citeKeyOf(text)).toBe('Ammar2018ConstructionOT');
    const renamed = renameCiteKey(text, 'ammar2018construction');
    expect(citeKeyOf(renamed)).toBe('ammar2018construction');
    expect(field(parseBibtex(renamed)[0]!, 'title')).toBe(
      'Construction of the Literature Graph in Semantic Scholar',
    );
  });
});

describe('BibTeX escaping and keys', () => {
  it('escapes every LaTeX special character in plain text', () => {
    expect(escapeLatex('R&D 50% $5 #1 a_b ~x^2 C:\\dir {ok}')).toBe(
      'R\\&D 50\\% \\$5 \\#1 a\\_b \\textasciitilde{}x\\textasciicircum{}2 C:\\textbackslash{}dir \\{ok\\}',
    );
    // Unbalanced braces would break the whole .bib (bibtex counts escaped braces too): they go.
    expect(escapeLatex('a } b {')).toBe('a  b ');
    expect(bracesBalanced(escapeLatex('x { y'))).toBe(true);
  });

  it('repairs already-LaTeX values without breaking math or existing escapes', () => {
    expect(repairLatexValue('Fast & Slow, 50\\% done, $a_1 \\& b$ and x_2')).toBe(
      'Fast \\& Slow, 50\\% done, $a_1 \\& b$ and x\\_2',
    );
    expect(repairLatexValue('costs $5 only')).toBe('costs \\$5 only');
    expect(repairLatexValue('broken {title')).toBe('broken title');
  });

  it('makes lastnameYEARfirstword keys that are ASCII, stable and unique', () => {
    expect(
      makeCiteKey(['Alethea Power', 'Yuri Burda'], 2022, 'Grokking: Generalization Beyond Overfitting'),
    ).toBe('power2022grokking');
    expect(makeCiteKey(['Vaswani, Ashish'], 2017, 'Attention Is All You Need')).toBe('vaswani2017attention');
    expect(makeCiteKey(['Bojan Žunkovič'], 2022, 'The <i>phase</i> transitions')).toBe('zunkovic2022phase');
    expect(makeCiteKey([], null, '')).toBe('anon' + 'nd' + 'paper');
    expect(uniqueCiteKey('power2022grokking', ['Power2022Grokking'])).toBe('power2022grokkinga');
    expect(uniqueCiteKey('k', ['k', 'ka', 'kb'])).toBe('kc');
    expect(uniqueCiteKey('k', ['k', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `k${c}`)])).toBe(
      'kaa',
    );
    expect(sanitizeCiteKey('Müller {et al}, 2020#1')).toBe('Mulleretal20201');
    expect(sanitizeCiteKey('2020paper')).toBe('ref2020paper');
  });

  it('builds valid entries from metadata, choosing the type from the venue', () => {
    const journal = buildBibEntry({
      key: 'lecun2015deep',
      title: 'Deep learning',
      authors: ['Yann LeCun', 'Yoshua Bengio', 'Geoffrey E. Hinton'],
      year: 2015,
      venue: 'Nature',
      venueKind: 'journal',
      volume: '521',
      number: '7553',
      pages: '436-444',
      doi: 'https://doi.org/10.1038/nature14539',
    });
    expect(formatBibEntry(journal)).toBe(
      '@article{lecun2015deep,\n  title = {Deep learning},\n  author = {Yann LeCun and Yoshua Bengio and Geoffrey E. Hinton},\n' +
        '  journal = {Nature},\n  year = {2015},\n  volume = {521},\n  number = {7553},\n  pages = {436--444},\n  doi = {10.1038/nature14539}\n}\n',
    );
    const odd = buildBibEntry({
      key: 'x',
      title: 'Q&A: <i>why</i> 100%?',
      authors: ['Sand and Sea Lab'],
      year: null,
    });
    expect(odd.type).toBe('misc');
    expect(field(odd, 'title')).toBe('Q\\&A: why 100\\%?');
    // "and" inside one author's name must not split it into two authors.
    expect(field(odd, 'author')).toBe('Sand {and} Sea Lab');
    expect(validateBibEntry(odd)).toEqual([]);
  });

  it('reports what would break bibtex', () => {
    expect(validateBibEntry({ type: "['x']", key: 'a b', fields: [['title', 'A & {B']] })).toEqual([
      'bad key "a b"',
      'bad type "[\'x\']"',
      'unbalanced braces in title',
      'unescaped special character in title',
    ]);
  });
});

describe('references.bib merging', () => {
  const existing =
    '% hand-written by the template\n@article{lu2024aiscientist,\n  title = {The {AI} {Scientist}: Towards Fully Automated Open-Ended Scientific Discovery},\n  year = {2024}\n}\n';

  it('appends new entries, keeps the existing text byte for byte, and skips papers already present', () => {
    const sameTitle =
      '@misc{Lu2024TheAS,\n title = {The AI Scientist: Towards Fully Automated Open-Ended Scientific Discovery},\n year = {2024}\n}';
    const clash = buildBibEntry({
      key: 'lu2024aiscientist',
      title: 'A different paper',
      authors: ['Chris Lu'],
      year: 2024,
    });
    const fresh = parseBibtex(S2_CONFERENCE)[0]!;
    const merged = mergeBibtex(existing, [sameTitle, clash, fresh, S2_CONFERENCE]);
    expect(merged.text.startsWith(existing)).toBe(true);
    expect(merged.added).toEqual(['lu2024aiscientista', 'Ammar2018ConstructionOT']);
    expect(merged.keyFor).toEqual({
      Lu2024TheAS: 'lu2024aiscientist',
      lu2024aiscientist: 'lu2024aiscientista',
      Ammar2018ConstructionOT: 'Ammar2018ConstructionOT',
    });
    expect(merged.skipped).toEqual([
      { key: 'Lu2024TheAS', reason: 'duplicate-title', existingKey: 'lu2024aiscientist' },
      { key: 'Ammar2018ConstructionOT', reason: 'duplicate-entry', existingKey: 'Ammar2018ConstructionOT' },
    ]);
    const all = parseBibtex(merged.text);
    expect(all.map((e) => e.key)).toEqual([
      'lu2024aiscientist',
      'lu2024aiscientista',
      'Ammar2018ConstructionOT',
    ]);
    // Merging the result again adds nothing: merging is idempotent.
    expect(mergeBibtex(merged.text, [clash, fresh]).added).toEqual([]);
  });

  it('dedupes by key (case-insensitive) and by title', () => {
    const entries = parseBibtex(
      '@misc{A1, title={One}}\n@misc{a1, title={Two}}\n@misc{B, title={{O}ne.}}\n@misc{C, title={Three}}',
    );
    expect(dedupeBibEntries(entries).map((e) => e.key)).toEqual(['A1', 'C']);
  });
});
