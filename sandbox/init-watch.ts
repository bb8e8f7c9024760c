/**
 * Watches the container's init (tini, pid 1 inside) from the host. While the init runs, the
 * container ends with its command; an init that is stopped (a ptrace attach, SIGSTOP) or has
 * exited while the engine still reports the container running keeps the container up, and the
 * GPU slot held, until the wall-clock limit (2 h by default). The state must last (STOPPED_MS,
 * GONE_MS) whatever the tick rate: a stop that ends by itself is not punished, and an init that
 * just exited normally is not mistaken for a lingering one while the engine reports the exit.
 */
import { readFile } from 'node:fs/promises';

/** How long the init may stay stopped, or gone while the container runs, before the run is ended (ms). */
const STOPPED_MS = 2000;
const GONE_MS = 10_000;

export class InitWatch {
  private badSince: { state: 'stopped' | 'gone'; at: number } | null = null;

  /** `hostPid`: the init's pid on the host (State.Pid of the inspected container); 0 = unknown. */
  constructor(private readonly hostPid: number) {}

  /** Null while the init is fine; else a sentence for the log saying why the run is ended. */
  async check(): Promise<string | null> {
    if (this.hostPid <= 0) return null;
    const state = await initState(this.hostPid);
    if (state === 'running') {
      this.badSince = null;
      return null;
    }
    if (this.badSince?.state !== state) this.badSince = { state, at: Date.now() };
    if (Date.now() - this.badSince.at < (state === 'stopped' ? STOPPED_MS : GONE_MS)) return null;
    return state === 'stopped'
      ? "[sandbox: the container's init process was stopped (traced or sent SIGSTOP); the run was ended instead of holding its slot until the time limit. Do not ptrace or signal process 1.]"
      : "[sandbox: the container's init process is gone while the container lingers; the run was ended.]";
  }
}

/** From /proc/<pid>/stat: `T`/`t` = stopped or traced, `Z`/`X` or no such process = gone. */
async function initState(pid: number): Promise<'running' | 'stopped' | 'gone'> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'gone';
  }
  // "pid (comm) S …": the command may hold spaces and parentheses, the state follows the last ')'.
  const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
  if (state === 'T' || state === 't') return 'stopped';
  if (state === 'Z' || state === 'X') return 'gone';
  return 'running';
}
