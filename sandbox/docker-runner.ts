import { readFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { ConfigError, InvalidInputError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { copyOut, SKIPPED_LISTED, type Collected } from './collect';
import { SandboxUnavailableError } from './errors';
import { claimHostFolder, scrubHostFolder } from './host-folder';
import { InitWatch } from './init-watch';
import type { SandboxOutcome, SandboxResult, SandboxRunSpec, SandboxRunner } from './runner';
import { shmMB } from './policy';
import { seccompOption } from './seccomp';
import { copyInto, createWorkArea, reapWorkAreas, SANDBOX_UID, type WorkArea } from './work-area';

export const LABEL = {
  sandbox: 'durable-scientist.sandbox',
  host: 'durable-scientist.host',
  ownerPid: 'durable-scientist.owner-pid',
  runId: 'durable-scientist.run-id',
} as const;

const TAIL_BYTES = 4096;
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)/i;
// What the code prints when a limit refuses it; used to name the outcome of a non-zero exit.
const DISK_FULL = /No space left on device|ENOSPC|Errno 28\b|Disk quota exceeded/;
// A refused connection counts too: with no network, the only hosts are the container's own
// loopback, where nothing listens unless the code itself started a server.
const NETWORK_DENIED =
  /Network is unreachable|No route to host|Temporary failure in name resolution|Name or service not known|ENETUNREACH|EHOSTUNREACH|Errno -?(101|113|-3|-2|111)\b|nodename nor servname|Cannot assign requested address|Connection refused|ECONNREFUSED/;
/** 128 + SIGBUS: a page of an mmap-ed file could not be backed (a full /tmp, /dev/shm or /work). */
const EXIT_SIGBUS = 135;
const PIDS_REFUSED =
  /Resource temporarily unavailable|can't start new thread|fork: retry|BlockingIOError: \[Errno 11\]/;

/** The part of docker-modem we use (dockerode types it as any). */
interface Demuxer {
  demuxStream(
    stream: NodeJS.ReadableStream,
    stdout: NodeJS.WritableStream,
    stderr: NodeJS.WritableStream,
  ): void;
}

export interface DockerSandboxRunnerOptions {
  /** Host folder for work areas (image files and mount points). Default: <tmpdir>/durable-scientist-sandbox. */
  workRoot?: string;
}

/** Runs sandboxes on a Docker engine with the policy in `hostConfig` below. */
export class DockerSandboxRunner implements SandboxRunner {
  private readonly workRoot: string;
  private runtimes?: Promise<string[]>;

  constructor(
    private readonly docker: Docker,
    private readonly log: Logger,
    options: DockerSandboxRunnerOptions = {},
  ) {
    this.workRoot = options.workRoot ?? path.join(tmpdir(), 'durable-scientist-sandbox');
  }

  async describeImage(image: string): Promise<{ id: string; digest?: string }> {
    const info = (await this.engine(`inspect image ${image}`, () =>
      this.docker.getImage(image).inspect(),
    )) as {
      Id: string;
      RepoDigests?: string[];
    };
    const digest = info.RepoDigests?.[0]?.split('@')[1];
    return { id: info.Id, ...(digest ? { digest } : {}) };
  }

  async run(spec: SandboxRunSpec): Promise<SandboxResult> {
    for (const name of Object.keys(spec.env ?? {})) {
      if (SECRET_NAME.test(name))
        throw new InvalidInputError(
          `refusing to pass ${name} into a sandbox: secrets never enter a container`,
        );
    }
    await this.checkRuntime(spec);
    const name = `ds-${spec.runId.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 120);
    // A retried attempt with the same run id replaces the container its predecessor left.
    await this.docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);

    await claimHostFolder(spec.workDir);
    let area: WorkArea;
    try {
      area = await createWorkArea(this.workRoot, name, spec.limits.workMB);
      await copyInto(area, spec.workDir);
    } catch (err) {
      throw new SandboxUnavailableError(
        `could not prepare the sandbox work area under ${this.workRoot}: ${String(err)}`,
        { cause: err },
      );
    }
    try {
      return await this.runIn(spec, name, area);
    } finally {
      await area
        .release()
        .catch((err: unknown) => this.log.warn('work area not released', { name, err: String(err) }));
    }
  }

  private async runIn(spec: SandboxRunSpec, name: string, area: WorkArea): Promise<SandboxResult> {
    const container = await this.engine(`create container ${name}`, () =>
      this.docker.createContainer({
        name,
        Image: spec.image,
        Cmd: spec.command,
        Env: sandboxEnv(spec),
        WorkingDir: '/work',
        User: `${SANDBOX_UID}:${SANDBOX_UID}`,
        Labels: {
          [LABEL.sandbox]: '1',
          [LABEL.host]: hostname(),
          [LABEL.ownerPid]: String(process.pid),
          [LABEL.runId]: spec.runId,
        },
        // Not NetworkDisabled: with it the engine skips /etc/hosts too, and `localhost` does not
        // resolve. NetworkMode none (in the host config) still leaves only the loopback device.
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: sandboxHostConfig(spec, area.path),
      }),
    );
    const id = container.id.slice(0, 12);
    this.log.debug('sandbox created', { id, name, image: spec.image });

    const out = new OutputCollector(spec.limits.outputCapBytes, spec.onOutput);
    let killedFor: SandboxOutcome | undefined;
    let pidsHit = false;
    const pidsProbe = new PidsProbe(container.id);
    const kill = (why: SandboxOutcome, note?: string) => {
      if (killedFor) return;
      killedFor = why;
      if (note) out.note(note);
      this.log.info('sandbox killed', { id, why });
      void pidsProbe.hit().then((h) => (pidsHit ||= h));
      container.kill().catch(() => undefined);
    };
    out.onCap = () => kill('output-cap');
    const onAbort = () => kill('cancelled');

    let timer: NodeJS.Timeout | undefined;
    let ticker: NodeJS.Timeout | undefined;
    try {
      const stream = await this.engine(`attach ${id}`, () =>
        container.attach({ stream: true, stdout: true, stderr: true }),
      );
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      stdout.on('data', (b: Buffer) => out.add('stdout', b));
      stderr.on('data', (b: Buffer) => out.add('stderr', b));
      (container.modem as Demuxer).demuxStream(stream, stdout, stderr);
      const ended = new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });

      if (spec.signal?.aborted) kill('cancelled');
      spec.signal?.addEventListener('abort', onAbort);
      const t0 = Date.now();
      out.startedAt = t0;
      timer = setTimeout(() => kill('timeout'), spec.limits.timeoutMs);
      await this.engine(`start ${id}`, () => container.start());
      const initWatch = new InitWatch(
        ((await this.engine(`inspect ${id}`, () => container.inspect())).State as { Pid?: number }).Pid ?? 0,
      );

      let ticking = false;
      ticker = setInterval(() => {
        if (ticking) return;
        ticking = true;
        void (async () => {
          pidsHit ||= await pidsProbe.hit();
          // An init that is stopped (ptrace, SIGSTOP) or gone leaves the container up and the
          // slot held until the time limit: end it now.
          const initNote = await initWatch.check();
          if (initNote) kill('stalled', initNote);
          if (spec.onTick) await spec.onTick(area);
        })()
          .catch((err: unknown) => this.log.warn('sandbox tick failed', { id, err: String(err) }))
          .finally(() => (ticking = false));
      }, spec.tickMs ?? 2000);

      const waited = (await this.engine(`wait ${id}`, () => container.wait())) as { StatusCode: number };
      const durationMs = Date.now() - t0;
      clearInterval(ticker);
      // The attach stream carries what the process printed last; let it drain (bounded).
      await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
      const state = (await this.engine(`inspect ${id}`, () => container.inspect())).State;
      pidsHit ||= await pidsProbe.hit();
      if (spec.onTick) await spec.onTick(area).catch(() => undefined);

      const exitCode = killedFor ? null : waited.StatusCode;
      if (exitCode === EXIT_SIGBUS)
        out.note('[sandbox: the process died of SIGBUS (exit 135): a memory-mapped file could not grow]');
      const text = out.tail('stderr') + out.tail('stdout');
      let outcome: SandboxOutcome;
      if (killedFor === 'timeout' && pidsHit) outcome = 'pids';
      else if (killedFor) outcome = killedFor;
      else if (state.OOMKilled) outcome = 'oom';
      else if (exitCode === 0) outcome = 'ok';
      else if (pidsHit || PIDS_REFUSED.test(text)) outcome = 'pids';
      else if (exitCode === EXIT_SIGBUS || DISK_FULL.test(text) || (await area.isFull())) outcome = 'disk';
      else if (NETWORK_DENIED.test(text)) outcome = 'network';
      else outcome = 'failed';

      const { collected, skipped } = await this.collect(area, spec);
      if (skipped.length) out.note(skippedNote(skipped));
      return {
        outcome,
        exitCode,
        durationMs,
        stdoutTail: out.tail('stdout'),
        stderrTail: out.tail('stderr'),
        log: out.all(),
        firstOutputMs: out.firstOutputMs,
        collected,
        skipped: skipped.slice(0, SKIPPED_LISTED).map((s) => s.path),
        limits: spec.limits,
      };
    } finally {
      clearTimeout(timer);
      clearInterval(ticker);
      spec.signal?.removeEventListener('abort', onAbort);
      await container.remove({ force: true }).catch(() => undefined);
      this.log.debug('sandbox removed', { id });
    }
  }

  /** Copies the run's files back by handle, then clears the host folder of anything not the worker's. */
  private async collect(area: WorkArea, spec: SandboxRunSpec): Promise<Collected> {
    try {
      const got = await copyOut(area.path, area.dev, spec.workDir, spec.limits.collectBytes);
      await scrubHostFolder(spec.workDir);
      return got;
    } catch (err) {
      // The collector skips whatever the code did; what still throws is the host's own trouble.
      throw new SandboxUnavailableError(
        `could not copy the run's files back into ${spec.workDir}: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async reapOrphans(): Promise<number> {
    const list = await this.engine('list sandbox containers', () =>
      this.docker.listContainers({
        all: true,
        filters: { label: [`${LABEL.sandbox}=1`, `${LABEL.host}=${hostname()}`] },
      }),
    );
    let removed = 0;
    for (const c of list) {
      const pid = Number(c.Labels[LABEL.ownerPid]);
      if (pid === process.pid || isAlive(pid)) continue;
      await this.docker
        .getContainer(c.Id)
        .remove({ force: true })
        .then(() => removed++)
        .catch(() => undefined);
    }
    // Work areas after containers: a removed container no longer holds its mount.
    removed += await reapWorkAreas(this.workRoot, isAlive);
    if (removed) this.log.info(`removed ${removed} orphaned sandbox container(s) and work area(s)`);
    return removed;
  }

  /** gVisor must be registered with the engine, and cannot pass GPUs through. */
  private async checkRuntime(spec: SandboxRunSpec): Promise<void> {
    if (!spec.runtime || spec.runtime === 'runc') return;
    if (spec.gpuDeviceIds?.length) {
      throw new ConfigError(
        `runtime ${spec.runtime} has no GPU support: GPU runs need runc (set SCIENTIST_SANDBOX_RUNTIME=runc on GPU workers)`,
      );
    }
    this.runtimes ??= this.engine('info', async () =>
      Object.keys(((await this.docker.info()) as { Runtimes?: object }).Runtimes ?? {}),
    );
    if (!(await this.runtimes).includes(spec.runtime)) {
      throw new ConfigError(
        `the Docker engine has no "${spec.runtime}" runtime. Install gVisor (Debian package runsc) and register it in /etc/docker/daemon.json as ` +
          `{"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}}, then reload dockerd (SIGHUP); or set SCIENTIST_SANDBOX_RUNTIME=runc`,
      );
    }
  }

  /** Runs one engine call; a missing image is the caller's problem, anything else the engine's (retried). */
  private async engine<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const message = err instanceof Error ? err.message : String(err);
      if (status === 404 && /image/i.test(message)) {
        throw new ConfigError(
          `${what}: ${message}. Build the sandbox image (npm run services up) or set SCIENTIST_SANDBOX_IMAGE`,
          { cause: err },
        );
      }
      if (status !== undefined && status >= 400 && status < 500 && status !== 404 && status !== 409) {
        throw new InvalidInputError(`${what}: the Docker engine refused: ${message}`, { cause: err });
      }
      throw new SandboxUnavailableError(`${what}: the Docker engine failed: ${message}`, { cause: err });
    }
  }
}

