/** How papers found by a search are shown to the model. */
import type { Paper } from './types';

/**
 * Papers as the model reads them in a novelty or citation round (the AI Scientist's layout:
 * number, title, authors, venue, year, citations, abstract).
 */
export function formatPapersForPrompt(papers: Paper[]): string {
  if (papers.length === 0) return 'No papers found.';
  return papers
    .map(
      (p, i) =>
        `${i + 1}: ${p.title}. ${p.authors.join(', ')}. ${p.venue || 'unknown venue'}, ${p.year ?? 'n.d.'}.\n` +
        `Number of citations: ${p.citationCount}\nAbstract: ${p.abstract || '(none)'}`,
    )
    .join('\n\n');
}
