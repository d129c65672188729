import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES, capabilityMask } from '../../../../src/runtime/capabilities.js';

/** An engine that holds every capability the kernel knows. */
const EVERY = (1n << BigInt(CAPABILITIES.length)) - 1n;
import { compileSeccompProfile, kernelVersionOf } from '../../../../src/runtime/seccomp/compile.js';
import type { SeccompTarget } from '../../../../src/runtime/seccomp/compile.js';
import { dockerDefaultSeccompProfile, parseSeccompProfile } from '../../../../src/runtime/seccomp/profile.js';
import { X86_64_SYSCALLS } from '../../../../src/runtime/seccomp/syscalls/x86_64.js';
import { I386_SYSCALLS } from '../../../../src/runtime/seccomp/syscalls/i386.js';
import { AARCH64_SYSCALLS } from '../../../../src/runtime/seccomp/syscalls/aarch64.js';
import { actionName, constantAllow, decode, run, verify } from '../../../support/cbpf.js';
import type { Instruction } from '../../../support/cbpf.js';

const AUDIT = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 } as const;
type AbiName = 'x86_64' | 'i386' | 'aarch64';
const TABLES: Record<AbiName, Readonly<Record<string, number>>> = { x86_64: X86_64_SYSCALLS, i386: I386_SYSCALLS, aarch64: AARCH64_SYSCALLS };

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_THREAD_FLAGS = 0x003d0f00; // what glibc's pthread_create passes
const AF_UNIX = 1;
const AF_INET = 2;
const AF_NETLINK = 16;
const AF_ALG = 38;
const AF_QIPCRTR = 42;
const AF_VSOCK = 40;

const DEFAULT_CAPS = capabilityMask({ held: EVERY });

function target(over: Partial<SeccompTarget> & { add?: string[] } = {}): SeccompTarget {
  return { arch: 'x86_64', capabilities: capabilityMask({ held: EVERY, add: over.add ?? [] }), kernel: { major: 6, minor: 18 }, ...over };
}

interface Compiled {
  insns: Instruction[];
  instructions: number;
  /** What the program returns for a call, by ABI and name (or number). */
  call(abi: AbiName | 'arm', syscall: string | number, ...args: Array<bigint | number>): string;
}

function compile(t: SeccompTarget = target(), profile = dockerDefaultSeccompProfile()): Compiled {
  const program = compileSeccompProfile(profile, t);
  const insns = decode(program.filter);
  verify(insns);
  return {
    insns,
    instructions: program.instructions,
    call(abi, syscall, ...args) {
      const nr = typeof syscall === 'number' ? syscall : abi === 'arm' ? 0 : TABLES[abi][syscall];
      assert.notEqual(nr, undefined, `${abi} has no ${String(syscall)}`);
      return actionName(run(insns, { nr: nr ?? 0, arch: AUDIT[abi], args }).value);
    },
  };
}

const profileOf = (json: unknown): ReturnType<typeof parseSeccompProfile> => parseSeccompProfile(JSON.stringify(json), 'test.json');

