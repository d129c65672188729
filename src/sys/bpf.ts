/**
 * bpf(2), for the few commands cgroup device programs need: load a program,
 * attach it to a cgroup directory, list and detach what a directory holds.
 * The attributes are `union bpf_attr` laid out by hand (linux/bpf.h); the
 * pointers inside them are addresses of Buffers, which do not move while the
 * call runs. Nothing here decides anything.
 */
import koffi from 'koffi';
import { ERRNO } from '../errors/errno.js';
import { SyscallError } from '../errors/index.js';
import { lastErrno, raw } from './libc.js';

/** bpf's number per architecture (asm/unistd.h). */
const SYS_BPF: Readonly<Record<string, number>> = { x64: 321, arm64: 280 };

const CMD = {
  PROG_LOAD: 5,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_GET_FD_BY_ID: 13,
  PROG_QUERY: 16,
} as const;

export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2;

/** Larger than any attribute used here: the kernel wants the bytes it does not know to be zero, and they are. */
const ATTR_SIZE = 128;
/** The verifier's explanation when a load is refused. */
const LOG_SIZE = 64 * 1024;

function bpf(cmd: number, attr: Buffer): number {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new SyscallError('bpf', ERRNO.ENOSYS, `on ${process.arch}: tsc-compose knows bpf's number for x86_64 and aarch64 only`);
  return Number(raw.syscall(nr, 'int', cmd, 'void *', attr, 'unsigned int', attr.length));
}

const address = (buf: Buffer): bigint => koffi.address(buf);

function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

/**
 * Loads a program; returns its descriptor (close-on-exec, as every bpf fd).
 * When the kernel refuses it, loads it again with the verifier's log on and
 * puts the log's last lines in the error.
 */
export function bpfProgLoad(progType: number, instructions: Buffer, license: string, name: string): number {
  const licenseBuf = cString(license);
  const attempt = (log: Buffer | undefined): number => {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(progType, 0);
    attr.writeUInt32LE(instructions.length / 8, 4);
    attr.writeBigUInt64LE(address(instructions), 8);
    attr.writeBigUInt64LE(address(licenseBuf), 16);
    if (log) {
      attr.writeUInt32LE(1, 24);
      attr.writeUInt32LE(log.length, 28);
      attr.writeBigUInt64LE(address(log), 32);
    }
    // prog_name: 15 characters and a NUL; the kernel allows [A-Za-z0-9_.].
    Buffer.from(name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15), 'ascii').copy(attr, 48);
    return bpf(CMD.PROG_LOAD, attr);
  };
  const fd = attempt(undefined);
  if (fd >= 0) return fd;
  const errno = lastErrno();
  const log = Buffer.alloc(LOG_SIZE);
  const again = attempt(log);
  if (again >= 0) return again;
  const text = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim().split('\n').slice(-6).join(' | ');
  throw new SyscallError('bpf', errno, `BPF_PROG_LOAD (type ${progType}, ${instructions.length / 8} instructions)${text ? `: verifier says: ${text}` : ''}`);
}

function attachAttr(targetFd: number, progFd: number, attachType: number, flags: number): Buffer {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(targetFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(attachType, 8);
  attr.writeUInt32LE(flags, 12);
  return attr;
}

export function bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, what: string): void {
  if (bpf(CMD.PROG_ATTACH, attachAttr(targetFd, progFd, attachType, flags)) < 0) {
    throw new SyscallError('bpf', lastErrno(), `BPF_PROG_ATTACH (attach type ${attachType}, flags ${flags}) to ${what}`);
  }
}

export function bpfProgDetach(targetFd: number, progFd: number, attachType: number, what: string): void {
  if (bpf(CMD.PROG_DETACH, attachAttr(targetFd, progFd, attachType, 0)) < 0) {
    throw new SyscallError('bpf', lastErrno(), `BPF_PROG_DETACH (attach type ${attachType}) from ${what}`);
  }
}

/** The ids of the programs attached to `targetFd` itself (not inherited ones) for one attach type. */
export function bpfProgQuery(targetFd: number, attachType: number, what: string): number[] {
  // A cgroup holds at most 64 programs per attach type (BPF_CGROUP_MAX_PROGS); ENOSPC says how many more there are.
  let room = 64;
  for (let attempt = 0; attempt < 4; attempt++) {
    const ids = Buffer.alloc(room * 4);
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(targetFd, 0);
    attr.writeUInt32LE(attachType, 4);
    attr.writeBigUInt64LE(address(ids), 16);
    attr.writeUInt32LE(room, 24);
    const rc = bpf(CMD.PROG_QUERY, attr);
    const count = attr.readUInt32LE(24);
    if (rc >= 0) return Array.from({ length: count }, (_, i) => ids.readUInt32LE(i * 4));
    const errno = lastErrno();
    if (errno !== ERRNO.ENOSPC) throw new SyscallError('bpf', errno, `BPF_PROG_QUERY (attach type ${attachType}) on ${what}`);
    room = count;
  }
  throw new SyscallError('bpf', ERRNO.ENOSPC, `BPF_PROG_QUERY (attach type ${attachType}) on ${what}: the list kept growing`);
}

/** A descriptor of a loaded program by its id (needs CAP_SYS_ADMIN). */
export function bpfProgGetFdById(id: number): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  const fd = bpf(CMD.PROG_GET_FD_BY_ID, attr);
  if (fd < 0) throw new SyscallError('bpf', lastErrno(), `BPF_PROG_GET_FD_BY_ID ${id}`);
  return fd;
}
