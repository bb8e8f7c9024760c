/** The experiment stage's prompts (activities/coder/prompts.ts) built from small inputs. */
import {
  ALL_COMPLETED,
  editFormat,
  EXPERIMENT_EDIT_FORMAT,
  planEditPrompt,
  recordRunPrompt,
} from '../../../activities/coder/prompts';

const base = {
  idea: '{"Name": "warmup_grokking"}',
  run: 1,
  maxRuns: 4,
  attempt: 1,
  code: [{ path: 'experiment.py', text: 'warmup_steps = 10' }],
  notes: '# Title: Warmup',
  results: 'run_0: {"acc": 0.9}',
  steering: [],
};

describe('editFormat', () => {
  it('fills the example block in for the file', () => {
    const f = editFormat('plot.py', { what: 'to relabel', search: 'a = 1', replace: 'a = 2' });
    expect(f).toContain(
      'For example, to relabel:\n\nplot.py\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE',
    );
    expect(f).toContain('Copy the SEARCH lines exactly from the current plot.py');
  });
});

describe('planEditPrompt', () => {
  it('puts the edit format in the system prompt and the code, notes and results in context', () => {
    const p = planEditPrompt(base);
    expect(p.system).toContain(EXPERIMENT_EDIT_FORMAT);
    expect(p.context).toEqual([
      { name: 'experiment.py', text: 'warmup_steps = 10', priority: 3 },
      { name: 'notes.txt', text: '# Title: Warmup', priority: 1 },
      { name: 'Results so far (final_info.json per run)', text: 'run_0: {"acc": 0.9}', priority: 2 },
    ]);
  });

  it('asks the first attempt to plan, and later ones to re-plan or stop', () => {
    const first = planEditPrompt(base).prompt;
    expect(first).toContain('Your goal is to implement this idea:\n{"Name": "warmup_grokking"}');
    expect(first).toContain('You have up to 4 runs after the baseline');
    expect(first).not.toContain(ALL_COMPLETED);
    const later = planEditPrompt({ ...base, run: 3, attempt: 2, feedback: 'SyntaxError' }).prompt;
    expect(later).toContain('This is run 3 of at most 4.');
    expect(later).toContain(`reply with ${ALL_COMPLETED} and no edit blocks`);
    expect(later).toContain('Your previous attempt failed:\nSyntaxError');
    expect(later).toContain('python experiment.py --out_dir=run_3');
  });

  it('names every editable file when there are several, and passes guidance on', () => {
    const p = planEditPrompt({
      ...base,
      code: [...base.code, { path: 'model.py', text: 'class M: pass' }],
      steering: ['keep it small'],
    });
    expect(p.context?.[1]).toEqual({ name: 'model.py', text: 'class M: pass', priority: 1.5 });
    expect(p.prompt).toContain('You may edit experiment.py, model.py: start every block with the path');
    expect(p.prompt).toContain('Guidance from the operator (follow it):\n- keep it small');
  });
});

describe('recordRunPrompt', () => {
  it('asks for the run in a paragraph with its numbers', () => {
    const p = recordRunPrompt({ title: 'Warmup', results: 'run_1: {"acc": 0.95}', run: 1 });
    expect(p.prompt).toContain('Idea: Warmup');
    expect(p.prompt).toContain('Results so far:\nrun_1: {"acc": 0.95}');
    expect(p.prompt).toContain('write what run 1 tested');
    expect(p.prompt).toContain('with the exact numbers');
  });
});
