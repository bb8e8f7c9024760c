/**
 * Section bodies with the mistakes a small writing model makes, one kind each (the list:
 * an unclosed environment, unbalanced braces, stray &, % and _, an undefined citation, a missing
 * figure, a file read): the section check must find each, and the paper must compile anyway.
 */
export const PLANTED: Record<string, { body: string; kinds: string[] }> = {
  introduction: {
    body: 'We study warmup.\n\\begin{table}\n\\centering\nA table that is never closed.\n',
    kinds: ['unbalanced-environment'],
  },
  background: {
    body: 'Grokking \\textbf{appears late in training.\n\nIt was first seen in small tasks.}}',
    kinds: ['unbalanced-braces'],
  },
  method: {
    body: 'We compare warmup & no warmup, tune the learning_rate and reach 95% of the accuracy.',
    kinds: ['stray-ampersand', 'stray-underscore', 'stray-percent'],
  },
  experimental_setup: {
    body: 'We follow the setup of \\citet{nobody2099imaginary} on modular arithmetic.',
    kinds: ['undefined-citation'],
  },
  results: {
    body: 'The curves are in Figure~\\ref{fig:curves}.\n\\begin{figure}\\centering\\includegraphics{curves_that_do_not_exist.png}\\label{fig:curves}\\end{figure}',
    kinds: ['missing-figure'],
  },
  conclusion: {
    body: 'We conclude.\n\\input{/etc/passwd}\n',
    kinds: ['forbidden-command'],
  },
};