/**
 * The container's environment: the spec's plain settings only (never the worker's own
 * environment), plus the GPU pin for the NVIDIA runtime.
 */
export function sandboxEnv(spec: Pick<SandboxRunSpec, 'env' | 'gpuDeviceIds'>): string[] {
  const env = { ...(spec.env ?? {}) };
  if (spec.gpuDeviceIds?.length) env.NVIDIA_VISIBLE_DEVICES = spec.gpuDeviceIds.join(',');
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** `host:/work/…:ro` binds; a path outside /work, or one that could smuggle options, is refused. */
function readOnlyBinds(dirs: { hostPath: string; containerPath: string }[]): string[] {
  return dirs.map(({ hostPath, containerPath }) => {
    const ok =
      /^\/work(\/[A-Za-z0-9_.-]+)+$/.test(containerPath) &&
      !containerPath.split('/').some((s) => s === '..' || s === '.') &&
      path.isAbsolute(hostPath) &&
      !/[:,]/.test(hostPath);
    if (!ok)
      throw new InvalidInputError(
        `cannot mount ${hostPath} at ${containerPath}: only plain folders under /work/`,
      );
    return `${hostPath}:${containerPath}:ro`;
  });
}

/**
 * The container policy: what the code inside can never change. GPUs are pinned by device
 * request (the NVIDIA runtime exposes only the listed devices).
 */
export function sandboxHostConfig(
  spec: Pick<SandboxRunSpec, 'limits' | 'runtime' | 'gpuDeviceIds' | 'readOnlyDirs'>,
  workPath: string,
): Docker.HostConfig {
  const l = spec.limits;
  const memory = l.memoryMB * 1024 * 1024;
  return {
    NetworkMode: 'none',
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    PidsLimit: l.pidsLimit,
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(l.cpus * 1e9),
    Binds: [`${workPath}:/work:rw`, ...readOnlyBinds(spec.readOnlyDirs ?? [])],
    Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${l.tmpMB}m` },
    // A private IPC namespace with a small /dev/shm (its pages count against the memory limit):
    // multiprocessing and DataLoader workers need POSIX shared memory and semaphores.
    IpcMode: 'private',
    ShmSize: shmMB(l) * 1024 * 1024,
    SecurityOpt: ['no-new-privileges', seccompOption()],
    Init: false,
    ...(spec.runtime && spec.runtime !== 'runc' ? { Runtime: spec.runtime } : {}),
    DeviceRequests: spec.gpuDeviceIds?.length
      ? [{ Driver: 'nvidia', DeviceIDs: spec.gpuDeviceIds, Capabilities: [['gpu']] }]
      : undefined,
  };
}

/** The log's account of what was not copied back, with the reasons (the first SKIPPED_LISTED). */
function skippedNote(skipped: Collected['skipped']): string {
  const lines = skipped.slice(0, SKIPPED_LISTED).map((s) => `  ${s.path}: ${s.why}`);
  const more = skipped.length > SKIPPED_LISTED ? `\n  … and ${skipped.length - SKIPPED_LISTED} more` : '';
  return `[sandbox: ${skipped.length} item(s) of /work were not copied back]\n${lines.join('\n')}${more}`;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads whether the container's pids cgroup ever refused a fork (`pids.events` "max N" > 0).
 * The cgroup disappears when the container stops, so it is sampled while the run lasts.
 */
class PidsProbe {
  private file?: string | null;
  constructor(private readonly containerId: string) {}

  async hit(): Promise<boolean> {
    const candidates = [
      `/sys/fs/cgroup/pids/docker/${this.containerId}/pids.events`,
      `/sys/fs/cgroup/pids/system.slice/docker-${this.containerId}.scope/pids.events`,
      `/sys/fs/cgroup/system.slice/docker-${this.containerId}.scope/pids.events`,
      `/sys/fs/cgroup/docker/${this.containerId}/pids.events`,
    ];
    for (const f of this.file ? [this.file] : candidates) {
      try {
        const text = await readFile(f, 'utf8');
        this.file = f;
        return Number(/max (\d+)/.exec(text)?.[1] ?? 0) > 0;
      } catch {
        /* not this layout, or the container has stopped */
      }
    }
    return false;
  }
}

/** Keeps the log up to a cap, and a tail per stream. */
class OutputCollector {
  private chunks: string[] = [];
  private bytes = 0;
  private tails = { stdout: '', stderr: '' };
  startedAt = 0;
  firstOutputMs: number | null = null;
  onCap?: () => void;

  constructor(
    private readonly capBytes: number,
    private readonly listener?: (stream: 'stdout' | 'stderr', text: string) => void,
  ) {}

  add(stream: 'stdout' | 'stderr', buf: Buffer): void {
    if (this.firstOutputMs === null) this.firstOutputMs = Date.now() - this.startedAt;
    const text = buf.toString('utf8');
    this.tails[stream] = (this.tails[stream] + text).slice(-TAIL_BYTES);
    if (this.bytes >= this.capBytes) return;
    this.listener?.(stream, text);
    this.bytes += buf.length;
    this.chunks.push(text);
    if (this.bytes >= this.capBytes) {
      this.chunks.push(`\n[sandbox: output cap of ${this.capBytes} bytes reached; run killed]\n`);
      this.onCap?.();
    }
  }

  /** A line from the sandbox itself, in the log and the stderr tail (where the code's author looks). */
  note(text: string): void {
    const line = `\n${text}\n`;
    this.tails.stderr = (this.tails.stderr + line).slice(-TAIL_BYTES);
    this.chunks.push(line);
  }

  tail(stream: 'stdout' | 'stderr'): string {
    return this.tails[stream];
  }

  all(): string {
    return this.chunks.join('');
  }
}
