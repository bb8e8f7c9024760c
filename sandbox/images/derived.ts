/**
 * Derived sandbox images: a template's requirements.txt installed over a base image (the CPU
 * image or the GPU one alike) into a virtual environment that sees the base's site packages,
 * so torch, numpy, scipy and matplotlib satisfy their names and are never downloaded again.
 *
 * Network only at build time, and only on the host: the worker's pip (SCIENTIST_PIP, index
 * SCIENTIST_PIP_INDEX_URL) downloads wheels for the base's Python and platform, one package at a
 * time without dependencies; the image is then built with network mode none and pip installs from
 * those wheels alone. A dependency the base lacks makes that install fail naming it; it is
 * downloaded and the build tried again. No container ever has a network.
 *
 * Tagged `durable-scientist/derived:<hash of base image id + requirements + index>`: built once
 * per worker engine and reused (a second campaign finds it). A failed build throws with pip's own
 * error; the whole build output is kept (`log`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { InvalidInputError, ServiceUnavailableError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { imageExists } from './recipe-image';

export const DERIVED_REPOSITORY = 'durable-scientist/derived';
const MAX_ROUNDS = 15;

export interface DerivedImageOptions {
  /** The host's pip as argv, e.g. ['python3', '-m', 'pip']. */
  pip: string[];
  /** pip --index-url; '' = pip's own configuration. */
  indexUrl: string;
  /** A private folder of the worker for the build context (wheels, Dockerfile). */
  workDir: string;
  log: Logger;
  /** Output as it arrives (pip and the engine), e.g. for heartbeats. */
  onOutput?: (text: string) => void;
}

export interface DerivedImage {
  image: string;
  /** False when the image was already on the engine. */
  built: boolean;
  /** Build time in ms (0 when reused). */
  buildMs: number;
  /** The whole build output: pip's downloads and the engine's build, every round. */
  log: string;
}

/** The tag of the derived image for this base image id and these requirement lines. */
export function derivedTag(baseId: string, requirements: string[], indexUrl: string): string {
  const h = createHash('sha256')
    .update(`${baseId}\n${requirements.join('\n')}\n${indexUrl}`)
    .digest('hex')
    .slice(0, 16);
  return `${DERIVED_REPOSITORY}:${h}`;
}