describe('the default profile under Docker\'s default capabilities (x86_64)', () => {
  const p = compile();

  it('allows what ordinary programs call', () => {
    for (const name of ['read', 'write', 'openat', 'close', 'mmap', 'futex', 'execve', 'getppid', 'epoll_wait', 'exit_group', 'rt_sigreturn', 'capset', 'setresuid', 'close_range', 'seccomp', 'prctl']) {
      assert.equal(p.call('x86_64', name), 'ALLOW', name);
    }
  });

  it('denies with EPERM the calls that reach into the host kernel', () => {
    for (const name of [
      'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'kexec_load', 'kexec_file_load',
      'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'clock_settime', 'settimeofday',
      'open_by_handle_at', 'mount', 'umount2', 'pivot_root', 'move_mount', 'fsopen', 'setns', 'acct', 'iopl', 'ioperm',
      'syslog', 'quotactl', 'lookup_dcookie', 'vhangup', 'nfsservctl',
    ]) {
      assert.equal(p.call('x86_64', name), 'ERRNO(1)', name);
    }
  });

  it('denies unshare, also of a user namespace', () => {
    assert.equal(p.call('x86_64', 'unshare', CLONE_NEWUSER), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'unshare', 0), 'ERRNO(1)');
  });

  it('keeps io_uring off', () => {
    for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register']) assert.equal(p.call('x86_64', name), 'ERRNO(1)', name);
  });

  it('allows clone without namespace flags and denies it with any of them', () => {
    assert.equal(p.call('x86_64', 'clone', CLONE_THREAD_FLAGS), 'ALLOW');
    assert.equal(p.call('x86_64', 'clone', 0x11 /* SIGCHLD: fork */), 'ALLOW');
    for (const flag of [CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET, 0x02000000, 0x04000000, 0x08000000, 0x20000000]) {
      assert.equal(p.call('x86_64', 'clone', 0x11 | flag), 'ERRNO(1)', `0x${flag.toString(16)}`);
    }
    // The mask tests 64 bits: flags above the low word do not hide namespace flags, and are no namespace flags.
    assert.equal(p.call('x86_64', 'clone', (1n << 32n) | 0x11n), 'ALLOW');
  });

  it('answers clone3 with ENOSYS, so libc falls back to clone and its flag check', () => {
    assert.equal(p.call('x86_64', 'clone3'), 'ERRNO(38)');
  });

  it('allows only the safe personality values', () => {
    for (const value of [0, 8, 0x20000, 0x20008, 0xffffffff]) assert.equal(p.call('x86_64', 'personality', value), 'ALLOW', String(value));
    for (const value of [1, 0x0400000 /* READ_IMPLIES_EXEC */, 0x0040000 /* ADDR_NO_RANDOMIZE */, 0x1_00000001n]) {
      assert.equal(p.call('x86_64', 'personality', value), 'ERRNO(1)', String(value));
    }
    // personality takes an unsigned int: the kernel drops the high word, so the filter looks at the low one.
    assert.equal(p.call('x86_64', 'personality', 0x7_00000008n), 'ALLOW');
  });

  it('allows sockets of every family but AF_ALG and AF_VSOCK', () => {
    for (const family of [AF_UNIX, AF_INET, 10, AF_NETLINK, 17, 37, 39, 41, AF_QIPCRTR, 45]) assert.equal(p.call('x86_64', 'socket', family, 1, 0), 'ALLOW', String(family));
    for (const family of [AF_ALG, AF_VSOCK]) assert.equal(p.call('x86_64', 'socket', family, 1, 0), 'ERRNO(1)', String(family));
    // The kernel reads the family as an int: high bits do not turn AF_VSOCK into an allowed family (they do
    // under libseccomp's 64-bit comparison of Docker's `> 40` rule), nor an allowed family into a refused one.
    assert.equal(p.call('x86_64', 'socket', (1n << 32n) | BigInt(AF_VSOCK)), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'socket', 0xffffffff_00000000n | BigInt(AF_ALG)), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'socket', (1n << 32n) | BigInt(AF_INET)), 'ALLOW');
  });

  it('allows ptrace on kernels from 4.8, where seccomp cannot be bypassed with it', () => {
    assert.equal(p.call('x86_64', 'ptrace'), 'ALLOW');
    assert.equal(p.call('x86_64', 'process_vm_readv'), 'ALLOW');
    assert.equal(p.call('x86_64', 'kcmp'), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'pidfd_getfd'), 'ERRNO(1)');
  });

  it('kills x32 system calls and passes the tracer\'s -1 to the default action', () => {
    assert.equal(p.call('x86_64', 0x40000000 | 0), 'KILL_PROCESS');
    assert.equal(p.call('x86_64', 0x40000000 | 39), 'KILL_PROCESS');
    assert.equal(p.call('x86_64', 0x7fffffff), 'KILL_PROCESS');
    assert.equal(p.call('x86_64', 0xfffffffe), 'KILL_PROCESS');
    assert.equal(p.call('x86_64', -1), 'ERRNO(1)');
  });

  it('kills any architecture it has no branch for', () => {
    assert.equal(p.call('aarch64', 'openat'), 'KILL_PROCESS');
    assert.equal(p.call('arm', 3), 'KILL_PROCESS');
    assert.equal(actionName(run(p.insns, { nr: 0, arch: 0 }).value), 'KILL_PROCESS');
  });

  it('answers numbers past the highest the profile names with ENOSYS, holes below it with EPERM', () => {
    const highest = Math.max(...Object.values(X86_64_SYSCALLS).filter((nr) => p.call('x86_64', nr) !== 'ERRNO(38)'));
    assert.equal(p.call('x86_64', highest + 1), 'ERRNO(38)');
    assert.equal(p.call('x86_64', 0x3fffffff), 'ERRNO(38)');
    assert.ok(!Object.values(X86_64_SYSCALLS).includes(400));
    assert.equal(p.call('x86_64', 400), 'ERRNO(1)');
    // set_mempolicy_home_node is the highest number only with CAP_SYS_NICE; without it the rule is gone, as in moby.
    assert.equal(p.call('x86_64', 'set_mempolicy_home_node'), 'ERRNO(38)');
    assert.equal(compile(target({ add: ['SYS_NICE'] })).call('x86_64', 'set_mempolicy_home_node'), 'ALLOW');
  });
});

