/**
 * Each template's LaTeX skeleton compiles on the host's TeX Live (pdflatex → bibtex → pdflatex ×2)
 * with its embedded bibliography, its figure replaced by a placeholder PNG.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES, SHIPPED_TEMPLATES, TEMPLATES_DIR } from './helpers';

const run = promisify(execFile);
// A valid 1×1 PNG: pdflatex reads the file, so it has to be a real image.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

const cases = [
  ...SHIPPED_TEMPLATES.map((name) => [name, path.join(TEMPLATES_DIR, name)] as const),
  ['ai-scientist fixture', path.join(FIXTURES, 'ai-scientist')] as const,
];

test.each(cases)('latex/template.tex of %s compiles with its bibliography', async (_name, dir) => {
  const work = mkdtempSync(path.join(tmpdir(), 'tpl-latex-'));
  try {
    const tex = readFileSync(path.join(dir, 'latex', 'template.tex'), 'utf8');
    mkdirSync(path.join(work, 'latex'));
    writeFileSync(path.join(work, 'latex', 'template.tex'), tex);
    // Figures come from plot.py, one folder up (\graphicspath{{../}}).
    for (const m of tex.matchAll(/\\includegraphics(?:\[[^\]]*\])?\{([^}]+)\}/g))
      writeFileSync(path.join(work, m[1]!), PNG);

    const opts = { cwd: path.join(work, 'latex'), timeout: 60_000 };
    const pdflatex = () =>
      run(
        'pdflatex',
        ['-interaction=nonstopmode', '-halt-on-error', '-no-shell-escape', 'template.tex'],
        opts,
      );
    await pdflatex();
    await run('bibtex', ['template'], opts);
    await pdflatex();
    await pdflatex();

    expect(existsSync(path.join(work, 'latex', 'template.pdf'))).toBe(true);
    const log = readFileSync(path.join(work, 'latex', 'template.log'), 'utf8');
    expect(log).not.toMatch(/Citation .* undefined|There were undefined references/);
    const cited = [...tex.matchAll(/\\cite[pt]?\{([^}]+)\}/g)].map((m) => m[1]!);
    expect(cited.length).toBeGreaterThan(0);
    const bbl = readFileSync(path.join(work, 'latex', 'template.bbl'), 'utf8');
    for (const key of cited) expect(bbl).toContain(`{${key}}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
