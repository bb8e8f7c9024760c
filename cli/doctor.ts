/**
 * `scientist doctor`: checks every service the system needs, one line each with a fix hint.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { Config } from '../lib/config';
import { createLogger } from '../lib/log';
import { SEARCH_ATTRIBUTE_TYPES } from '../contracts';
import { S3ArtifactStore } from '../lib/store';
import { connectClient } from '../lib/temporal';
import { DockerSandboxRunner, sandboxImage, sandboxLimits } from '../sandbox';
import { latexImage } from '../sandbox/images';
import { TEX_ENV } from '../activities/latex/compile';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when the check fails. */
  hint?: string;
}

type Check = { name: string; hint: string; run: () => Promise<string> };

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms).unref(),
    ),
  ]);
}

function checks(config: Config): Check[] {
  const docker = new Docker({ socketPath: config.docker.socketPath });
  const image = sandboxImage(config);
  const restart = (svc: string) => `npm run services -- start ${svc} (logs in ${config.dataDir}/logs/)`;
  return [
    {
      name: 'node',
      hint: 'install Node.js 20.3 or newer',
      run: () => {
        const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
        if (major < 20 || (major === 20 && minor < 3))
          return Promise.reject(new Error(`Node ${process.versions.node} is too old`));
        return Promise.resolve(`Node ${process.versions.node}`);
      },
    },
    {
      name: 'temporal',
      hint: `${restart('temporal')}; against a production cluster run: scientist init-namespace`,
      run: async () => {
        const client = await connectClient(config, { connectTimeoutMs: 3000 });
        try {
          const info = await client.workflowService.getSystemInfo({});
          const ns = await client.workflowService.describeNamespace({ namespace: config.temporal.namespace });
          const sa = await client.connection.operatorService.listSearchAttributes({
            namespace: config.temporal.namespace,
          });
          const missing = Object.keys(SEARCH_ATTRIBUTE_TYPES).filter(
            (n) => !(n in (sa.customAttributes ?? {})),
          );
          if (missing.length) throw new Error(`search attributes not registered: ${missing.join(', ')}`);
          const days = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86400;
          return `${config.temporal.address} server ${info.serverVersion}, namespace ${config.temporal.namespace} (retention ${days} d)`;
        } finally {
          await client.connection.close();
        }
      },
    },
    {
      name: 'temporal-ui',
      hint: `${restart('temporal')}; check SCIENTIST_TEMPORAL_UI_URL`,
      run: async () => {
        const res = await fetch(config.temporal.uiUrl, { signal: AbortSignal.timeout(3000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return config.temporal.uiUrl;
      },
    },
    {
      name: 's3',
      hint: `${restart('s3')}; check SCIENTIST_S3_ENDPOINT and the access keys`,
      run: async () => {
        const store = S3ArtifactStore.fromConfig(config);
        const key = `doctor/${process.pid}-${Date.now()}.txt`;
        await store.put(key, 'doctor');
        const back = await store.getText(key);
        await store.remove(key);
        if (back !== 'doctor') throw new Error('read back different bytes');
        return `${config.s3.endpoint} bucket ${config.s3.bucket}: write, read, delete ok`;
      },
    },
    {
      name: 'docker',
      hint: restart('docker'),
      run: async () => {
        const v = await docker.version();
        return `engine ${v.Version} at ${config.docker.socketPath}`;
      },
    },
    {
      name: 'sandbox-image',
      hint: 'bash infra/setup.sh (builds the image with mmdebstrap)',
      run: async () => {
        const info = await docker.getImage(image).inspect();
        return `${image} (${(info.Size / 1e9).toFixed(2)} GB)`;
      },
    },
    {
      name: 'sandbox-run',
      hint: 'see the docker check; the engine must allow --network none containers',
      run: async () => {
        const work = await mkdtemp(path.join(tmpdir(), 'ds-doctor-'));
        try {
          await chmod(work, 0o777);
          const runner = new DockerSandboxRunner(docker, createLogger('doctor', 'warn'));
          const res = await runner.run({
            runId: `doctor-${process.pid}-${Date.now()}`,
            image,
            command: ['python3', '-c', "import os; print(sorted(os.listdir('/sys/class/net')))"],
            workDir: work,
            limits: sandboxLimits(config, { timeoutMs: 60_000, memoryMB: 256 }),
          });
          if (res.outcome !== 'ok')
            throw new Error(`container ended ${res.outcome}: ${res.stderrTail.slice(-300)}`);
          if (res.stdoutTail.trim() !== "['lo']")
            throw new Error(`container sees network interfaces ${res.stdoutTail.trim()}`);
          return `container ran with network none in ${res.durationMs} ms`;
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'tex',
      hint: 'bash infra/setup.sh (installs TeX Live, latexmk, chktex)',
      run: async () => {
        // LaTeX compiles in its own sandbox image, never on the host: compile a natbib document there.
        const dir = await mkdtemp(path.join(tmpdir(), 'ds-doctor-tex-'));
        try {
          await chmod(dir, 0o777);
          await writeFile(
            path.join(dir, 'doc.tex'),
            '\\documentclass{article}\\usepackage{natbib}\\begin{document}Doctor.\\end{document}\n',
          );
          const runner = new DockerSandboxRunner(docker, createLogger('doctor', 'warn'));
          const res = await runner.run({
            runId: `doctor-tex-${process.pid}-${Date.now()}`,
            image: latexImage(config),
            command: [
              'sh',
              '-c',
              'pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error doc.tex && chktex --version',
            ],
            workDir: dir,
            env: TEX_ENV,
            limits: sandboxLimits(config, { timeoutMs: 60_000, memoryMB: 512 }),
          });
          if (res.outcome !== 'ok')
            throw new Error(`LaTeX sandbox ended ${res.outcome}: ${res.stdoutTail.slice(-300)}`);
          return `pdflatex compiled a test document in ${latexImage(config)} (${res.durationMs} ms); chktex present`;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    },
  ];
}

export async function runDoctor(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks(config)) {
    try {
      results.push({
        name: check.name,
        ok: true,
        detail: await withTimeout(check.run(), 90_000, check.name),
      });
    } catch (err) {
      results.push({
        name: check.name,
        ok: false,
        detail: err instanceof Error ? err.message : String(err),
        hint: check.hint,
      });
    }
  }
  return results;
}

export function formatDoctor(results: CheckResult[]): string {
  return results
    .map(
      (r) =>
        `${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(14)} ${r.detail}${r.ok ? '' : `\n     fix: ${r.hint}`}`,
    )
    .join('\n');
}
