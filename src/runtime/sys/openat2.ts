/**
 * openat2(2) and readlinkat(2) through koffi, for resolving paths inside a
 * directory treated as `/` (RESOLVE_IN_ROOT) or beneath it without symlinks
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): the kernel does the walk, so a
 * symlink planted by a container cannot lead out, even while it changes.
 * Failures are SyscallErrors with errno.
 */
import koffi from 'koffi';
import { SyscallError } from '../../errors/index.js';
import { errnoName } from './filesystem.js';

const SYS_OPENAT2 = 437;
const EAGAIN = 11;

export const O = {
  RDONLY: 0,
  WRONLY: 0o1,
  CREAT: 0o100,
  EXCL: 0o200,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
} as const;

export const AT_FDCWD = -100;

interface Fns {
  syscall: (...args: unknown[]) => number | bigint;
  readlinkat: (dirfd: number, path: string, buf: Buffer, size: number) => number | bigint;
}

let fns: Fns | undefined;

function load(): Fns {
  if (fns) return fns;
  const lib = koffi.load('libc.so.6');
  fns = {
    syscall: lib.func('long syscall(long number, ...)') as Fns['syscall'],
    readlinkat: lib.func('long readlinkat(int dirfd, const char *path, _Out_ void *buf, size_t size)') as Fns['readlinkat'],
  };
  return fns;
}

function fail(syscall: string, detail: string): never {
  const errno = koffi.errno();
  throw new SyscallError(syscall, errno, errnoName(errno), detail);
}

/** An fd for `path` resolved from `dirfd` under the `resolve` rules; O_CLOEXEC is always added. */
export function openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags | O.CLOEXEC), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  // EAGAIN: RESOLVE_IN_ROOT saw a rename or mount race during the walk; the walk is safe to retry.
  for (let attempt = 0; ; attempt++) {
    const fd = Number(load().syscall(SYS_OPENAT2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', 24));
    if (fd >= 0) return fd;
    if (koffi.errno() !== EAGAIN || attempt >= 32) fail('openat2', `\`${path}\``);
  }
}

/** The target of the symlink `fd` refers to (an O_PATH | O_NOFOLLOW fd of the link itself). */
export function readlinkFd(fd: number): string {
  const buf = Buffer.alloc(4096);
  const n = Number(load().readlinkat(fd, '', buf, buf.length));
  if (n < 0) fail('readlinkat', `fd ${fd}`);
  return buf.toString('utf8', 0, n);
}

/** A path that names what `fd` refers to, for calls Node only offers by path (the kernel follows the fd, not a name). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}
