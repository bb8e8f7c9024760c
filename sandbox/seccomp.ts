/**
 * The sandbox's seccomp profile (passed inline as `seccomp=<json>`; it replaces the engine's
 * built-in one).
 *
 * How the list was chosen: the container already runs with every capability dropped and
 * no-new-privileges, so the kernel refuses mounts, module loads, raw sockets, clock changes and
 * the like by capability. What is left to deny are the calls that need no capability yet reach
 * other processes or large, bug-prone kernel surface, and that no training, plotting or LaTeX
 * run makes: tracing and reading other processes (ptrace stops the container's init and froze a
 * slot for hours; process_vm_*, pidfd_getfd, kcmp), io_uring (a second system-call path that
 * seccomp cannot see into), new namespaces (unshare, setns, clone with CLONE_NEW*; clone3 is
 * answered ENOSYS so that libc falls back to clone, whose flags a filter can read), bpf,
 * perf_event_open, userfaultfd, the kernel keyring, fanotify, the mount API, handle-based opens
 * and VSOCK sockets (a channel to the host or hypervisor
 * that network mode none does not cover). Everything else is allowed: a default-deny list would
 * have to know every call of Python, PyTorch, BLAS and TeX Live, and a missing one breaks good
 * code in ways that look like the code's fault.
 */

const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;
/** clone() flags that create namespaces (CLONE_NEWNS … CLONE_NEWNET). */
const CLONE_NEW = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

/** Calls denied outright (EPERM). */
export const DENIED_SYSCALLS = [
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'pidfd_getfd',
  'kcmp',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'unshare',
  'setns',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'add_key',
  'request_key',
  'keyctl',
  'fanotify_init',
  'open_by_handle_at',
  'name_to_handle_at',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'move_mount',
  'open_tree',
  'mount_setattr',
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'acct',
  'swapon',
  'swapoff',
  'reboot',
  'syslog',
  'quotactl',
  'lookup_dcookie',
  'uselib',
  'vm86',
  'vm86old',
  'nfsservctl',
] as const;

interface Rule {
  names: string[];
  action: 'SCMP_ACT_ERRNO' | 'SCMP_ACT_ALLOW';
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}

function profile(): object {
  const rules: Rule[] = [
    { names: [...DENIED_SYSCALLS], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: EPERM,
      args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_EQ' }],
    },
    // One rule per flag: the conditions of a rule are ANDed, so each flag needs its own.
    ...CLONE_NEW.map((flag): Rule => ({
      names: ['clone'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: EPERM,
      args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
    })),
  ];
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: [
      'SCMP_ARCH_X86_64',
      'SCMP_ARCH_X86',
      'SCMP_ARCH_X32',
      'SCMP_ARCH_AARCH64',
      'SCMP_ARCH_ARM',
    ],
    syscalls: rules,
  };
}

let json: string | undefined;

/** The profile as Docker's `SecurityOpt` wants it: `seccomp=<json>`. */
export function seccompOption(): string {
  json ??= JSON.stringify(profile());
  return `seccomp=${json}`;
}
