/**
 * What the crash tests' fake LLM answers: the pipeline step a chat request is for (read from its
 * prompts, since the wire format carries no step name) and the scripted reply to each step, tagged
 * so that every artifact made from a reply shows which request it came from.
 */
import type { FakeReply } from '../llm/fake-llm-server';
import { editBlock, reviewForm } from '../harness/replies';

const SECTION_BY_TITLE: Record<string, string> = {
  abstract: 'abstract',
  Introduction: 'introduction',
  Background: 'background',
  Method: 'method',
  'Experimental Setup': 'experimental_setup',
  Results: 'results',
  'Conclusions and Future Work': 'conclusion',
  'Related Work': 'related_work',
};

export const PAPER_TITLE = 'Warmup Length and the Onset of Grokking';

const IDEA = {
  Name: 'warmup_length_onset',
  Title: 'Learning-Rate Warmup Length and the Onset of Grokking',
  Experiment:
    'Double the number of warmup steps and compare validation accuracy and the step of 99% accuracy.',
  Interestingness: 6,
  Feasibility: 9,
  Novelty: 6,
};

const REVIEW = reviewForm();

type Message = { role: string; content: string | { type: string; text?: string }[] };
const textOf = (m: Message | undefined) =>
  !m ? '' : typeof m.content === 'string' ? m.content : m.content.map((p) => p.text ?? '').join('\n');

/**
 * The pipeline step a chat request is for, read from its system prompt and question (the wire
 * format carries no step name): `experiments/run_1/edit`, `writeup/results/draft`, … Unknown
 * requests get `unknown` and fail loudly.
 */
export function stepOf(body: Record<string, unknown>): string {
  const messages = (body.messages ?? []) as Message[];
  // The system message is the system prompt, then the context parts (code, notes, the draft).
  const system = textOf(messages.find((m) => m.role === 'system' || m.role === 'developer')).split(
    '\n\n',
  )[0]!;
  const user = textOf([...messages].reverse().find((m) => m.role === 'user'));
  if (system.includes('change experiment code precisely'))
    return `experiments/run_${/--out_dir=run_(\d+)/.exec(user)?.[1] ?? '?'}/edit`;
  if (system.includes('precise lab notebook'))
    return `experiments/run_${/Run (\d+) just finished/.exec(user)?.[1] ?? '?'}/notes`;
  if (system.includes('clear, honest figures')) return 'plots/edit';
  if (system.includes('figure descriptions')) return 'plots/describe';
  // The final pass on title and abstract (its own system prompt, or the writer's with this ask).
  if (system.includes('polishing a paper') || /rewrite the title/i.test(user)) return 'writeup/all/refine';
  if (system.includes('writing a paper in LaTeX')) {
    const m = /\b(Write|Refine) the (.+?) section/.exec(user);
    const section = m ? (SECTION_BY_TITLE[m[2]!] ?? m[2]!) : '?';
    return `writeup/${section}/${m?.[1] === 'Refine' ? 'refine' : 'draft'}`;
  }
  if (system.includes('missing citations')) return 'writeup/citations/query';
  if (system.includes('choosing which papers to cite')) return 'writeup/citations/pick';
  if (system.includes('so that it compiles')) return 'compile/fix';
  if (system.includes('reviewing a paper'))
    return /check the review for accuracy/.test(user) ? 'review/reflection' : 'review/review';
  if (system.includes('area chair')) return 'review/meta';
  if (system.includes('checks whether an idea is novel')) return 'novelty/round';
  if (user.includes('Propose the next impactful')) return 'ideas/generate';
  if (/Round \d+ of reflection/.test(user)) return 'ideas/reflect';
  return 'unknown';
}

/** The tag (`r<n>`) a scripted reply carries, as "(r<n>)". */
export function tagOf(text: string): string | undefined {
  return /\((r\d+)\)/.exec(text)?.[1];
}

/** The scripted answer to a step; `tag` (e.g. "r17") makes every reply's text unique. */
export function answerFor(step: string, tag: string, body: Record<string, unknown>): FakeReply | undefined {
  const text = (t: string): FakeReply => ({ kind: 'text', text: t });
  const json = (v: unknown): FakeReply => ({ kind: 'text', text: JSON.stringify(v) });
  const user = textOf([...((body.messages ?? []) as Message[])].reverse().find((m) => m.role === 'user'));
  const section = /^writeup\/(\w+)\//.exec(step)?.[1];
  switch (step) {
    case 'ideas/generate':
      return json({ ...IDEA, Experiment: `${IDEA.Experiment} (${tag})` });
    case 'ideas/reflect':
      return json({ thought: `Clear and feasible (${tag}).`, idea: IDEA, done: true });
    case 'novelty/round':
      return json({ thought: `No paper varies only the warmup length (${tag}).`, decision: 'novel' });
    case 'experiments/run_1/edit':
      return text(
        `Plan (${tag}): run 1 doubles the warmup; that is the whole plan.\n\n` +
          editBlock(
            'experiment.py',
            'warmup_steps=10, steps_per_dataset=150',
            'warmup_steps=20, steps_per_dataset=150',
          ) +
          editBlock(
            'experiment.py',
            'DEFAULT_CHECKPOINT_EVERY = 50 if FAST else 1000',
            `# crash-test edit ${tag}\nDEFAULT_CHECKPOINT_EVERY = 50 if FAST else 1000`,
          ),
      );
    case 'experiments/run_1/notes':
      return text(`Run 1 doubled the warmup steps from 10 to 20 (${tag}).`);
    case 'plots/edit':
      return text(
        editBlock(
          'plot.py',
          '    "run_0": "Baseline",',
          `    "run_0": "Baseline",\n    "run_1": "Doubled warmup (${tag})",`,
        ),
      );
    case 'plots/describe':
      return text(`Each figure compares the baseline with the doubled warmup (${tag}).`);
    case 'writeup/abstract/draft':
    case 'writeup/abstract/refine':
    case 'writeup/all/refine':
      return text(
        `${PAPER_TITLE}\nWe study how the length of the learning-rate warmup changes grokking (${tag}).`,
      );
    case 'writeup/citations/query':
      return json({ done: true, description: `no important citation is missing (${tag})` });
    case 'writeup/citations/pick':
      return json({ selected: [], description: `nothing fits (${tag})` });
    case 'compile/fix':
      return text(`No change is needed (${tag}).`);
    case 'review/review':
    case 'review/meta':
      return json({ ...REVIEW, summary: `${REVIEW.summary} (${tag})` });
    case 'review/reflection':
      return json({ ...REVIEW, summary: `${REVIEW.summary} (${tag})`, done: true });
  }
  if (/^experiments\/run_\d+\/edit$/.test(step)) return text(`ALL_COMPLETED (${tag})`);
  if (section && section !== '?') {
    if (section === 'related_work') {
      const key = /exactly these keys:\n([^:\n]+):/.exec(user)?.[1];
      return text(
        key
          ? `Grokking was first reported by \\citet{${key}} (${tag}).`
          : `Related work is discussed in words (${tag}).`,
      );
    }
    return text(`We describe the ${section.replace('_', ' ')} of this study in plain words (${tag}).`);
  }
  return undefined;
}
