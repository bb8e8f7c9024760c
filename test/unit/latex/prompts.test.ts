/** The LaTeX fix prompt (activities/latex/prompts.ts) built from small inputs. */
import {
  bibliographyKeys,
  fixLatexPrompt,
  numbered,
  TEX_EDIT_FORMAT,
} from '../../../activities/latex/prompts';

describe('fixLatexPrompt', () => {
  it('shows the numbered document, the keys and the feedback, and the edit format', () => {
    const p = fixLatexPrompt({
      tex: 'x\ny',
      citeKeys: ['power2022', 'liu2023'],
      feedback: 'l.2 Undefined control sequence',
    });
    expect(p.context).toEqual([
      { name: 'template.tex with line numbers', text: '   1| x\n   2| y', priority: 2 },
    ]);
    expect(p.prompt).toContain('Citation keys available in references.bib: power2022, liu2023');
    expect(p.prompt).toContain('The compiler and checks report:\nl.2 Undefined control sequence');
    expect(p.prompt).toContain('Remove citations of keys that are not available');
    expect(p.prompt).toContain(TEX_EDIT_FORMAT);
    expect(fixLatexPrompt({ tex: '', citeKeys: [], feedback: '' }).prompt).toContain('references.bib: none');
  });
});

describe('bibliographyKeys and numbered', () => {
  it('reads the keys of a .bib text in order', () => {
    expect(bibliographyKeys('@article{a1,\n title={x}}\n@inproceedings{b_2,\n}')).toEqual(['a1', 'b_2']);
    expect(bibliographyKeys('')).toEqual([]);
  });

  it('numbers lines from 1', () => {
    expect(numbered('a')).toBe('   1| a');
  });
});
