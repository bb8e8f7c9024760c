/**
 * Experiment code that attacks its sandbox. Each case must end in a contained, classified
 * outcome with a fix-it message, leave no container, mount or process behind, and the next run
 * must work. Real Docker engine, tiny limits (seconds per case).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DiskQuotaError,
  NetworkDeniedError,
  OutOfMemoryError,
  OutputCapError,
  PidsLimitError,
  sandboxError,
  TimeoutError,
  type SandboxError,
} from '../../sandbox';
import { suiteConfig } from '../harness';
import { sandboxKit } from './helpers';

const FAKE_SECRET = 'sk-adversarial-0123456789abcdef';

describe('adversarial experiment code in the sandbox', () => {
  const config = suiteConfig('adversarial');
  const kit = sandboxKit(config, 'adversarial');

  beforeAll(() => {
    // A secret in the worker's own environment must never reach a container.
    process.env.OPENAI_API_KEY = FAKE_SECRET;
    process.env.SCIENTIST_FAKE_TOKEN = FAKE_SECRET;
  });
  afterAll(() => {
    kit.cleanup();
    delete process.env.OPENAI_API_KEY;
    delete process.env.SCIENTIST_FAKE_TOKEN;
  });

  // After every case: nothing left behind, and a plain run still works.
  afterEach(async () => {
    expect(await kit.leftoverContainers()).toEqual([]);
    expect(kit.leftoverWorkAreas()).toEqual([]);
    const { result } = await kit.runPython('print("still fine")');
    expect(result.outcome).toBe('ok');
    expect(result.log).toContain('still fine');
  });

  async function expectOutcome(script: string, errorClass: new (...a: never[]) => SandboxError, limits = {}) {
    const t0 = Date.now();
    const run = await kit.runPython(script, limits);
    const err = sandboxError(run.result);
    expect(err).toBeInstanceOf(errorClass);
    expect(err!.retryable).toBe(false);
    expect(err!.result).toBe(run.result);
    expect(Date.now() - t0).toBeLessThan(30_000);
    return { ...run, err: err! };
  }

  it('fork bomb: stopped by the pids limit', async () => {
    const { err, result, runId } = await expectOutcome(
      'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n',
      PidsLimitError,
      { timeoutMs: 6000 },
    );
    expect(result.outcome).toBe('pids');
    expect(err.message).toMatch(/limit of 64 processes/);
    expect(kit.processesOf(runId)).toEqual([]);
  });

  it('infinite loop: killed at the time limit', async () => {
    const { err, result } = await expectOutcome('while True:\n    pass\n', TimeoutError, { timeoutMs: 3000 });
    expect(result.exitCode).toBeNull();
    expect(result.durationMs).toBeGreaterThanOrEqual(3000);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(err.message).toMatch(/3 s time limit/);
  });

  it('unbounded memory: killed by the memory limit, no swap', async () => {
    const { err } = await expectOutcome(
      'x = []\nwhile True:\n    x.append(bytearray(8 << 20))\n',
      OutOfMemoryError,
    );
    expect(err.message).toMatch(/256 MB memory limit/);
  });

  it('filling the disk: /work stops at its size', async () => {
    const { err, result } = await expectOutcome(
      "import os\nwith open('big.bin', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20)); f.flush(); os.fsync(f.fileno())\n",
      DiskQuotaError,
    );
    expect(err.message).toMatch(/\/work 64 MB/);
    // It was the 64 MB area that filled, not the host: the file is smaller than the area.
    expect(result.stderrTail).toMatch(/No space left on device/);
  });

  it('filling /tmp: the tmpfs stops at its size', async () => {
    await expectOutcome(
      "with open('/tmp/big', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))\n",
      DiskQuotaError,
    );
  });

  it('printing gigabytes: killed at the output cap, log kept to the cap', async () => {
    const { result } = await expectOutcome(
      "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n",
      OutputCapError,
      {
        timeoutMs: 20_000,
      },
    );
    expect(Buffer.byteLength(result.log)).toBeLessThan(1024 * 1024 + 128 * 1024);
    expect(result.log).toContain('output cap of 1048576 bytes reached');
  });

  it('reaching the network: denied and named', async () => {
    const { err } = await expectOutcome(
      "import socket\ns = socket.socket()\ns.settimeout(3)\ns.connect(('127.0.0.1', 7233))\n",
      NetworkDeniedError,
    );
    expect(err.message).toMatch(/sandboxes have none/);
    await expectOutcome(
      "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=3)\n",
      NetworkDeniedError,
    );
  });

  it('reading host files and the worker environment: sees only its own /work, no secrets', async () => {
    const { result, workDir } = await kit.runPython(
      [
        'import os, json',
        'print("ENV", json.dumps(dict(os.environ)))',
        'for p in ["/proc/1/environ", "/proc/self/environ"]:',
        '    try: print("PROC", p, open(p, "rb").read())',
        '    except Exception as e: print("PROCERR", p, e)',
        'print("MOUNTS", open("/proc/self/mountinfo").read())',
        'print("ROOT", os.listdir("/"))',
        'for p in ["/var/run/docker.sock", "/root", "/etc/shadow"]:',
        '    try: open(p).read(); print("READ", p)',
        '    except Exception as e: print("DENIED", p, type(e).__name__)',
        // A link planted for the host to follow when outputs are collected.
        'os.symlink("/etc/hostname", "leak.txt")',
        'os.symlink("/", "hostroot")',
      ].join('\n'),
    );
    expect(result.outcome).toBe('ok');
    expect(result.log).not.toContain(FAKE_SECRET);
    expect(result.log).not.toContain(config.s3.secretKey);
    expect(result.log).not.toContain('OPENAI_API_KEY');
    expect(result.log).toMatch(/DENIED \/var\/run\/docker.sock/);
    expect(result.log).toMatch(/DENIED \/etc\/shadow/);
    // The only host path inside is the run's own work area.
    expect(result.log).not.toContain(path.resolve(config.dataDir));
    expect(result.log).not.toContain('/work/main/');
    // Planted links are not followed back on the host.
    expect(result.skipped).toEqual(expect.arrayContaining(['leak.txt', 'hostroot']));
    expect(existsSync(path.join(workDir, 'leak.txt'))).toBe(false);
  });

  it('editing its own time limit: the limit lives outside and holds', async () => {
    const { result } = await expectOutcome(
      [
        'import os, signal, time',
        'os.environ["SCIENTIST_SANDBOX_TIMEOUT_S"] = "999999"',
        'open("scientist.env", "w").write("SCIENTIST_SANDBOX_TIMEOUT_S=999999\\n")',
        'src = open(__file__).read(); open(__file__, "w").write(src)',
        'for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP): signal.signal(s, signal.SIG_IGN)',
        'try: os.kill(1, signal.SIGKILL)',
        'except Exception as e: print("cannot kill init", e)',
        'time.sleep(3600)',
      ].join('\n'),
      TimeoutError,
      { timeoutMs: 3000 },
    );
    expect(result.durationMs).toBeLessThan(10_000);
    expect(readFileSync(path.join(__dirname, '../../lib/config/settings.ts'), 'utf8')).not.toContain(
      '999999',
    );
  });

  it('relaunching itself forever: ends at the time limit', async () => {
    await expectOutcome(
      'import os, sys, time\ntime.sleep(0.2)\nos.execv(sys.executable, [sys.executable] + sys.argv)\n',
      TimeoutError,
      {
        timeoutMs: 3000,
      },
    );
  });

  it('detached daemons (double fork + setsid) and leftover children die with the run', async () => {
    const { result, runId } = await kit.runPython(
      [
        'import os, subprocess, time',
        'subprocess.Popen(["sleep", "987651"])',
        'if os.fork() == 0:',
        '    os.setsid()',
        '    if os.fork() == 0:',
        '        os.execvp("sleep", ["sleep", "987652"])',
        '    os._exit(0)',
        'time.sleep(1)',
        'print("parent exits, children stay")',
      ].join('\n'),
    );
    expect(result.outcome).toBe('ok');
    expect(result.log).toContain('parent exits');
    expect(kit.processesOf(runId)).toEqual([]);
  });

  it('a 1 GB checkpoint every step: stops at the work area size', async () => {
    const { result } = await expectOutcome(
      [
        'import os',
        'os.makedirs("run_1", exist_ok=True)',
        'for step in range(1000):',
        '    with open("run_1/checkpoint.pt.tmp", "wb") as f:',
        '        for _ in range(1024): f.write(b"\\0" * (1 << 20))',
        '    os.replace("run_1/checkpoint.pt.tmp", "run_1/checkpoint.pt")',
      ].join('\n'),
      DiskQuotaError,
    );
    // Collection copied back no more than the budget.
    expect(result.collected.reduce((a, f) => a + f.bytes, 0)).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it('under gVisor (runsc, when the engine has it) disk, memory, network and stray children are contained too', async () => {
    const info = (await kit.docker.info()) as { Runtimes?: Record<string, unknown> };
    if (!info.Runtimes || !('runsc' in info.Runtimes)) {
      // Not installed here: asking for it fails before anything starts, naming the fix.
      await expect(kit.runPython('print(1)', {}, { runtime: 'runsc' })).rejects.toThrow(/daemon\.json/);
      return;
    }
    const gv = { runtime: 'runsc' as const };
    const disk = await kit.runPython(
      "with open('big', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))\n",
      {},
      gv,
    );
    expect(sandboxError(disk.result)).toBeInstanceOf(DiskQuotaError);
    const mem = await kit.runPython('x = []\nwhile True:\n    x.append(bytearray(8 << 20))\n', {}, gv);
    expect(sandboxError(mem.result)).toBeInstanceOf(OutOfMemoryError);
    const net = await kit.runPython(
      "import socket\ns = socket.socket()\ns.settimeout(3)\ns.connect(('127.0.0.1', 7233))\n",
      {},
      gv,
    );
    expect(sandboxError(net.result)).toBeInstanceOf(NetworkDeniedError);
    const loop = await kit.runPython('while True:\n    pass\n', { timeoutMs: 3000 }, gv);
    expect(sandboxError(loop.result)).toBeInstanceOf(TimeoutError);
    const stray = await kit.runPython(
      'import subprocess\nsubprocess.Popen(["sleep", "987653"])\nprint("bye")\n',
      {},
      gv,
    );
    expect(stray.result.outcome).toBe('ok');
    expect(kit.processesOf(stray.runId)).toEqual([]);
  });
});
