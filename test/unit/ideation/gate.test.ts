/**
 * Ideas that are ideas (activities/ideation/gate.ts): the placeholder idea of the first-contact
 * run is rejected with every reason, an idea about nothing in the template is rejected, and the
 * seed ideas of every shipped template pass.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ideaProblem, templateVocabulary, type IdeaFields } from '../../../activities/ideation/gate';
import { PROJECT_ROOT } from '../../../lib/paths';

const TEMPLATES = path.join(PROJECT_ROOT, 'templates');
const vocab = (template: string) =>
  templateVocabulary(readFileSync(path.join(TEMPLATES, template, 'experiment.py'), 'utf8'));
const grokking = vocab('grokking');
const idea = (over: Partial<IdeaFields> = {}): IdeaFields => ({
  Name: 'warmup_grokking',
  Title: 'Learning-Rate Warmup and the Onset of Grokking',
  Experiment: 'Double the number of warmup steps and measure validation accuracy and steps to 99% accuracy.',
  Interestingness: 6,
  Feasibility: 9,
  Novelty: 5,
  ...over,
});

describe('ideaProblem', () => {
  it('rejects the first-contact idea (punctuation title, a field name as name, a one-word plan, every score 1) with each reason', () => {
    const problem = ideaProblem(
      idea({
        Title: '",           "',
        Name: 'experiment',
        Experiment: 'experiment',
        Interestingness: 1,
        Feasibility: 1,
        Novelty: 1,
      }),
      grokking,
      [],
    );
    expect(problem).toContain('the title "\\",           \\"" is empty or not made of words');
    expect(problem).toContain('the name "experiment" is empty or not made of words');
    expect(problem).toContain('its plan has 1 word(s), less than a sentence');
    expect(problem).toContain('every score is at the floor (1)');
  });

  it('rejects a repeated name, an empty title and a plan about nothing the template has', () => {
    expect(ideaProblem(idea(), grokking, ['Warmup-Grokking'])).toBe(
      'its name repeats the idea "Warmup-Grokking"',
    );
    expect(ideaProblem(idea({ Title: '   ' }), grokking, [])).toContain('the title "" is empty');
    expect(
      ideaProblem(
        idea({ Experiment: 'We will study how cats respond to quantum gravity in a lab with many mirrors.' }),
        grokking,
        [],
      ),
    ).toMatch(
      /^its plan mentions nothing the template has \(no metric, hyperparameter or dataset such as datasets, prime, perm_n, train_fraction/,
    );
  });

  it('accepts a sensible idea, spelled as words or as identifiers', () => {
    expect(ideaProblem(idea(), grokking, ['batch_size_grokking'])).toBeUndefined();
    expect(
      ideaProblem(
        idea({ Experiment: 'Sweep weight_decay over four values and compare final_val_acc on x_div_y.' }),
        grokking,
        [],
      ),
    ).toBeUndefined();
    expect(
      ideaProblem(idea({ Interestingness: 1, Feasibility: 1, Novelty: 2 }), grokking, []),
    ).toBeUndefined();
  });

  it('passes the seed ideas of every shipped template', () => {
    for (const template of readdirSync(TEMPLATES)) {
      const v = vocab(template);
      expect(v.terms.length).toBeGreaterThan(5);
      const seeds = JSON.parse(
        readFileSync(path.join(TEMPLATES, template, 'seed_ideas.json'), 'utf8'),
      ) as Partial<IdeaFields>[];
      for (const seed of seeds)
        expect([
          template,
          seed.Name,
          ideaProblem({ ...idea({ Interestingness: 5, Feasibility: 5, Novelty: 5 }), ...seed }, v, []),
        ]).toEqual([template, seed.Name, undefined]);
    }
  });

  it('reads the template’s hyperparameters, metrics and datasets from experiment.py', () => {
    expect(grokking.terms).toEqual(
      expect.arrayContaining(['warmup_steps', 'weight_decay', 'final_val_acc', 'x_plus_y', 'lr']),
    );
    expect(grokking.terms).not.toEqual(expect.arrayContaining(['self', 'out_dir', 'dtype']));
  });
});
