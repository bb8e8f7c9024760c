/**
 * Sandbox bench: container start-to-first-output latency (p50/p95) and the sandbox's overhead
 * over running the same pure-Python script directly on the host and in a plain container.
 *   npx tsx bench/sandbox.ts [runs=20]
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { loadProcessConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { DockerSandboxRunner, sandboxImage, sandboxLimits } from '../sandbox';

// CPU-bound, no imports beyond the standard library (the host python3 has no torch): ~1 s.
const WORK_SCRIPT = `
import time
t = time.time()
n, count = 2, 0
while count < 12000:
    if all(n % d for d in range(2, int(n ** 0.5) + 1)):
        count += 1
    n += 1
print("primes", count, "in", round(time.time() - t, 3), "s")
`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const median = (xs: number[]) => pct(xs, 50);

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const runs = Number(argv[0] ?? 20);
  const config = loadProcessConfig();
  const docker = new Docker({ socketPath: config.docker.socketPath });
  const workRoot = path.join(config.dataDir, 'sandbox-work-bench');
  const runner = new DockerSandboxRunner(docker, createLogger('bench', 'warn'), { workRoot });
  const image = sandboxImage(config);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-sandbox-'));
  writeFileSync(path.join(dir, 'hello.py'), 'print("hello")\n');
  writeFileSync(path.join(dir, 'work.py'), WORK_SCRIPT);
  chmodSync(dir, 0o755); // the plain container runs as the image's user (nobody) too
  const limits = sandboxLimits(config, { timeoutMs: 120_000 });

  try {
    // 1. Start-to-first-output and whole-run latency of a trivial script.
    const first: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = Date.now();
      const r = await runner.run({
        runId: `bench-hello-${process.pid}-${i}`,
        image,
        command: ['python3', 'hello.py'],
        workDir: dir,
        limits,
      });
      whole.push(Date.now() - t0);
      if (r.outcome !== 'ok' || r.firstOutputMs === null)
        throw new Error(`bench run ${i} ended ${r.outcome}: ${r.stderrTail}`);
      first.push(r.firstOutputMs);
    }
    console.log(
      `sandbox start-to-first-output over ${runs} runs: p50 ${median(first)} ms, p95 ${pct(first, 95)} ms`,
    );
    console.log(
      `sandbox whole run (work area + create + start + exit + collect + remove): p50 ${median(whole)} ms, p95 ${pct(whole, 95)} ms`,
    );

    // 2. The same CPU-bound script: host, plain container, sandbox. The host's python3 is a
    // different build from the image's, so compare the in-script compute time too, and the
    // fixed cost per run (wall − compute).
    const reps = Math.max(3, Math.round(runs / 4));
    const wall = { host: [] as number[], plain: [] as number[], sandbox: [] as number[] };
    const compute = { host: [] as number[], plain: [] as number[], sandbox: [] as number[] };
    const computeMs = (text: string) => Math.round(Number(/in ([\d.]+) s/.exec(text)?.[1] ?? NaN) * 1000);
    for (let i = 0; i < reps; i++) {
      let t0 = Date.now();
      const { stdout } = await promisify(execFile)('python3', [path.join(dir, 'work.py')]);
      wall.host.push(Date.now() - t0);
      compute.host.push(computeMs(stdout));

      t0 = Date.now();
      const c = await docker.createContainer({
        Image: image,
        Cmd: ['python3', '/bench/work.py'],
        HostConfig: { Binds: [`${dir}:/bench:ro`], NetworkMode: 'none' },
      });
      await c.start();
      const exit = (await c.wait()) as { StatusCode: number };
      if (exit.StatusCode !== 0) throw new Error(`plain container exited ${exit.StatusCode}`);
      wall.plain.push(Date.now() - t0);
      compute.plain.push(computeMs((await c.logs({ stdout: true })).toString()));
      await c.remove({ force: true });

      t0 = Date.now();
      const r = await runner.run({
        runId: `bench-work-${process.pid}-${i}`,
        image,
        command: ['python3', 'work.py'],
        workDir: dir,
        limits,
      });
      if (r.outcome !== 'ok') throw new Error(`bench work run ended ${r.outcome}`);
      wall.sandbox.push(Date.now() - t0);
      compute.sandbox.push(computeMs(r.log));
    }
    const row = (k: keyof typeof wall) =>
      `${k}: wall ${median(wall[k])} ms, compute ${median(compute[k])} ms, fixed cost ${median(wall[k].map((w, i) => w - compute[k][i]!))} ms`;
    console.log(`CPU-bound pure-Python script, median of ${reps}:`);
    for (const k of ['host', 'plain', 'sandbox'] as const) console.log(`  ${row(k)}`);
    const fixed = (k: keyof typeof wall) => median(wall[k].map((w, i) => w - compute[k][i]!));
    console.log(
      `sandbox overhead per run: +${fixed('sandbox') - fixed('host')} ms over the host process, +${fixed('sandbox') - fixed('plain')} ms over a plain container; ` +
        `compute inside the sandbox ${((median(compute.sandbox) / median(compute.plain) - 1) * 100).toFixed(0)} % vs a plain container`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(workRoot, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
