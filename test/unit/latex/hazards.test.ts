/**
 * The guard on whole-document LaTeX fixes (activities/latex/hazards.ts): a fix or revision is
 * model-written LaTeX too, and one that adds a file read or unbalances the document is refused.
 */
import { addedHazards, missingFiguresAsNotes } from '../../../activities/latex';

describe('addedHazards', () => {
  const doc = String.raw`\documentclass{article}\usepackage{graphicx}\begin{document}
\begin{abstract}x\end{abstract}
Text \input{results_tables}
\end{document}`;
  it('refuses a fix that adds a file read or leaves an environment open, and accepts an ordinary one', () => {
    expect(addedHazards(doc, doc.replace('Text', 'Text \\input{/etc/passwd}'))[0]).toContain(
      '\\input{/etc/passwd}',
    );
    expect(addedHazards(doc, doc.replace('Text', 'Text \\begin{table}'))[0]).toContain('never closed');
    expect(addedHazards(doc, doc.replace('Text', 'Better text \\textbf{now}'))).toEqual([]);
  });
});

describe('missingFiguresAsNotes', () => {
  it('turns an \\includegraphics of a file the paper lacks into a framed note, and keeps the rest', () => {
    const tex =
      'a \\includegraphics[width=2cm]{val_acc}\n% \\includegraphics{commented}\nb \\includegraphics{gone.png}';
    expect(missingFiguresAsNotes(tex, { 'val_acc.png': 1 })).toBe(
      'a \\includegraphics[width=2cm]{val_acc}\n% \\includegraphics{commented}\nb \\fbox{\\parbox{0.8\\linewidth}{\\centering Figure file \\texttt{gone.png} is missing.}}',
    );
  });
});
