/**
 * What the ideation model reads: the prompt that asks for the next idea and the one that has it
 * reflect on an idea. Pure builders over plain inputs; the activities (./activities.ts) send them.
 */
import { operatorGuidance, type Prompt } from '../research/prompt';
import type { Idea } from './idea';

export interface GenerateIdeaInputs {
  /** The template's system prompt (prompt.json `system`). */
  system: string;
  /** The template's task (prompt.json `task_description`). */
  taskDescription: string;
  /** The template's experiment.py. */
  code: string;
  /** The ideas already proposed (seeds included): the model must not repeat them. */
  archive: Pick<Idea, 'Name' | 'Title'>[];
  steering: string[];
}

/** The next idea: the template code and the archive as context, the task and the idea form asked for. */
export function generateIdeaPrompt(i: GenerateIdeaInputs): Prompt {
  return {
    system: i.system,
    context: [
      { name: 'experiment.py (the research template)', text: i.code, priority: 1 },
      {
        name: 'Ideas already proposed (do not repeat them)',
        text: JSON.stringify(i.archive.map((a) => ({ Name: a.Name, Title: a.Title }))),
        priority: 2,
      },
    ],
    prompt: [
      `Task: ${i.taskDescription}`,
      `Propose the next impactful and creative research idea that can be tested by editing experiment.py, with no new datasets or packages, within the template's compute budget. Answer with one JSON object: Name (lowercase_with_underscores), Title, Experiment (the plan: what to change and measure), Interestingness, Feasibility, Novelty (integers 1-10; be honest).${operatorGuidance(i.steering)}`,
    ].join('\n\n'),
  };
}

export interface ReflectIdeaInputs {
  system: string;
  taskDescription: string;
  /** The idea as it stands (the stored idea form). */
  current: Idea;
  /** The reflection round, from 1. */
  round: number;
  steering: string[];
}

/** One reflection round: the model critiques the idea and gives it back, revised or not. */
export function reflectIdeaPrompt(i: ReflectIdeaInputs): Prompt {
  return {
    system: i.system,
    prompt: [
      `Task: ${i.taskDescription}`,
      `Your current idea:\n${JSON.stringify(i.current, null, 1)}`,
      `Round ${i.round} of reflection. Judge the idea's quality, novelty and feasibility critically; fix anything unclear or infeasible while keeping its spirit. Unless something is clearly wrong, keep it. Answer with JSON: thought (your critique), idea (the full, possibly revised idea, same fields), done (true if no further change is needed).${operatorGuidance(i.steering)}`,
    ].join('\n\n'),
  };
}
