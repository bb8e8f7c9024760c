/** The write-up prompts (activities/writeup/prompts.ts) built from small inputs. */
import {
  citationPickPrompt,
  citationQueryPrompt,
  describeFindings,
  gateNote,
  LATEX_RULES,
  MAX_FINDINGS_SHOWN,
  revisePaperPrompt,
  sectionPrompt,
  sectionRepairPrompt,
  WRITER_SYSTEM,
  type SectionInputs,
} from '../../../activities/writeup/prompts';
import { TEX_EDIT_FORMAT } from '../../../activities/latex/prompts';

const material = {
  notes: 'Run 1 doubled the warmup.',
  resultsTable: 'run_0: {"acc": 0.9}',
  setupFacts: 'GPU: none',
  written: '',
};
const inputs = (over: Partial<SectionInputs> = {}): SectionInputs => ({
  ...material,
  section: 'introduction',
  phase: 'draft',
  citeKeys: ['power2022'],
  citations: [],
  tableLabels: [],
  figureLabels: [],
  gateNote: '',
  hasManifests: false,
  title: 'Warmup and Grokking',
  current: '',
  unsupported: [],
  steering: [],
  ...over,
});

describe('sectionPrompt', () => {
  it('sends the notes, the results table, the setup facts and the paper so far', () => {
    const p = sectionPrompt(inputs());
    expect(p.system).toBe(WRITER_SYSTEM);
    expect(p.context?.map((c) => c.text)).toEqual([
      'Run 1 doubled the warmup.',
      'run_0: {"acc": 0.9}',
      'GPU: none',
      '(nothing yet)',
    ]);
    expect(p.context?.[1]?.name).toMatch(/the ONLY numbers you may report/);
  });

  it('drafts a section with its tips, the keys and the LaTeX rules', () => {
    const p = sectionPrompt(inputs()).prompt;
    expect(p).toContain('Write the Introduction section.');
    expect(p).toContain('our contributions as a bullet list');
    expect(p).toContain(`Citation keys you may use: power2022. ${LATEX_RULES}`);
    expect(p).toContain('Name no GPU, CPU or software version other than the measured facts given.');
  });

  it('tells the results section what code places, and the noise gate', () => {
    const p = sectionPrompt(
      inputs({
        section: 'results',
        tableLabels: ['tab:results'],
        figureLabels: ['fig:acc'],
        gateNote: ' GATE.',
      }),
    ).prompt;
    expect(p).toContain('Code places Table~\\ref{tab:results}');
    expect(p).toContain('and the figures Figure~\\ref{fig:acc} after your text');
    expect(p).toContain("do not copy the table's numbers into one. GATE.");
  });

  it('refines with the current body and the numbers the table lacks', () => {
    const p = sectionPrompt(
      inputs({ section: 'results', phase: 'refine', current: 'Accuracy was 0.93.', unsupported: ['0.93'] }),
    ).prompt;
    expect(p).toContain('Refine the Results section below');
    expect(p).toContain('<current>\nAccuracy was 0.93.\n</current>');
    expect(p).toContain('remove or correct them: 0.93');
  });

  it('shows the title when the abstract is refined, and the cited papers in related work', () => {
    const abs = sectionPrompt(inputs({ section: 'abstract', phase: 'refine', current: 'We study.' })).prompt;
    expect(abs).toContain('<current>\nWarmup and Grokking\nWe study.\n</current>');
    const rel = sectionPrompt(
      inputs({ section: 'related_work', citations: [{ key: 'power2022', description: 'grokking' }] }),
    ).prompt;
    expect(rel).toContain('exactly these keys:\npower2022: grokking');
  });

  it('mentions the measured setup table when the runs have manifests, and passes guidance on', () => {
    const p = sectionPrompt(
      inputs({ section: 'experimental_setup', hasManifests: true, steering: ['be brief'] }),
    ).prompt;
    expect(p).toContain('Code places a Reproducibility paragraph and Table~\\ref{');
    expect(p).toContain('Guidance from the operator:\n- be brief');
  });

  it('asks the final pass for the title and abstract only', () => {
    expect(sectionPrompt(inputs({ section: 'all' })).prompt).toContain(
      'rewrite the title (first line, plain text) and then the abstract',
    );
  });
});

describe('sectionRepairPrompt', () => {
  it('lists the findings and shows the section to write again', () => {
    const findings = Array.from({ length: MAX_FINDINGS_SHOWN + 2 }, (_, i) => ({
      source: 'precheck' as const,
      kind: 'forbidden-command',
      message: `problem ${i + 1}`,
      line: i + 1,
    }));
    const p = sectionRepairPrompt({
      ...material,
      part: 'abstract',
      withTitle: true,
      title: 'A Title',
      body: 'Body \\input{x}',
      findings,
      citeKeys: [],
    });
    expect(p.prompt).toContain('Your abstract section has problems that would stop the paper from compiling');
    expect(p.prompt).toContain('- line 1: problem 1');
    expect(p.prompt).toContain('- (2 more)');
    expect(p.prompt).toContain('<current>\nA Title\nBody \\input{x}\n</current>');
    expect(p.prompt).toContain('the title alone on the first line');
    expect(p.prompt).toContain('Citation keys you may use: none.');
    expect(describeFindings([{ source: 'precheck', kind: 'unbalanced-braces', message: 'm' }])).toBe('- m');
  });
});

describe('gateNote', () => {
  it('says a one-seed result claims no difference, and a failed gate no improvement', () => {
    expect(gateNote({ status: 'one-seed', sentence: 's' }, [])).toContain('Each run has one seed');
    const failed = gateNote({ status: 'failed', sentence: 'The gate failed.' }, ['run_2']);
    expect(failed).toContain('Noise gate paragraph after the tables: "The gate failed."');
    expect(failed).toContain('do not write that the variant improves on');
    expect(failed).toContain('Do not present run_2 as a change or an improvement.');
    expect(gateNote({ status: 'passed', sentence: 'Passed.' }, [])).not.toContain('do not write');
  });
});

describe('citation prompts', () => {
  it('asks for one missing citation as a query', () => {
    const p = citationQueryPrompt({ paperText: '% intro\nWe study.', added: ['a', 'b'], round: 2 });
    expect(p.context?.[0]?.text).toBe('% intro\nWe study.');
    expect(p.prompt).toContain('Citations added so far: a, b.\nRound 2.');
    expect(citationQueryPrompt({ paperText: '', added: [], round: 1 }).prompt).toContain('so far: none.');
  });

  it('asks which papers to pick', () => {
    const p = citationPickPrompt({ description: 'in related work', results: '1: Paper.' });
    expect(p.prompt).toContain('Where the citation goes: in related work');
    expect(p.prompt).toContain('Search results:\n1: Paper.');
    expect(p.prompt).toContain('selected (the numbers of the papers to cite');
  });
});

describe('revisePaperPrompt', () => {
  it('numbers the document and asks for edit blocks from the meta-review', () => {
    const p = revisePaperPrompt({ tex: 'a\nb', notes: 'n', metaReview: 'weak' });
    expect(p.context?.[0]?.text).toBe('   1| a\n   2| b');
    expect(p.context?.[2]).toEqual({ name: "The area chair's meta-review", text: 'weak', priority: 2 });
    expect(p.prompt).toContain('without new experiments');
    expect(p.prompt.endsWith(TEX_EDIT_FORMAT)).toBe(true);
  });
});