describe('the i386 compat ABI on x86_64', () => {
  const p = compile();

  it('has its own numbers and the same rules', () => {
    assert.equal(p.call('i386', 'read'), 'ALLOW');
    assert.equal(p.call('i386', 'socketcall'), 'ALLOW');
    assert.equal(p.call('i386', 'mmap2'), 'ALLOW');
    assert.equal(p.call('i386', 'keyctl'), 'ERRNO(1)');
    assert.equal(p.call('i386', 'mount'), 'ERRNO(1)');
    assert.equal(p.call('i386', 'unshare', CLONE_NEWUSER), 'ERRNO(1)');
    assert.equal(p.call('i386', 'clone3'), 'ERRNO(38)');
    assert.equal(p.call('i386', 'modify_ldt'), 'ALLOW');
    assert.equal(p.call('i386', 'socket', AF_VSOCK), 'ERRNO(1)');
    assert.equal(p.call('i386', 'socket', AF_INET), 'ALLOW');
  });

  it('compares only the low word of 32-bit arguments', () => {
    assert.equal(p.call('i386', 'personality', 0xffffffff), 'ALLOW');
    assert.equal(p.call('i386', 'personality', 0x5_00000008n), 'ALLOW');
    assert.equal(p.call('i386', 'personality', 1), 'ERRNO(1)');
    assert.equal(p.call('i386', 'clone', 0x11 | CLONE_NEWUSER), 'ERRNO(1)');
    assert.equal(p.call('i386', 'clone', 0x11), 'ALLOW');
  });

  it('is killed when the profile does not list SCMP_ARCH_X86', () => {
    const only64 = compile(target(), profileOf({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    assert.equal(only64.call('x86_64', 'read'), 'ALLOW');
    assert.equal(only64.call('i386', 'read'), 'KILL_PROCESS');
  });

  it('is the only compat ABI: an x32 listing changes nothing', () => {
    const withX32 = compile(target(), profileOf({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    assert.equal(withX32.call('x86_64', 0x40000000), 'KILL_PROCESS');
    assert.equal(withX32.call('i386', 'read'), 'KILL_PROCESS');
  });
});

describe('capabilities open what Docker opens with them', () => {
  it('CAP_SYS_ADMIN: namespaces, mounts, clone3', () => {
    const p = compile(target({ add: ['SYS_ADMIN'] }));
    assert.equal(p.call('x86_64', 'clone', 0x11 | CLONE_NEWUSER | CLONE_NEWNS), 'ALLOW');
    assert.equal(p.call('x86_64', 'clone3'), 'ALLOW');
    assert.equal(p.call('x86_64', 'unshare', CLONE_NEWUSER), 'ALLOW');
    for (const name of ['mount', 'umount2', 'setns', 'sethostname', 'fsopen', 'move_mount', 'bpf', 'perf_event_open', 'quotactl']) assert.equal(p.call('x86_64', name), 'ALLOW', name);
    assert.equal(p.call('i386', 'clone', 0x11 | CLONE_NEWNET), 'ALLOW');
    // What no capability opens stays shut.
    for (const name of ['keyctl', 'add_key', 'request_key', 'userfaultfd', 'kexec_load']) assert.equal(p.call('x86_64', name), 'ERRNO(1)', name);
  });

  it('one capability, one group', () => {
    const cases: Array<[string, string[]]> = [
      ['SYS_BOOT', ['reboot']],
      ['SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
      ['SYS_TIME', ['clock_settime', 'settimeofday']],
      ['DAC_READ_SEARCH', ['open_by_handle_at']],
      ['BPF', ['bpf']],
      ['PERFMON', ['perf_event_open']],
      ['SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
      ['SYS_RAWIO', ['iopl', 'ioperm']],
      ['SYS_PACCT', ['acct']],
      ['SYSLOG', ['syslog']],
    ];
    for (const [cap, names] of cases) {
      const p = compile(target({ add: [cap] }));
      for (const name of names) assert.equal(p.call('x86_64', name), 'ALLOW', `${cap}: ${name}`);
      assert.equal(p.call('x86_64', 'swapon'), 'ERRNO(1)', `${cap}: swapon`);
    }
  });

  it('ptrace needs CAP_SYS_PTRACE on kernels before 4.8', () => {
    const old = { major: 4, minor: 7 };
    assert.equal(compile(target({ kernel: old })).call('x86_64', 'ptrace'), 'ERRNO(1)');
    assert.equal(compile(target({ kernel: old, add: ['SYS_PTRACE'] })).call('x86_64', 'ptrace'), 'ALLOW');
    assert.equal(compile(target({ kernel: { major: 4, minor: 8 } })).call('x86_64', 'ptrace'), 'ALLOW');
  });

  it('reads the kernel version the way moby does', () => {
    assert.deepEqual(kernelVersionOf('6.18.44-fc-v1098'), { major: 6, minor: 18 });
    assert.deepEqual(kernelVersionOf('4.8-rc5'), { major: 4, minor: 8 });
    assert.throws(() => kernelVersionOf('Linux'), /kernel version/);
  });
});

describe('aarch64', () => {
  const p = compile(target({ arch: 'aarch64' }));

  it('uses the generic numbers and has no compat branch', () => {
    assert.equal(p.call('aarch64', 'openat'), 'ALLOW');
    assert.equal(p.call('aarch64', 'keyctl'), 'ERRNO(1)');
    assert.equal(p.call('aarch64', 'clone', 0x11 | CLONE_NEWUSER), 'ERRNO(1)');
    assert.equal(p.call('aarch64', 'clone', 0x11), 'ALLOW');
    assert.equal(p.call('aarch64', 'personality', 8), 'ALLOW');
    assert.equal(p.call('aarch64', 'socket', AF_VSOCK), 'ERRNO(1)');
    assert.equal(p.call('aarch64', 'io_uring_setup'), 'ERRNO(1)');
    assert.equal(p.call('aarch64', 0x40000000), 'ERRNO(38)');
    assert.equal(p.call('x86_64', 'read'), 'KILL_PROCESS');
    assert.equal(p.call('arm', 3), 'KILL_PROCESS');
  });
});

describe('what the kernel does with the program', () => {
  it('lets the action cache prove every unconditionally allowed call allowed, and only those', () => {
    const p = compile();
    for (const abi of ['x86_64', 'i386'] as const) {
      for (const [name, nr] of Object.entries(TABLES[abi])) {
        const verdict = p.call(abi, nr);
        const conditional = ['clone', 'personality', 'socket'].includes(name);
        assert.equal(constantAllow(p.insns, AUDIT[abi], nr), verdict === 'ALLOW' && !conditional, `${abi} ${name}: ${verdict}`);
      }
    }
  });

  it('takes few steps for any call: a tree, not a chain', () => {
    const p = compile();
    let worst = 0;
    for (const abi of ['x86_64', 'i386'] as const) {
      for (const nr of Object.values(TABLES[abi])) {
        const steps = run(p.insns, { nr, arch: AUDIT[abi], args: [0xffffffff] }).steps;
        worst = Math.max(worst, steps);
      }
    }
    // 2 for the architecture, ~log2(runs) tree levels, then at most the personality rules (5 values x 4).
    assert.ok(worst <= 40, `worst path ${worst} instructions`);
  });

  it('has a known size (a change here is a change of the program: look at it with scripts/seccomp.js --disasm)', () => {
    assert.equal(compile().instructions, 422);
    assert.equal(compile(target({ add: ['SYS_ADMIN'] })).instructions, 348);
    assert.equal(compile(target({ arch: 'aarch64' })).instructions, 161);
    assert.equal(compile(target({ capabilities: capabilityMask({ privileged: true, held: EVERY }) })).instructions, 296);
  });
});

describe('rules as runc and libseccomp combine them', () => {
  const base = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'] };
  // Restates the default, so it adds no rule, but it names a high number: everything below gets EPERM, not ENOSYS.
  const HIGHEST = { names: ['set_mempolicy_home_node'], action: 'SCMP_ACT_ERRNO' };

  it('maps every action to its SECCOMP_RET value', () => {
    const p = compile(target(), profileOf({
      ...base,
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['open'], action: 'SCMP_ACT_ERRNO' },
        { names: ['close'], action: 'SCMP_ACT_KILL' },
        { names: ['stat'], action: 'SCMP_ACT_KILL_THREAD' },
        { names: ['fstat'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['lstat'], action: 'SCMP_ACT_TRAP' },
        { names: ['poll'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        { names: ['lseek'], action: 'SCMP_ACT_TRACE' },
        { names: ['munmap'], action: 'SCMP_ACT_LOG' },
      ],
    }));
    assert.deepEqual(['read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'munmap', 'mmap'].map((n) => p.call('x86_64', n)),
      ['ALLOW', 'ERRNO(13)', 'ERRNO(1)', 'KILL_THREAD', 'KILL_THREAD', 'KILL_PROCESS', 'TRAP(0)', 'TRACE(7)', 'TRACE(1)', 'LOG', 'ERRNO(1)']);
  });

  it('skips names an ABI does not have, and rules that restate the default', () => {
    const p = compile(target(), profileOf({
      ...base,
      defaultErrnoRet: 1,
      syscalls: [
        { names: ['socketcall', 'read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 5, op: 'SCMP_CMP_LT' }] },
      ],
    }));
    assert.equal(p.call('x86_64', 'read'), 'ALLOW');
    // The EPERM rule for fd 1 is dropped (it is the default), so fd 1 is below 5 and allowed, as under runc.
    assert.equal(p.call('x86_64', 'write', 1), 'ALLOW');
    assert.equal(p.call('x86_64', 'write', 7), 'ERRNO(1)');
  });

  it('lets an unconditional rule override conditional ones, before or after them', () => {
    for (const order of [0, 1]) {
      const conditional = { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 0, value: 3, op: 'SCMP_CMP_EQ' }] };
      const unconditional = { names: ['read'], action: 'SCMP_ACT_ALLOW' };
      const p = compile(target(), profileOf({ ...base, syscalls: order ? [conditional, unconditional] : [unconditional, conditional] }));
      assert.equal(p.call('x86_64', 'read', 3), 'ALLOW', `order ${order}`);
    }
  });

  it('takes conditions on one argument as alternatives and on different arguments as all required', () => {
    const p = compile(target(), profileOf({
      ...base,
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 3, op: 'SCMP_CMP_EQ' }, { index: 0, value: 4, op: 'SCMP_CMP_EQ' }] },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 2, value: 10, op: 'SCMP_CMP_LE' }] },
      ],
    }));
    assert.deepEqual([3, 4, 5].map((fd) => p.call('x86_64', 'read', fd)), ['ALLOW', 'ALLOW', 'ERRNO(1)']);
    assert.equal(p.call('x86_64', 'write', 1, 0, 10), 'ALLOW');
    assert.equal(p.call('x86_64', 'write', 1, 0, 11), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'write', 2, 0, 3), 'ERRNO(1)');
  });

  it('tries conditional rules in profile order', () => {
    const p = compile(target(), profileOf({
      ...base,
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 0, value: 10, op: 'SCMP_CMP_GE' }] },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 100, op: 'SCMP_CMP_LT' }] },
      ],
    }));
    assert.deepEqual([5, 50, 500].map((fd) => p.call('x86_64', 'read', fd)), ['ALLOW', 'ERRNO(9)', 'ERRNO(9)']);
  });

  it('adds no ENOSYS range when the default lets calls through or already says ENOSYS', () => {
    const allowAll = compile(target(), profileOf({ ...base, defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['keyctl'], action: 'SCMP_ACT_ERRNO' }] }));
    assert.equal(allowAll.call('x86_64', 'keyctl'), 'ERRNO(1)');
    assert.equal(allowAll.call('x86_64', 1000), 'ALLOW');
    const enosys = compile(target(), profileOf({ ...base, defaultErrnoRet: 38, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    assert.equal(enosys.call('x86_64', 'write'), 'ERRNO(38)');
    const errno = compile(target(), profileOf({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    assert.equal(errno.call('x86_64', 'write'), 'ERRNO(38)');
    assert.equal(errno.call('x86_64', 'read'), 'ALLOW');
  });

  it('selects rules by the host architecture name moby uses', () => {
    const profile = profileOf({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        HIGHEST,
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
        { names: ['close'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
      ],
    });
    const x86 = compile(target(), profile);
    assert.deepEqual(['write', 'close'].map((n) => x86.call('x86_64', n)), ['ALLOW', 'ERRNO(1)']);
    const arm = compile(target({ arch: 'aarch64' }), profile);
    assert.deepEqual(['write', 'close'].map((n) => arm.call('aarch64', n)), ['ERRNO(1)', 'ALLOW']);
  });

  it('needs every capability an `includes` names, and any an `excludes` names drops the rule', () => {
    const profile = profileOf({
      ...base,
      syscalls: [
        HIGHEST,
        { names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } },
        { names: ['close'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '7.0' } },
        { names: ['open'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '6.18' } },
      ],
    });
    const call = (add: string[], name: string): string => compile(target({ add }), profile).call('x86_64', name);
    assert.equal(call(['SYS_ADMIN'], 'read'), 'ERRNO(1)');
    assert.equal(call(['SYS_ADMIN', 'NET_ADMIN'], 'read'), 'ALLOW');
    assert.equal(call([], 'write'), 'ALLOW');
    assert.equal(call(['NET_ADMIN'], 'write'), 'ERRNO(1)');
    assert.equal(call([], 'close'), 'ERRNO(1)');
    assert.equal(call([], 'open'), 'ERRNO(1)');
  });

  it('passes the profile flags to seccomp(2)', () => {
    const program = compileSeccompProfile(profileOf({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }), target());
    assert.equal(program.flags, 2 | 4);
    assert.deepEqual(program.abis, ['x86_64']);
    assert.equal(compileSeccompProfile(dockerDefaultSeccompProfile(), target()).flags, 0);
  });
});

/** The comparison on exact integers: 64 bits, or the low words of argument and values for a 32-bit argument. */
function holds(op: string, arg: bigint, value: bigint, valueTwo: bigint, wordBits: 32 | 64): boolean {
  const word = (v: bigint): bigint => (wordBits === 32 ? v & 0xffffffffn : v);
  const a = word(arg);
  const v = word(value);
  const v2 = word(valueTwo);
  switch (op) {
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_MASKED_EQ': return (a & v) === v2;
    default: throw new Error(op);
  }
}

describe('argument comparisons', () => {
  const edges = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x1_00000000n, 0x1_00000001n, 0x2_00000000n, 0xffffffff_00000000n, 0xffffffff_fffffffen, 0xffffffff_ffffffffn];
  const ops = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE'];

  it('compare unsigned 64-bit values across the word boundary, on both word sizes', () => {
    for (const op of ops) {
      for (const value of edges) {
        const p = compile(target(), parseSeccompProfile(
          `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["dup"],"action":"SCMP_ACT_ALLOW","args":[{"index":3,"value":${value},"op":"${op}"}]}]}`, 'test.json'));
        for (const arg of edges) {
          for (const abi of ['x86_64', 'i386'] as const) {
            const want = holds(op, arg, value, 0n, abi === 'i386' ? 32 : 64) ? 'ALLOW' : 'ERRNO(1)';
            assert.equal(p.call(abi, 'dup', 0, 0, 0, arg), want, `${abi} ${op} arg 0x${arg.toString(16)} value 0x${value.toString(16)}`);
          }
        }
      }
    }
  });

  it('masked equality looks at the masked bits of both words', () => {
    const masks = [0n, 0xffn, 0xffffffffn, 0x1_00000000n, 0xff_000000ffn, 0xffffffff_ffffffffn];
    for (const mask of masks) {
      for (const want of [0n, 0x1n, 0xffn, 0x1_00000000n, 0xff_00000000n]) {
        const p = compile(target(), parseSeccompProfile(
          `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["dup"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":${mask},"valueTwo":${want},"op":"SCMP_CMP_MASKED_EQ"}]}]}`, 'test.json'));
        for (const arg of [...edges, 0x1_000000ffn, 0xff_000000ffn, 0x1n]) {
          for (const abi of ['x86_64', 'i386'] as const) {
            const expected = holds('SCMP_CMP_MASKED_EQ', arg, mask, want, abi === 'i386' ? 32 : 64) ? 'ALLOW' : 'ERRNO(1)';
            assert.equal(p.call(abi, 'dup', arg), expected, `${abi} mask 0x${mask.toString(16)} want 0x${want.toString(16)} arg 0x${arg.toString(16)}`);
          }
        }
      }
    }
  });

  it('compares arguments the kernel reads as int by their low word, on 64-bit ABIs too', () => {
    const TIOCSTI = 0x5412;
    const p = compile(target(), profileOf({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: TIOCSTI, op: 'SCMP_CMP_EQ' }] },
        { names: ['unshare'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x10000000, op: 'SCMP_CMP_MASKED_EQ', valueTwo: 0x10000000 }] },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: '18446744073709551615', op: 'SCMP_CMP_EQ' }] },
      ],
    }));
    // ioctl(fd, unsigned int cmd): high bits the kernel drops do not slip TIOCSTI past a rule (the flatpak bypass).
    assert.equal(p.call('x86_64', 'ioctl', 0, TIOCSTI), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'ioctl', 0, (1n << 32n) | BigInt(TIOCSTI)), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'ioctl', 0, 0x5413), 'ALLOW');
    assert.equal(p.call('x86_64', 'unshare', 0x10000000), 'ERRNO(1)');
    // A sign-extended -1 in the profile is -1 for a pid_t, however the caller extended it.
    assert.equal(p.call('x86_64', 'kill', 0xffffffff), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'kill', 0xffffffff_ffffffffn), 'ERRNO(1)');
    assert.equal(p.call('x86_64', 'kill', 1), 'ALLOW');
  });

  it('reads each of the six arguments from its own slot', () => {
    for (let index = 0; index < 6; index++) {
      const p = compile(target(), profileOf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['dup'], action: 'SCMP_ACT_ALLOW', args: [{ index, value: 7, op: 'SCMP_CMP_EQ' }] }] }));
      const args = [0, 0, 0, 0, 0, 0];
      assert.equal(p.call('x86_64', 'dup', ...args), 'ERRNO(1)');
      args[index] = 7;
      assert.equal(p.call('x86_64', 'dup', ...args), 'ALLOW', `argument ${index}`);
    }
  });
});

