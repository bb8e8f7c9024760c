/**
 * Nothing a sandbox produces is trusted on the host (issue 16), at the runner: each case is a
 * hostile run (or a hostile local user) and asserts what the root worker did — which bytes it
 * read, which host files changed, how the run ended and how long it took. Real Docker engine,
 * real sandbox image, tiny limits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  COLLECT_CAPS,
  DiskQuotaError,
  ExitCodeError,
  LABEL,
  NetworkDeniedError,
  sandboxError,
  sandboxImage,
  StalledError,
  type LiveWorkArea,
} from '../../sandbox';
import { suiteConfig } from '../harness';
import { sandboxKit, SMALL } from './helpers';

const NOBODY = 65534;

describe('the host trusts nothing a sandbox wrote', () => {
  const config = suiteConfig('host-trust');
  const kit = sandboxKit(config, 'host-trust');
  const scratch = mkdtempSync(path.join(tmpdir(), 'host-trust-'));
  chmodSync(scratch, 0o755); // the hostile local user must reach the folders inside

  afterAll(() => {
    kit.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(async () => {
    expect(await kit.leftoverContainers()).toEqual([]);
    expect(kit.leftoverWorkAreas()).toEqual([]);
  });

  /** A root-only file (0600 in a 0700 folder) that no run and no other user may change. */
  function rootOnlyFile(name: string): string {
    const dir = mkdtempSync(path.join(scratch, 'root-only-'));
    const file = path.join(dir, name);
    writeFileSync(file, 'ROOT-ONLY\n', { mode: 0o600 });
    return file;
  }

  it('finding 1: swapping the out dir with a link to another area never makes the host read that area', async () => {
    // Another run's checkpoint, reachable by path from this run's area (../victim/run_1).
    const victim = path.join(kit.workRoot, 'victim', 'run_1');
    mkdirSync(victim, { recursive: true });
    writeFileSync(path.join(victim, 'checkpoint.pt'), 'SECRET-OF-ANOTHER-RUN');
    const reads = { mine: 0, secret: 0, none: 0 };
    const naive = { tries: 0, secret: 0 };
    const t0 = Date.now();
    try {
      const { result } = await kit.runPython(
        [
          'import ctypes, os, time',
          'libc = ctypes.CDLL(None, use_errno=True)',
          'os.makedirs("run_1")',
          'open("run_1/checkpoint.pt", "wb").write(b"MINE")',
          'os.symlink("../victim/run_1", "swap")',
          'n, t = 0, time.time()',
          'while time.time() - t < 6:',
          '    libc.renameat2(-100, b"run_1", -100, b"swap", 2)  # RENAME_EXCHANGE',
          '    n += 1',
          'print("swaps", n)',
        ].join('\n'),
        { timeoutMs: 30_000 },
        {
          tickMs: 20,
          onTick: async (live: LiveWorkArea) => {
            for (let i = 0; i < 20; i++) {
              const got = await live.read('run_1/checkpoint.pt', 1024);
              if (!got) reads.none++;
              else if (got.toString() === 'MINE') reads.mine++;
              else reads.secret++;
              // The check-then-open-by-path this replaced, as a control that the race is live.
              naive.tries++;
              if ((await naiveRead((live as unknown as { path: string }).path))?.includes('SECRET'))
                naive.secret++;
            }
          },
        },
      );
      expect([result.outcome, result.log.slice(-500)]).toEqual(['ok', expect.stringMatching(/swaps \d{4,}/)]);
    } finally {
      rmSync(path.join(kit.workRoot, 'victim'), { recursive: true, force: true });
    }
    expect(reads.secret).toBe(0);
    expect(reads.mine).toBeGreaterThan(50);
    expect(naive.secret).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('finding 4: a world-writable host folder is made private; links planted in it by another user are never followed', async () => {
    const target = rootOnlyFile('shadow-like');
    const workDir = mkdtempSync(path.join(scratch, 'host-'));
    writeFileSync(
      path.join(workDir, 'main.py'),
      'open("figure.png", "w").write("PNG")\nopen("run.log", "w").write("LOG")\n',
    );
    chmodSync(workDir, 0o777); // what the plot activity did before it used createHostFolder
    // An unprivileged local user plants links before the run and keeps trying during it.
    const planter = asNobody(
      `ln -s ${target} ${workDir}/figure.png; ln -s ${target} ${workDir}/stolen.png; mkdir ${workDir}/mine; ` +
        `while true; do ln -s ${target} ${workDir}/run.log 2>/dev/null && echo planted-late; sleep 0.01; done`,
    );
    await waitFor(() => existsSync(path.join(workDir, 'mine')));
    try {
      const result = await kit.runner.run({
        runId: `${kit.runIdPrefix}-f4`,
        image: sandboxImage(config),
        command: ['python3', 'main.py'],
        workDir,
        limits: SMALL,
      });
      expect(result.outcome).toBe('ok');
    } finally {
      planter.kill('SIGKILL');
    }
    expect(readFileSync(target, 'utf8')).toBe('ROOT-ONLY\n');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(statSync(workDir).mode & 0o777).toBe(0o700);
    // What is left is the worker's own regular files: the run's outputs, no link, no foreign entry.
    const left = readdirSync(workDir).sort();
    expect(left).toEqual(['figure.png', 'main.py', 'run.log']);
    for (const f of left) {
      const s = lstatSync(path.join(workDir, f));
      expect(s.isFile() && s.uid === process.getuid!()).toBe(true);
    }
    expect(readFileSync(path.join(workDir, 'figure.png'), 'utf8')).toBe('PNG');
  });

  it('finding 6: 30,000 files come back as at most 1,000, in seconds, and the rest is reported', async () => {
    const t0 = Date.now();
    const { result, workDir } = await kit.runPython(
      [
        'import os',
        'os.makedirs("many")',
        'for i in range(30000):',
        '    open(f"many/f{i:05d}.png", "wb").close()',
      ].join('\n'),
      { workMB: 256, timeoutMs: 60_000 },
    );
    const wallMs = Date.now() - t0;
    expect(result.outcome).toBe('ok');
    expect(result.collected.length).toBe(COLLECT_CAPS.files);
    expect(readdirSync(path.join(workDir, 'many')).length).toBe(COLLECT_CAPS.files);
    expect(result.skipped.length).toBeLessThanOrEqual(100);
    expect(result.log).toMatch(/item\(s\) of \/work were not copied back/);
    expect(result.log).toMatch(/the walk stopped after 20000 names/);
    // Creating the files takes most of it; the walk and copy back take a few seconds.
    expect(wallMs - result.durationMs).toBeLessThan(15_000);
  });

  it('finding 7: ptrace, io_uring, VSOCK and new namespaces are refused; a run cannot freeze its init into a hang', async () => {
    const t0 = Date.now();
    const { result } = await kit.runPython(
      [
        'import ctypes, os, socket',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'def sys(name, nr, *args):',
        '    r = libc.syscall(nr, *args)',
        '    print(name, r, os.strerror(ctypes.get_errno()) if r < 0 else "allowed")',
        'sys("ptrace-attach-init", 101, 16, 1, 0, 0)  # PTRACE_ATTACH pid 1 (stops tini)',
        'sys("io_uring_setup", 425, 8, 0)',
        'sys("unshare-user", 272, 0x10000000)',
        'try: socket.socket(40, socket.SOCK_STREAM); print("vsock allowed")',
        'except OSError as e: print("vsock", e.strerror)',
      ].join('\n'),
      { timeoutMs: 60_000 },
    );
    expect(result.outcome).toBe('ok');
    expect(result.log).toMatch(/ptrace-attach-init -1 Operation not permitted/);
    expect(result.log).toMatch(/io_uring_setup -1 Operation not permitted/);
    expect(result.log).toMatch(/unshare-user -1 Operation not permitted/);
    expect(result.log).toMatch(/vsock Operation not permitted/);
    expect(Date.now() - t0).toBeLessThan(20_000);

    // The init stopped from outside the code's reach (SIGSTOP from the host): ended in seconds.
    const t1 = Date.now();
    let stoppedPid = 0;
    const stopper = (async () => {
      const pid = await waitFor(async () => {
        const [c] = await kit.docker.listContainers({
          filters: { label: [`${LABEL.runId}=${kit.runIdPrefix}-f7`] },
        });
        if (!c) return 0;
        return ((await kit.docker.getContainer(c.Id).inspect()).State as { Pid: number }).Pid;
      });
      stoppedPid = pid;
      process.kill(pid, 'SIGSTOP');
    })();
    const workDir = mkdtempSync(path.join(scratch, 'host-'));
    writeFileSync(
      path.join(workDir, 'main.py'),
      'import time\nprint("sleeping", flush=True)\ntime.sleep(600)\n',
    );
    const stopped = await kit.runner.run({
      runId: `${kit.runIdPrefix}-f7`,
      image: sandboxImage(config),
      command: ['python3', 'main.py'],
      workDir,
      limits: { ...SMALL, timeoutMs: 120_000 },
      tickMs: 500,
    });
    await stopper;
    expect(stoppedPid).toBeGreaterThan(0);
    // Its own outcome, a non-retryable error that tells the code's author what to stop doing.
    expect(stopped.outcome).toBe('stalled');
    expect(stopped.exitCode).toBeNull();
    const stall = sandboxError(stopped);
    expect(stall).toBeInstanceOf(StalledError);
    expect(stall).not.toBeInstanceOf(ExitCodeError);
    expect(stall!.type).toBe('SandboxStalled');
    expect(stall!.retryable).toBe(false);
    expect(stall!.message).toMatch(/Do not ptrace, stop, signal or kill process 1/);
    expect(stall!.message).toMatch(/init process was stopped/); // the runner's note, in the stderr tail
    expect(stopped.log).toMatch(/init process was stopped/);
    expect(Date.now() - t1).toBeLessThan(20_000);
  });

  it('finding 8: loopback connects are network denials, SIGBUS and inode exhaustion are disk; Pool and localhost work', async () => {
    const lo = await kit.runPython("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=3)\n");
    expect(sandboxError(lo.result)).toBeInstanceOf(NetworkDeniedError);

    const bus = await kit.runPython(
      [
        'import mmap',
        'f = open("/tmp/big", "w+b"); f.truncate(64 << 20)  # /tmp is 16 MB',
        'm = mmap.mmap(f.fileno(), 64 << 20)',
        'for i in range(0, 64 << 20, 4096): m[i] = 1',
      ].join('\n'),
    );
    expect(bus.result.exitCode).toBe(135);
    expect(sandboxError(bus.result)).toBeInstanceOf(DiskQuotaError);
    expect(bus.result.log).toMatch(/SIGBUS/);

    // Out of inodes, with the error swallowed: no "No space left" text to go by.
    const inodes = await kit.runPython(
      [
        'import os, sys',
        'os.makedirs("d")',
        'i = 0',
        'try:',
        '    while True: open(f"d/{i}", "w").close(); i += 1',
        'except OSError: sys.exit(3)',
      ].join('\n'),
      { timeoutMs: 60_000 },
    );
    expect(inodes.result.exitCode).toBe(3);
    expect(sandboxError(inodes.result)).toBeInstanceOf(DiskQuotaError);

    const ordinary = await kit.runPython(
      [
        'import multiprocessing as mp, socket, os',
        'with mp.Pool(2) as p: print("pool", p.map(abs, [-1, -2]))',
        'print("localhost", socket.gethostbyname("localhost"))',
        's = os.statvfs("/dev/shm"); print("shm", s.f_blocks * s.f_frsize)',
      ].join('\n'),
    );
    expect(ordinary.result.outcome).toBe('ok');
    expect(ordinary.result.log).toContain('pool [1, 2]');
    expect(ordinary.result.log).toContain('localhost 127.0.0.1');
    // /dev/shm is a private tmpfs no larger than /tmp (16 MB here), inside the memory limit.
    expect(ordinary.result.log).toContain(`shm ${16 * 1024 * 1024}`);
  });
});

/** The old live read: check the folders by path, then open by path (O_NOFOLLOW on the last part only). */
async function naiveRead(area: string): Promise<string | null> {
  try {
    if (!(await lstat(path.join(area, 'run_1'))).isDirectory()) return null;
    const fh = await open(
      path.join(area, 'run_1', 'checkpoint.pt'),
      constants.O_RDONLY | constants.O_NOFOLLOW,
    );
    try {
      return (await fh.readFile()).toString();
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/** A shell loop as the unprivileged user nobody (a hostile local user on the host). */
function asNobody(script: string): ChildProcess {
  return spawn('sh', ['-c', script], { uid: NOBODY, gid: NOBODY, stdio: 'ignore' });
}

async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
