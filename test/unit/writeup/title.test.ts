import { ideaTitleOf, usableTitle } from '../../../activities/writeup/title';

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

  it('finds the idea’s title in notes.txt', () => {
    expect(ideaTitleOf('intro\n# Title: Dataset Size and Grokking\n\n## Run 0')).toBe(
      'Dataset Size and Grokking',
    );
    expect(ideaTitleOf('no title here')).toBeUndefined();
  });
});