describe('large profiles', () => {
  it('reach far branches through trampolines and stay correct', () => {
    // Every system call gets a three-value rule: the tree's leaves are long, so its jumps pass 255 instructions.
    const names = Object.keys(X86_64_SYSCALLS).slice(0, 150);
    const p = compile(target(), profileOf({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: names.map((name) => ({ names: [name], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0x1_00000005, op: 'SCMP_CMP_GE' }, { index: 2, value: 9, op: 'SCMP_CMP_NE' }] })),
    }));
    assert.ok(p.instructions > 1000, `${p.instructions} instructions`);
    assert.ok(p.insns.some((i) => i.code === 0x05), 'no trampoline was needed');
    for (const name of names) {
      assert.equal(p.call('x86_64', name, 0, 0x1_00000005n, 0), 'ALLOW', name);
      assert.equal(p.call('x86_64', name, 0, 0x1_00000004n, 0), 'ERRNO(1)', name);
      assert.equal(p.call('x86_64', name, 0, 0x2_00000000n, 9), 'ERRNO(1)', name);
    }
  });

  it('refuses a program the kernel would not take', () => {
    const names = Object.keys(X86_64_SYSCALLS);
    const tooMany = profileOf({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: names.map((name) => ({ names: [name], action: 'SCMP_ACT_ALLOW', args: [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: 0x1_00000005, op: 'SCMP_CMP_GE' })) })),
    });
    assert.throws(() => compileSeccompProfile(tooMany, target()), /the seccomp program would have \d+ instructions; the kernel takes at most 4096/);
  });
});

