/**
 * The ideation prompts (activities/ideation/prompts.ts) built from small inputs: what the model is
 * given appears in them, and the answer form and the operator's guidance are asked for.
 */
import { generateIdeaPrompt, reflectIdeaPrompt } from '../../../activities/ideation/prompts';

const idea = {
  Name: 'warmup_grokking',
  Title: 'Learning-Rate Warmup and the Onset of Grokking',
  Experiment: 'Double warmup_steps and measure final_val_acc.',
  Interestingness: 6,
  Feasibility: 9,
  Novelty: 5,
};

describe('generateIdeaPrompt', () => {
  const p = generateIdeaPrompt({
    system: 'You are a grokking researcher.',
    taskDescription: 'Study modular arithmetic.',
    code: 'warmup_steps = 10',
    archive: [idea],
    steering: ['prefer cheap runs'],
  });

  it("sends the template's system, code and archive, and the task", () => {
    expect(p.system).toBe('You are a grokking researcher.');
    expect(p.context?.map((c) => c.text)).toEqual([
      'warmup_steps = 10',
      JSON.stringify([{ Name: idea.Name, Title: idea.Title }]),
    ]);
    expect(p.context?.[1]?.name).toMatch(/do not repeat them/);
    expect(p.prompt.startsWith('Task: Study modular arithmetic.\n\n')).toBe(true);
  });

  it('asks for the idea form and passes the guidance on', () => {
    for (const field of ['Name (lowercase_with_underscores)', 'Title', 'Experiment', 'Interestingness'])
      expect(p.prompt).toContain(field);
    expect(p.prompt).toContain('Guidance from the operator (follow it):\n- prefer cheap runs');
  });

  it('says nothing of guidance when there is none', () => {
    const plain = generateIdeaPrompt({
      system: 's',
      taskDescription: 't',
      code: '',
      archive: [],
      steering: [],
    });
    expect(plain.prompt).not.toContain('Guidance');
    expect(plain.context?.[1]?.text).toBe('[]');
  });
});

describe('reflectIdeaPrompt', () => {
  it('shows the idea and the round, and asks for thought, idea and done', () => {
    const p = reflectIdeaPrompt({ system: 's', taskDescription: 't', current: idea, round: 3, steering: [] });
    expect(p.context).toBeUndefined();
    expect(p.prompt).toContain(JSON.stringify(idea, null, 1));
    expect(p.prompt).toContain('Round 3 of reflection.');
    expect(p.prompt).toContain('Answer with JSON: thought (your critique), idea');
    expect(p.prompt).toContain('done (true if no further change is needed)');
  });
});
