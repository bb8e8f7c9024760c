// Lints texts as if they were the given files, with the project's ESLint config, and prints the
// rule ids each one broke as JSON. Run as a child process by probes.test.ts: ESLint loads its
// flat config with a dynamic import, which jest's module sandbox does not allow.
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';

const probes = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { filePath, code } of probes) {
  const [result] = await eslint.lintText(code, { filePath });
  out.push(result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`));
}
process.stdout.write(JSON.stringify(out));