it('Docker\'s default capability set is what the tests assume', () => {
  assert.equal(target().capabilities, DEFAULT_CAPS);
});

/**
 * The decision for one call, straight from the profile: moby's rule
 * selection, runc's dropping of default-action rules and ENOSYS range,
 * libseccomp's unconditional-over-conditional, first matching rule, the
 * kernel's width for each argument. No intervals, no BPF.
 */
function reference(profile: ReturnType<typeof dockerDefaultSeccompProfile>, t: SeccompTarget): (abi: AbiName, nr: number, args: bigint[]) => string {
  const host = t.arch === 'x86_64' ? 'amd64' : 'arm64';
  const caps = new Set<string>(CAPABILITIES.filter((_, bit) => (t.capabilities >> BigInt(bit)) & 1n));
  const version = t.kernel.major * 1000 + t.kernel.minor;
  const rules = profile.rules.filter((r) => {
    if (r.excludes && (r.excludes.arches.includes(host) || r.excludes.caps.some((c) => caps.has(c)) || (r.excludes.minKernel && version >= r.excludes.minKernel.major * 1000 + r.excludes.minKernel.minor))) return false;
    if (r.includes && ((r.includes.arches.length && !r.includes.arches.includes(host)) || !r.includes.caps.every((c) => caps.has(c)) || (r.includes.minKernel && version < r.includes.minKernel.major * 1000 + r.includes.minKernel.minor))) return false;
    return true;
  });
  const action = (a: string, data: number | undefined): string => ({
    SCMP_ACT_ALLOW: 'ALLOW', SCMP_ACT_ERRNO: `ERRNO(${data ?? 1})`, SCMP_ACT_KILL: 'KILL_THREAD', SCMP_ACT_KILL_THREAD: 'KILL_THREAD',
    SCMP_ACT_KILL_PROCESS: 'KILL_PROCESS', SCMP_ACT_TRAP: 'TRAP(0)', SCMP_ACT_TRACE: `TRACE(${data ?? 1})`, SCMP_ACT_LOG: 'LOG',
  } as Record<string, string>)[a] ?? '?';
  const dflt = action(profile.defaultAction, profile.defaultErrnoRet);
  const permissive = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(profile.defaultAction);
  const highest = new Map<AbiName, number>();
  const byNumber = new Map<AbiName, Map<number, Array<{ r: (typeof rules)[number]; n: string }>>>();
  for (const abi of ['x86_64', 'i386', 'aarch64'] as const) {
    const numbers = new Map<number, Array<{ r: (typeof rules)[number]; n: string }>>();
    let top = -1;
    for (const r of rules) {
      for (const n of r.names) {
        const nr = Object.hasOwn(TABLES[abi], n) ? TABLES[abi][n] : undefined;
        if (nr === undefined) continue;
        top = Math.max(top, nr);
        if (action(r.action, r.errnoRet) !== dflt) numbers.set(nr, [...(numbers.get(nr) ?? []), { r, n }]);
      }
    }
    highest.set(abi, top);
    byNumber.set(abi, numbers);
  }
  return (abi, nr, args) => {
    if (abi === 'x86_64' && nr >= 0x40000000) return nr === 0xffffffff ? dflt : 'KILL_PROCESS';
    const mine = byNumber.get(abi)?.get(nr) ?? [];
    const unconditional = mine.find(({ r }) => r.args.length === 0);
    if (unconditional) return action(unconditional.r.action, unconditional.r.errnoRet);
    for (const { r, n } of mine) {
      const repeated = new Set(r.args.map((a) => a.index)).size < r.args.length;
      const test = (a: (typeof r.args)[number]): boolean =>
        holds(a.op, args[a.index] ?? 0n, a.value, a.valueTwo, abi === 'i386' || (['socket', 'personality'].includes(n) && a.index === 0) ? 32 : 64);
      if (repeated ? r.args.some(test) : r.args.every(test)) return action(r.action, r.errnoRet);
    }
    const top = highest.get(abi) ?? -1;
    if (!permissive && dflt !== 'ERRNO(38)' && top >= 0 && nr > top) return 'ERRNO(38)';
    return dflt;
  };
}