/** Builds the derived image unless the engine has it; returns its tag. */
export async function ensureDerivedImage(
  docker: Docker,
  base: string,
  requirements: string[],
  opts: DerivedImageOptions,
): Promise<DerivedImage> {
  const baseId = ((await docker.getImage(base).inspect()) as { Id: string }).Id;
  const tag = derivedTag(baseId, requirements, opts.indexUrl);
  if (await imageExists(docker, tag)) return { image: tag, built: false, buildMs: 0, log: '' };
  const t0 = Date.now();
  let log = '';
  const out = (text: string) => {
    log += text;
    opts.onOutput?.(text);
  };
  const ctx = path.join(opts.workDir, tag.split(':')[1]!);
  await rm(ctx, { recursive: true, force: true });
  await mkdir(path.join(ctx, 'wheels'), { recursive: true });
  try {
    const target = await pythonOf(docker, base);
    out(`base ${base} (${baseId}): Python ${target.version}, ${target.platform}\n`);
    // pip itself, to run from its wheel inside the build (the base may have no pip).
    await download(opts, target, ctx, ['pip'], out);
    for (const req of requirements) await download(opts, target, ctx, [req], out);
    await writeFile(path.join(ctx, 'requirements.txt'), `${requirements.join('\n')}\n`);
    for (let round = 1; ; round++) {
      const pipWheel = (await readdir(path.join(ctx, 'wheels'))).find((f) => /^pip-.*\.whl$/.test(f))!;
      await writeFile(path.join(ctx, 'Dockerfile'), dockerfile(base, pipWheel));
      const res = await build(docker, ctx, tag, out);
      if (res.ok) break;
      const missing = /No matching distribution found for ([^\s]+)/.exec(res.output)?.[1];
      if (!missing || round >= MAX_ROUNDS)
        throw new InvalidInputError(
          `the derived image for requirements.txt (${requirements.join(', ')}) did not build: pip said:\n${pipError(res.output)}`,
          { details: { log: log.slice(-4000) } },
        );
      out(`round ${round}: the base lacks ${missing}; downloading it\n`);
      await download(opts, target, ctx, [missing], out);
    }
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
  const buildMs = Date.now() - t0;
  out(`built ${tag} in ${(buildMs / 1000).toFixed(1)} s\n`);
  opts.log.info('built derived image', { tag, base, requirements, buildMs });
  return { image: tag, built: true, buildMs, log };
}

/** The venv sees the base's packages; pip runs from its wheel, offline, from the wheels only. */
function dockerfile(base: string, pipWheel: string): string {
  return [
    `FROM ${base}`,
    'USER 0:0',
    'COPY wheels /opt/ds-wheels',
    'COPY requirements.txt /opt/ds-wheels/requirements.txt',
    'RUN python3 -m venv --without-pip --system-site-packages /opt/venv \\',
    ` && python3 /opt/ds-wheels/${pipWheel}/pip --python /opt/venv/bin/python install --no-index \\`,
    '      --find-links /opt/ds-wheels --no-cache-dir --disable-pip-version-check --no-warn-script-location \\',
    '      -r /opt/ds-wheels/requirements.txt \\',
    ' && rm -rf /opt/ds-wheels',
    'ENV PATH=/opt/venv/bin:$PATH',
    'USER 65534:65534',
    '',
  ].join('\n');
}

interface Target {
  version: string; // e.g. "3.11"
  platform: string; // e.g. "linux-x86_64"
}

/** The base's Python version and platform, asked of the image itself (no network). */
async function pythonOf(docker: Docker, image: string): Promise<Target> {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const [res, container] = (await docker.run(
    image,
    [
      'python3',
      '-c',
      'import sys,sysconfig; print(f"{sys.version_info[0]}.{sys.version_info[1]} {sysconfig.get_platform()}")',
    ],
    sink,
    { HostConfig: { NetworkMode: 'none' }, User: '65534:65534', Entrypoint: [] },
  )) as [{ StatusCode: number }, Docker.Container];
  await container.remove({ force: true }).catch(() => undefined);
  const m = /(\d+\.\d+) (\S+)/.exec(text);
  if (res.StatusCode !== 0 || !m)
    throw new ServiceUnavailableError(`cannot read the Python version of ${image}: ${text.slice(-500)}`);
  return { version: m[1]!, platform: m[2]! };
}

/** Wheels for the target, without dependencies (those the base lacks come back as build errors). */
async function download(
  opts: DerivedImageOptions,
  target: Target,
  ctx: string,
  reqs: string[],
  out: (t: string) => void,
): Promise<void> {
  const arch = target.platform.replace(/^linux-/, '');
  const platforms = target.platform.startsWith('linux-')
    ? [
        `manylinux2014_${arch}`,
        ...[17, 24, 28, 31, 34, 35, 36].map((v) => `manylinux_2_${v}_${arch}`),
        `linux_${arch}`,
      ]
    : [target.platform.replace(/[-.]/g, '_')];
  const abi = `cp${target.version.replace('.', '')}`;
  const args = [
    ...opts.pip.slice(1),
    'download',
    '--no-deps',
    '--only-binary=:all:',
    '--disable-pip-version-check',
    '--python-version',
    target.version,
    '--implementation',
    'cp',
    '--abi',
    abi,
    '--abi',
    'abi3',
    '--abi',
    'none',
    ...platforms.flatMap((p) => ['--platform', p]),
    '--platform',
    'any',
    ...(opts.indexUrl ? ['--index-url', opts.indexUrl] : []),
    '-d',
    path.join(ctx, 'wheels'),
    ...reqs,
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(opts.pip[0]!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (b: Buffer) => {
      output += b.toString();
      out(b.toString());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, output }));
  });
  if (code !== 0)
    throw new InvalidInputError(
      `pip could not download ${reqs.join(' ')} for the derived image (Python ${target.version}, ${target.platform}); pip said:\n${pipError(output)}`,
    );
}

/** Builds with network mode none; ok, and the engine's output (pip's, inside). */
async function build(
  docker: Docker,
  ctx: string,
  tag: string,
  out: (t: string) => void,
): Promise<{ ok: boolean; output: string }> {
  const wheels = (await readdir(path.join(ctx, 'wheels'))).map((f) => `wheels/${f}`);
  const stream = await docker.buildImage(
    { context: ctx, src: ['Dockerfile', 'requirements.txt', ...wheels] },
    { t: tag, networkmode: 'none', rm: true, forcerm: true, buildargs: {} },
  );
  let output = '';
  let failed = false;
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (ev: { stream?: string; error?: string }) => {
        const text = ev.stream ?? (ev.error ? `${ev.error}\n` : '');
        if (ev.error) failed = true;
        output += text;
        out(text);
      },
    ),
  );
  return { ok: !failed, output };
}

/** pip's own error lines (ERROR: …) and what leads to them, else the output's end. */
function pipError(output: string): string {
  const lines = output.split('\n');
  const i = lines.findIndex((l) => /^ERROR:|error:/i.test(l.trim()));
  return (i >= 0 ? lines.slice(Math.max(0, i - 3), i + 12) : lines.slice(-15)).join('\n').trim();
}
