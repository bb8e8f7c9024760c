/**
 * What the scripted model answers in the cluster scenario: the crash tests' script
 * (test/crash/pipeline-llm-script.ts) for every step, except that ideation proposes four distinct
 * ideas on the `steady` template fixture, and each idea's experiment edit changes that fixture.
 */
import type { FakeReply } from '../llm/fake-llm-server';
import { editBlock } from '../harness/replies';
import { answerFor } from '../crash/pipeline-llm-script';

/** The four ideas, each a paper (plans worded apart: ideas sharing most words are dropped as duplicates). */
export const SCENARIO_IDEAS = [
  {
    Name: 'larger_step_size',
    Title: 'A Larger Step Size for Line Fitting',
    Experiment: 'Triple lr to 0.3 and check whether final_loss drops faster within the fixed budget.',
    lr: 0.3,
    momentum: 0.0,
  },
  {
    Name: 'heavy_ball_half',
    Title: 'Half Momentum on a Noisy Regression',
    Experiment: 'Add heavy-ball momentum of one half; report first_loss and final_loss beside the baseline.',
    lr: 0.1,
    momentum: 0.5,
  },
  {
    Name: 'tiny_learning_rate',
    Title: 'Very Slow Descent and Its Final Error',
    Experiment: 'Shrink lr fivefold to 0.02 so that training stays far from convergence at the end.',
    lr: 0.02,
    momentum: 0.0,
  },
  {
    Name: 'strong_momentum',
    Title: 'Strong Heavy-Ball Acceleration',
    Experiment: 'Momentum 0.9 with lr 0.05: does acceleration overshoot, judged by the last recorded error?',
    lr: 0.05,
    momentum: 0.9,
  },
].map((i) => ({ ...i, Interestingness: 5, Feasibility: 9, Novelty: 6 }));

/** Steps of the fixture's run_1: longer than the baseline's 12, so faults land mid-run. */
export const RUN_STEPS = 30;

type Message = { content: string | { type: string; text?: string }[] };
const textOf = (body: Record<string, unknown>) =>
  ((body.messages ?? []) as Message[])
    .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((p) => p.text ?? '').join('\n')))
    .join('\n');

/** The idea a request is about: the one whose name or title it mentions (a reflection, an edit). */
function ideaIn(text: string) {
  return SCENARIO_IDEAS.find((i) => text.includes(i.Name) || text.includes(i.Title));
}

const idea = ({
  Name,
  Title,
  Experiment,
  Interestingness,
  Feasibility,
  Novelty,
}: (typeof SCENARIO_IDEAS)[0]) => ({
  Name,
  Title,
  Experiment,
  Interestingness,
  Feasibility,
  Novelty,
});

export function scenarioAnswer(
  step: string,
  tag: string,
  body: Record<string, unknown>,
): FakeReply | undefined {
  const text = textOf(body);
  const json = (v: unknown): FakeReply => ({ kind: 'text', text: JSON.stringify(v) });
  if (step === 'ideas/generate') {
    // The next idea the request does not list as proposed already.
    const next = SCENARIO_IDEAS.find((i) => !text.includes(i.Name));
    return next ? json(idea(next)) : { kind: 'error', status: 400, message: 'all four ideas proposed' };
  }
  if (step === 'ideas/reflect') {
    const current = ideaIn(text);
    return current && json({ thought: `Clear and feasible (${tag}).`, idea: idea(current), done: true });
  }
  if (step === 'experiments/run_1/edit') {
    const current = ideaIn(text);
    if (!current) return { kind: 'error', status: 400, message: 'an edit request that names no idea' };
    return {
      kind: 'text',
      text:
        `Plan (${tag}): run 1 trains ${current.Name} for the whole budget.\n\n` +
        editBlock('experiment.py', 'STEPS = 12\n', `STEPS = ${RUN_STEPS}  # edit ${tag}\n`) +
        editBlock(
          'experiment.py',
          'def train(lr=0.1, momentum=0.0,',
          `def train(lr=${current.lr}, momentum=${current.momentum},`,
        ),
    };
  }
  return answerFor(step, tag, body);
}
