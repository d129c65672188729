/**
 * The one koffi binding of libc. The library is loaded, and each function
 * declared, on first use, so a command that never makes a system call never
 * pays for koffi. Every wrapper that can fail throws a SyscallError with the
 * call, errno and what it was called on; nothing here decides anything.
 */
import koffi from 'koffi';
import { SyscallError } from '../errors/index.js';
import { SYS } from './constants.js';

type KoffiLibrary = ReturnType<typeof koffi.load>;
// koffi's functions take and return what their C prototype says; callers below give each its TypeScript type.
type Native = (...args: unknown[]) => unknown;

let library: KoffiLibrary | undefined;

/** A libc function by its C prototype, declared when first called. */
export function bind<F>(prototype: string): F {
  let native: Native | undefined;
  const call = (...args: unknown[]): unknown => {
    native ??= (library ??= koffi.load('libc.so.6')).func(prototype) as Native;
    return native(...args);
  };
  return call as F;
}

/** errno of the last failed call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** A result below zero becomes the SyscallError of the current errno. */
export function check(syscall: string, result: number | bigint, detail: string): number {
  const n = Number(result);
  if (n < 0) throw new SyscallError(syscall, lastErrno(), detail);
  return n;
}

/** Throws the SyscallError of the current errno. */
export function fail(syscall: string, detail: string): never {
  throw new SyscallError(syscall, lastErrno(), detail);
}

/** The raw calls (return values as libc gives them); modules of sys/ wrap them. */
export const raw = {
  syscall: bind<(number: number, ...args: unknown[]) => number | bigint>('long syscall(long number, ...)'),
  unshare: bind<(flags: number) => number>('int unshare(int flags)'),
  setns: bind<(fd: number, nstype: number) => number>('int setns(int fd, int nstype)'),
  mount: bind<(source: string | null, target: string, fstype: string | null, flags: number, data: string | null) => number>(
    'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
  ),
  umount2: bind<(target: string, flags: number) => number>('int umount2(const char *target, int flags)'),
  unlink: bind<(path: string) => number>('int unlink(const char *path)'),
  sethostname: bind<(name: string, len: number) => number>('int sethostname(const char *name, size_t len)'),
  setdomainname: bind<(name: string, len: number) => number>('int setdomainname(const char *name, size_t len)'),
  prctl: bind<(option: number, a2: number, a3: number, a4: number, a5: number) => number>('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  setgroups: bind<(size: number, list: Uint32Array | null) => number>('int setgroups(size_t size, const uint32_t *list)'),
  setgid: bind<(gid: number) => number>('int setgid(uint32_t gid)'),
  setuid: bind<(uid: number) => number>('int setuid(uint32_t uid)'),
  chdir: bind<(path: string) => number>('int chdir(const char *path)'),
  execve: bind<(path: string, argv: Array<string | null>, envp: Array<string | null>) => number>('int execve(const char *path, const char **argv, const char **envp)'),
  fcntl: bind<(fd: number, cmd: number, ...args: unknown[]) => number>('int fcntl(int fd, int cmd, ...)'),
  open: bind<(path: string, flags: number, ...args: unknown[]) => number>('int open(const char *path, int flags, ...)'),
  openat: bind<(dirfd: number, path: string, flags: number, ...args: unknown[]) => number>('int openat(int dirfd, const char *path, int flags, ...)'),
  close: bind<(fd: number) => number>('int close(int fd)'),
  mkdirat: bind<(dirfd: number, path: string, mode: number) => number>('int mkdirat(int dirfd, const char *path, uint32_t mode)'),
  symlinkat: bind<(target: string, dirfd: number, linkpath: string) => number>('int symlinkat(const char *target, int dirfd, const char *linkpath)'),
  readlinkat: bind<(dirfd: number, path: string, buf: Buffer, size: number) => number | bigint>('long readlinkat(int dirfd, const char *path, _Out_ void *buf, size_t size)'),
  mknod: bind<(path: string, mode: number, dev: number) => number>('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  lsetxattr: bind<(path: string, name: string, value: Buffer, size: number, flags: number) => number>('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
  lgetxattr: bind<(path: string, name: string, value: Buffer | null, size: number) => number | bigint>('long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
  setrlimit: bind<(resource: number, rlim: BigUint64Array) => number>('int setrlimit(int resource, const uint64_t *rlim)'),
  socket: bind<(domain: number, type: number, protocol: number) => number>('int socket(int domain, int type, int protocol)'),
  send: bind<(fd: number, buf: Buffer, len: number, flags: number) => number | bigint>('long send(int fd, const void *buf, size_t len, int flags)'),
  recv: bind<(fd: number, buf: Buffer, len: number, flags: number) => number | bigint>('long recv(int fd, _Out_ void *buf, size_t len, int flags)'),
  ioctl: bind<(fd: number, request: number, ...args: unknown[]) => number>('int ioctl(int fd, unsigned long request, ...)'),
  ifNameToIndex: bind<(name: string) => number>('unsigned int if_nametoindex(const char *ifname)'),
};

/** A syscall libc has no wrapper for, by this machine's number for it. */
export function syscallNumber(name: keyof typeof SYS): number {
  return SYS[name];
}
