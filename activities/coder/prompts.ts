/**
 * What the coding model reads in the experiment stage: the edit format (one filled-in example
 * block), the prompt that plans and makes the next run's change, and the one that writes a run's
 * lab notes. Pure builders; ./activities.ts sends them. The plot stage's prompts build on
 * `editFormat` (activities/plots/prompts.ts).
 */
import { operatorGuidance, type Prompt } from '../research/prompt';

/** What the model replies, with no edit blocks, when its plan needs no more runs. */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/**
 * The edit format, shown before the task with one concrete, filled-in block: small models copy
 * an abstract template's placeholders ("exact lines copied from the current file") or reprint
 * the file, but follow a real example (offline measurement: Qwen2.5-Coder-1.5B 0/4 → 4/4 edits
 * that applied). It is the same text on every call, so it sits in the system prompt, part of
 * the prefix the model's state is reused for.
 */
export function editFormat(file: string, example: { what: string; search: string; replace: string }): string {
  return `Make every change as a search/replace block: the file name on its own line, then the lines to find, then the new lines. For example, ${example.what}:

${file}
<<<<<<< SEARCH
${example.search}
=======
${example.replace}
>>>>>>> REPLACE

Copy the SEARCH lines exactly from the current ${file} (a few lines, enough to be unique); put only the changed lines and their neighbours in a block, never the whole file. Use one block per place you change.`;
}

/** The experiment stage's edit format: its example changes experiment.py's learning rate. */
export const EXPERIMENT_EDIT_FORMAT = editFormat('experiment.py', {
  what: 'to lower the learning rate and add weight decay in experiment.py',
  search: '    learning_rate = 1e-3\n    weight_decay = 0.0',
  replace: '    learning_rate = 3e-4\n    weight_decay = 0.01',
});

export interface PlanEditInputs {
  /** The idea as stored (its full text). */
  idea: string;
  /** The run to implement (1 = the first after the baseline) and the most there may be. */
  run: number;
  maxRuns: number;
  /** The attempt at this run's edit, from 1. */
  attempt: number;
  /** The editable code files shown, experiment.py first, with their text. */
  code: { path: string; text: string }[];
  /** notes.txt as it stands. */
  notes: string;
  /** The results of the runs so far, one line per run (runResults). */
  results: string;
  /** Why the previous attempt failed, when one did. */
  feedback?: string | undefined;
  steering: string[];
}

/**
 * The next experiment's edit. Stable first (the model's state is reused across calls that share
 * a prefix): the system text with the edit format, then the template code, then what changes.
 */
export function planEditPrompt(i: PlanEditInputs): Prompt {
  const shown = i.code.map((c) => c.path);
  const intro =
    i.run === 1 && i.attempt === 1
      ? `Your goal is to implement this idea:\n${i.idea}\n\nYou have up to ${i.maxRuns} runs after the baseline (run_0); you need not use them all. First plan the experiments, then implement the first one.`
      : `You are implementing this idea:\n${i.idea}\n\nThis is run ${i.run} of at most ${i.maxRuns}. Decide whether to re-plan, then implement the next experiment. If the plan is complete, reply with ${ALL_COMPLETED} and no edit blocks.`;
  return {
    system: `You are an expert ML research engineer. You change experiment code precisely and minimally.\n\n${EXPERIMENT_EDIT_FORMAT}`,
    context: [
      // experiment.py is cut last; the other modules before the results, after the notes.
      ...i.code.map((c) => ({
        name: c.path,
        text: c.text,
        priority: c.path === 'experiment.py' ? 3 : 1.5,
      })),
      { name: 'notes.txt', text: i.notes, priority: 1 },
      { name: 'Results so far (final_info.json per run)', text: i.results, priority: 2 },
    ],
    prompt: [
      intro,
      `The run will be: python experiment.py --out_dir=run_${i.run}. Do not add command-line arguments; change defaults in the code instead. Keep writing final_info.json in the same format.`,
      i.feedback ? `Your previous attempt failed:\n${i.feedback}` : '',
      shown.length > 1
        ? `You may edit ${shown.join(', ')}: start every block with the path of its file, as shown above each file. Reply with the search/replace block(s), as in the example.${operatorGuidance(i.steering)}`
        : `Reply with the search/replace block(s) for experiment.py, as in the example.${operatorGuidance(i.steering)}`,
    ]
      .filter(Boolean)
      .join('\n\n'),
  };
}

export interface RecordRunInputs {
  /** The idea's title. */
  title: string;
  /** The results of the runs so far, this one included (runResults). */
  results: string;
  /** The run that just finished (1 or later: the baseline's notes need no model). */
  run: number;
}

/** A run's paragraph for notes.txt: what it tested and found, with the numbers. */
export function recordRunPrompt(i: RecordRunInputs): Prompt {
  return {
    system: 'You are an expert ML researcher keeping a precise lab notebook.',
    prompt: [
      `Idea: ${i.title}`,
      `Results so far:\n${i.results}`,
      `Run ${i.run} just finished. In a short paragraph, write what run ${i.run} tested (the change against the previous code) and what it found, with the exact numbers. This goes into notes.txt, which the paper will be written from. Plain text only.`,
    ].join('\n\n'),
  };
}
