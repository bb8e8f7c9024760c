/** The plot stage's prompts (activities/plots/prompts.ts) built from small inputs. */
import {
  CRITIQUE_SYSTEM,
  describeFiguresPrompt,
  editPlotPrompt,
  figureCritiquePrompt,
  PLOT_EDIT_FORMAT,
} from '../../../activities/plots/prompts';

describe('editPlotPrompt', () => {
  it('shows plot.py and the notes and asks to label exactly the runs', () => {
    const p = editPlotPrompt({ plotPy: 'labels = {}', notes: 'notes', runNames: ['run_0', 'run_2'] });
    expect(p.system).toContain(PLOT_EDIT_FORMAT);
    expect(PLOT_EDIT_FORMAT).toContain('plot.py\n<<<<<<< SEARCH\nlabels = {');
    expect(p.context?.map((c) => [c.name, c.text])).toEqual([
      ['plot.py', 'labels = {}'],
      ['notes.txt', 'notes'],
    ]);
    expect(p.prompt).toContain('The runs with results: run_0, run_2.');
    expect(p.prompt).toContain('`labels` dictionary names exactly these runs');
    expect(p.prompt).not.toContain('previous attempt');
  });

  it("passes the last attempt's failure on", () => {
    const p = editPlotPrompt({ plotPy: '', notes: '', runNames: ['run_0'], feedback: 'KeyError: run_1' });
    expect(p.prompt).toContain('Your previous attempt failed:\nKeyError: run_1');
  });
});

describe('describeFiguresPrompt', () => {
  it('lists the figures and asks for a description of each', () => {
    const p = describeFiguresPrompt({
      plotPy: 'plt.savefig("a.png")',
      notes: 'n',
      figures: ['a.png', 'b.png'],
    });
    expect(p.prompt).toContain('plot.py produced these figures: a.png, b.png.');
    expect(p.prompt).toContain('For each figure, write its file name and a description');
    expect(p.context?.[0]?.text).toBe('plt.savefig("a.png")');
  });
});

describe('figureCritiquePrompt', () => {
  const i = {
    file: 'acc.png',
    width: 640,
    height: 480,
    caption: 'Accuracy per run.',
    plotPy: 'p',
    dataSummary: 'd',
  };

  it('names the figure, its size and caption, and asks for the critique form', () => {
    const p = figureCritiquePrompt(i);
    expect(p.system).toBe(CRITIQUE_SYSTEM);
    expect(p.prompt).toContain('The image is acc.png (640×480 pixels)');
    expect(p.prompt).toContain('Its caption in the paper:\n"Accuracy per run."');
    expect(p.prompt).toContain('verdict ("ok" or "needs-fix")');
    expect(p.context?.map((c) => c.text)).toEqual(['p', 'd']);
  });

  it('says when a figure has no caption', () => {
    expect(figureCritiquePrompt({ ...i, caption: '' }).prompt).toContain('"(none)"');
  });
});
