/**
 * The scripted model of a one-idea campaign on grokking (idea "warmup_grokking": run 1 doubles
 * the warmup), as the e2e suite (test/pipeline/e2e.test.ts) and the replay recorder
 * (test/replay/record-patched.ts) run it. They differ only in the novelty replies (the recorder's
 * idea stays undecided) and in the integrity stage's.
 */
import type { ProviderRequest } from '../../activities/llm/types';
import { ScriptedProvider, type ScriptEntry } from '../llm/scripted-provider';
import { editBlock, reviewForm } from './replies';

/** The idea the scripted ideation proposes (the model's own JSON keys). */
export const WARMUP_IDEA = {
  Name: 'warmup_grokking',
  Title: 'Learning-Rate Warmup and the Onset of Grokking',
  Experiment: 'Double the number of warmup steps and measure validation accuracy and steps to 99% accuracy.',
  Interestingness: 6,
  Feasibility: 9,
  Novelty: 5,
};

const REVIEW = reviewForm({
  summary: 'The paper studies warmup in grokking.',
  strengths: ['clear'],
  overall: 5,
  decision: 'Reject',
});

const promptOf = (req: ProviderRequest) => [req.context, ...req.messages.map((m) => m.content)].join('\n');

/** The results section, written from the exact table the activity puts in the prompt. */
function resultsSection(req: ProviderRequest): string {
  const byRun = new Map<string, string>();
  for (const l of promptOf(req).split('\n'))
    if (/^run_\d+: \{/.test(l)) byRun.set(l.slice(0, l.indexOf(':')), l);
  const lines = [...byRun.values()];
  const sentences = lines.map((l) => {
    const [run, json] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)];
    const info = JSON.parse(json) as Record<string, { means: Record<string, number> }>;
    const acc = info.x_plus_y!.means.final_val_acc!;
    return `In ${run.replace('_', ' ')}, the final validation accuracy on x plus y was ${acc.toFixed(4)}.`;
  });
  return sentences.join('\n\n');
}

/** The steps the two scripts do not share: the novelty rounds' replies and the integrity stage's. */
export interface WarmupSteps {
  novelty: ScriptEntry[];
  integrity: ScriptEntry[];
}

export function warmupScript(steps: WarmupSteps): ScriptedProvider {
  const text = (s: string) => ({ reply: s, times: Infinity });
  return new ScriptedProvider([
    { step: /ideas\/idea-1\/generate/, reply: WARMUP_IDEA },
    {
      step: /ideas\/idea-1\/reflect-1/,
      reply: { thought: 'Clear and feasible.', idea: WARMUP_IDEA, done: true },
    },
    ...steps.novelty,
    {
      step: /experiments\/run_1\/edit-1/,
      reply: `Plan: run 1 doubles the warmup.\n\n${editBlock('experiment.py', 'warmup_steps=10, steps_per_dataset=150', 'warmup_steps=20, steps_per_dataset=150')}`,
    },
    { step: /experiments\/run_1\/notes/, reply: 'Run 1 doubled the warmup steps from 10 to 20.' },
    { step: /experiments\/run_2\/edit-1/, reply: 'ALL_COMPLETED' },
    {
      step: /plots\/edit-1/,
      reply: editBlock(
        'plot.py',
        '    "run_0": "Baseline",',
        '    "run_0": "Baseline",\n    "run_1": "Doubled warmup",',
      ),
    },
    { step: /plots\/describe/, reply: 'Each figure compares the baseline with doubled warmup.' },
    {
      step: /writeup\/abstract\//,
      ...text(
        'Learning-Rate Warmup and the Onset of Grokking\nWe study how warmup changes grokking on modular arithmetic.',
      ),
    },
    { step: /writeup\/results\//, reply: resultsSection, times: Infinity },
    {
      step: /writeup\/related_work\//,
      reply: (req: ProviderRequest) => {
        const key = /exactly these keys:\n([^:\n]+):/.exec(promptOf(req))?.[1] ?? 'missing';
        return `Grokking was first reported by \\citet{${key}}.`;
      },
      times: Infinity,
    },
    {
      step: /writeup\/all\/refine/,
      ...text(
        'Learning-Rate Warmup and the Onset of Grokking\nWe study how warmup changes grokking on modular arithmetic.',
      ),
    },
    {
      step: /writeup\/citations\/round-1\.json/,
      reply: { done: false, query: 'grokking', description: 'where grokking was first observed' },
    },
    {
      step: /writeup\/citations\/round-1-pick/,
      reply: { selected: [1], description: 'first observed grokking' },
    },
    { step: /writeup\/citations\/round-2\.json/, reply: { done: true } },
    { step: /writeup\/\w+\/(draft|refine)/, ...text('We describe this part of the study in plain words.') },
    { step: /compile\/fix-/, ...text('No change is needed.') },
    ...steps.integrity,
    { step: /review\/initial\/reviewer-\d\/review/, reply: REVIEW, times: Infinity },
    {
      step: /review\/initial\/reviewer-\d\/reflection-1/,
      reply: { ...REVIEW, overall: 6, done: true },
      times: Infinity,
    },
    { step: /review\/initial\/meta/, reply: REVIEW },
  ]);
}
