import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../lib/log';
import type { SandboxOutcome, SandboxResult, SandboxRunSpec, SandboxRunner } from './runner';

export const LABEL = {
  sandbox: 'durable-scientist.sandbox',
  host: 'durable-scientist.host',
  ownerPid: 'durable-scientist.owner-pid',
  runId: 'durable-scientist.run-id',
} as const;

const TAIL_BYTES = 4096;
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)/i;

/** Runs sandboxes on a Docker engine with the policy in `hostConfig` below. */
export class DockerSandboxRunner implements SandboxRunner {
  constructor(
    private readonly docker: Docker,
    private readonly log: Logger,
  ) {}

  async run(spec: SandboxRunSpec): Promise<SandboxResult> {
    for (const name of Object.keys(spec.env ?? {})) {
      if (SECRET_NAME.test(name)) throw new Error(`refusing to pass ${name} into a sandbox: secrets never enter a container`);
    }
    const name = `ds-${spec.runId.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 120);
    // A retried attempt with the same run id replaces the container its predecessor left.
    await this.docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);

    const container = await this.docker.createContainer({
      name,
      Image: spec.image,
      Cmd: spec.command,
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      WorkingDir: '/work',
      User: '65534:65534',
      Labels: {
        [LABEL.sandbox]: '1',
        [LABEL.host]: hostname(),
        [LABEL.ownerPid]: String(process.pid),
        [LABEL.runId]: spec.runId,
      },
      NetworkDisabled: true,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: hostConfig(spec),
    });
    const id = container.id.slice(0, 12);
    this.log.debug('sandbox created', { id, name, image: spec.image });

    const out = new OutputCollector(spec.limits.outputCapBytes, spec.onOutput);
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (b: Buffer) => out.add('stdout', b));
    stderr.on('data', (b: Buffer) => out.add('stderr', b));
    container.modem.demuxStream(stream, stdout, stderr);

    let killedFor: SandboxOutcome | undefined;
    const kill = (why: SandboxOutcome) => {
      if (killedFor) return;
      killedFor = why;
      this.log.info('sandbox killed', { id, why });
      container.kill().catch(() => undefined);
    };
    out.onCap = () => kill('output-cap');
    const onAbort = () => kill('cancelled');
    spec.signal?.addEventListener('abort', onAbort);

    const t0 = Date.now();
    out.startedAt = t0;
    const timer = setTimeout(() => kill('timeout'), spec.limits.timeoutMs);
    try {
      await container.start();
      const waited = (await container.wait()) as { StatusCode: number };
      const durationMs = Date.now() - t0;
      // Let the attach stream drain what the process printed last.
      await new Promise((r) => setTimeout(r, 50));
      const state = (await container.inspect()).State;
      const outcome: SandboxOutcome =
        killedFor ?? (state.OOMKilled ? 'oom' : waited.StatusCode === 0 ? 'ok' : 'failed');
      return {
        outcome,
        exitCode: killedFor ? null : waited.StatusCode,
        durationMs,
        stdoutTail: out.tail('stdout'),
        stderrTail: out.tail('stderr'),
        log: out.all(),
        firstOutputMs: out.firstOutputMs,
      };
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      await container.remove({ force: true }).catch(() => undefined);
      this.log.debug('sandbox removed', { id });
    }
  }

  async reapOrphans(): Promise<number> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.sandbox}=1`, `${LABEL.host}=${hostname()}`] },
    });
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
    if (removed) this.log.info(`removed ${removed} orphaned sandbox container(s)`);
    return removed;
  }
}

/** The container policy: what the code inside can never change. */
function hostConfig(spec: SandboxRunSpec): Docker.HostConfig {
  const l = spec.limits;
  const memory = l.memoryMB * 1024 * 1024;
  return {
    NetworkMode: 'none',
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: l.pidsLimit,
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(l.cpus * 1e9),
    Binds: [`${spec.workDir}:/work:rw`],
    Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${l.tmpMB}m` },
    IpcMode: 'none',
    Init: false,
    DeviceRequests: spec.gpuDeviceIds?.length
      ? [{ Driver: 'nvidia', DeviceIDs: spec.gpuDeviceIds, Capabilities: [['gpu']] }]
      : undefined,
  };
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
    this.listener?.(stream, text);
    if (this.bytes >= this.capBytes) return;
    this.bytes += buf.length;
    this.chunks.push(text);
    if (this.bytes >= this.capBytes) {
      this.chunks.push(`\n[sandbox: output cap of ${this.capBytes} bytes reached; run killed]\n`);
      this.onCap?.();
    }
  }

  tail(stream: 'stdout' | 'stderr'): string {
    return this.tails[stream];
  }

  all(): string {
    return this.chunks.join('');
  }
}
