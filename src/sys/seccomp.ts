/**
 * Loading a seccomp program into the calling process: no_new_privs, then
 * seccomp(SECCOMP_SET_MODE_FILTER). The program comes compiled
 * (runtime/seccomp/compile.ts); nothing here decides what it allows.
 */
import koffi from 'koffi';
import { check, raw } from './libc.js';

const PR_SET_NO_NEW_PRIVS = 38;
const SECCOMP_SET_MODE_FILTER = 1;
/** sizeof(struct sock_filter). */
const INSTRUCTION_SIZE = 8;

/** seccomp(2) has no libc wrapper; its number differs by architecture. */
function seccompSyscallNumber(): number {
  if (process.arch === 'x64') return 317;
  if (process.arch === 'arm64') return 277;
  throw new Error(`seccomp(2) is defined here for x86_64 and aarch64, not ${process.arch}`);
}

let sockFprog: ReturnType<typeof koffi.struct> | undefined;

/** `struct sock_fprog { unsigned short len; struct sock_filter *filter; }`, declared once. */
function sockFprogType(): ReturnType<typeof koffi.struct> {
  sockFprog ??= koffi.struct('tsc_sock_fprog', { len: 'uint16_t', filter: 'void *' });
  return sockFprog;
}

/** Sets no_new_privs on the calling thread (and what it execs): needed to load a filter without CAP_SYS_ADMIN. */
export function setNoNewPrivileges(): void {
  check('prctl', raw.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'PR_SET_NO_NEW_PRIVS');
}

/**
 * Adds a filter to the calling process: `filter` is `struct sock_filter[]`,
 * `flags` SECCOMP_FILTER_FLAG_* (TSYNC puts every thread of the process under it).
 */
export function installSeccompFilter(filter: Buffer, flags: number): void {
  if (filter.length === 0 || filter.length % INSTRUCTION_SIZE !== 0) throw new Error(`a seccomp program is a non-empty array of 8-byte instructions, not ${filter.length} bytes`);
  const prog = { len: filter.length / INSTRUCTION_SIZE, filter };
  const type = sockFprogType();
  check('seccomp', raw.syscall(seccompSyscallNumber(), 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', flags, koffi.pointer(type), prog),
    `SECCOMP_SET_MODE_FILTER, flags 0x${flags.toString(16)}, ${prog.len} instructions`);
}