describe('the whole default profile against a direct reading of it', () => {
  const argSets: bigint[][] = [[], [0n], [1n], [8n], [0x11n], [0x20008n], [0xffffffffn], [0x1_00000008n], [0x11n | 0x10000000n], [0x7e020000n], [37n], [38n], [39n], [40n], [41n], [0x1_00000028n], [0xffffffff_ffffffffn]];
  const targets: Array<[string, SeccompTarget]> = [
    ['default caps', target()],
    ['CAP_SYS_ADMIN', target({ add: ['SYS_ADMIN'] })],
    ['privileged', target({ capabilities: capabilityMask({ privileged: true, held: EVERY }) })],
    ['kernel 4.4', target({ kernel: { major: 4, minor: 4 } })],
    ['aarch64', target({ arch: 'aarch64' })],
  ];
  for (const [label, t] of targets) {
    it(`agrees on every system call and argument set (${label})`, () => {
      const p = compile(t);
      const decide = reference(dockerDefaultSeccompProfile(), t);
      const abis: AbiName[] = t.arch === 'x86_64' ? ['x86_64', 'i386'] : ['aarch64'];
      for (const abi of abis) {
        const numbers = new Set([...Object.values(TABLES[abi]), 335, 400, 451, 460, 1000, 0x3fffffff, 0x40000000, 0x40000001, 0x80000000, 0xfffffffe, 0xffffffff]);
        for (const nr of numbers) {
          for (const args of argSets) {
            assert.equal(p.call(abi, nr, ...args), decide(abi, nr, args), `${label} ${abi} nr ${nr} args ${args.map((a) => `0x${a.toString(16)}`).join(',')}`);
          }
        }
      }
    });
  }
});
