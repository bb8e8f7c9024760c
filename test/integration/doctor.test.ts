import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CheckResult } from '../../cli/doctor';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../bin/scientist');

async function doctor(env: NodeJS.ProcessEnv = {}): Promise<{ code: number; results: CheckResult[] }> {
  try {
    const { stdout } = await run(CLI, ['doctor', '--json'], { env: { ...process.env, ...env } });
    return { code: 0, results: JSON.parse(stdout) as CheckResult[] };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, results: JSON.parse(e.stdout) as CheckResult[] };
  }
}

describe('scientist doctor', () => {
  it('passes every check on the running services and exits 0', async () => {
    const { code, results } = await doctor();
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'node',
        'temporal',
        'temporal-ui',
        's3',
        'docker',
        'sandbox-image',
        'sandbox-run',
        'tex',
      ]),
    );
    expect(code).toBe(0);
  });

  it('fails with exit 1 and a fix hint when a service is unreachable', async () => {
    const { code, results } = await doctor({
      SCIENTIST_S3_ENDPOINT: 'http://127.0.0.1:1',
      SCIENTIST_TEMPORAL_UI_URL: 'http://127.0.0.1:2',
    });
    expect(code).toBe(1);
    const s3 = results.find((r) => r.name === 's3');
    expect(s3).toMatchObject({ ok: false });
    expect(s3?.hint).toMatch(/npm run services -- start s3/);
    expect(results.find((r) => r.name === 'temporal-ui')?.ok).toBe(false);
    expect(results.find((r) => r.name === 'temporal')?.ok).toBe(true);
  });
});
