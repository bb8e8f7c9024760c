import { ideaTitleOf, splitTitle, usableTitle } from '../../../activities/writeup/title';

describe('the paper title from the model’s first line', () => {
  it('refuses a heading or a label in place of a title', () => {
    expect(usableTitle('# Abstract Section')).toBe('');
    expect(usableTitle('**Title**')).toBe('');
    expect(usableTitle('Abstract')).toBe('');
    expect(usableTitle('The Introduction')).toBe('');
    expect(usableTitle('Grokking')).toBe('');
  });

  it('keeps a title, without markdown or a Title: prefix', () => {
    expect(usableTitle('Title: Dataset Size and the Onset of Grokking')).toBe(
      'Dataset Size and the Onset of Grokking',
    );
    expect(usableTitle('# Warmup Steps and Grokking in Modular Arithmetic')).toBe(
      'Warmup Steps and Grokking in Modular Arithmetic',
    );
    expect(usableTitle('\\title{Weight Decay Delays Grokking}')).toBe('Weight Decay Delays Grokking');
  });

  it('refuses a paragraph, and keeps it in the body; drops a refused heading', () => {
    // The reply a fresh-clone main job got from SmolLM2: the whole abstract on the first line.
    const abstract =
      'The paper is about the work of a team of researchers who are working to create a new type of ' +
      'machine learning model that can learn from the data without being trained on the entire ' +
      'dataset. They are using a technique called grokking to create it.';
    expect(usableTitle(abstract)).toBe('');
    expect(splitTitle(abstract)).toEqual({ title: '', body: abstract });
    expect(splitTitle(`${abstract}\n\nA second paragraph.`).body).toBe(`${abstract}\n\nA second paragraph.`);
    expect(splitTitle('# Abstract Section\nWe study grokking.')).toEqual({
      title: '',
      body: 'We study grokking.',
    });
    expect(splitTitle('Dataset Size and Grokking\nWe study grokking.')).toEqual({
      title: 'Dataset Size and Grokking',
      body: 'We study grokking.',
    });
    // A question in a title is not a sentence end of prose.
    expect(usableTitle('Does Size Matter? Dataset Fraction and the Onset of Grokking')).toBe(
      'Does Size Matter? Dataset Fraction and the Onset of Grokking',
    );
  });

  it('finds the idea’s title in notes.txt', () => {
    expect(ideaTitleOf('intro\n# Title: Dataset Size and Grokking\n\n## Run 0')).toBe(
      'Dataset Size and Grokking',
    );
    expect(ideaTitleOf('no title here')).toBeUndefined();
  });
});
