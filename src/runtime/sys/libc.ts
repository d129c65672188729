/**
 * The libc calls the node-only executor needs (the fallback for machines
 * without a C compiler). Every call returns or throws a SyscallError with
 * errno; nothing here decides anything.
 */
import koffi from 'koffi';
import { SyscallError } from '../../errors/index.js';
import { errnoName } from './filesystem.js';

const lib = koffi.load('libc.so.6');

const fns = {
  unshare: lib.func('int unshare(int flags)'),
  setns: lib.func('int setns(int fd, int nstype)'),
  mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
  umount2: lib.func('int umount2(const char *target, int flags)'),
  syscall: lib.func('long syscall(long number, ...)'),
  sethostname: lib.func('int sethostname(const char *name, size_t len)'),
  setdomainname: lib.func('int setdomainname(const char *name, size_t len)'),
  prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  setgroups: lib.func('int setgroups(size_t size, const uint32_t *list)'),
  setgid: lib.func('int setgid(uint32_t gid)'),
  setuid: lib.func('int setuid(uint32_t uid)'),
  chdir: lib.func('int chdir(const char *path)'),
  execve: lib.func('int execve(const char *path, const char **argv, const char **envp)'),
  fcntl: lib.func('int fcntl(int fd, int cmd, ...)'),
  open: lib.func('int open(const char *path, int flags, ...)'),
  close: lib.func('int close(int fd)'),
  mkdirat: lib.func('int mkdirat(int dirfd, const char *path, uint32_t mode)'),
  openat: lib.func('int openat(int dirfd, const char *path, int flags, ...)'),
  symlinkat: lib.func('int symlinkat(const char *target, int dirfd, const char *linkpath)'),
  setrlimit: lib.func('int setrlimit(int resource, const uint64_t *rlim)'),
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
};

function check(name: string, result: number | bigint, detail: string): number {
  const n = Number(result);
  if (n < 0) {
    const errno = koffi.errno();
    throw new SyscallError(name, errno, errnoName(errno), detail);
  }
  return n;
}

export const SYS_PIVOT_ROOT = 155;
export const SYS_OPENAT2 = 437;
export const SYS_CAPSET = 126;
export const O_PATH = 0o10000000;
export const O_CLOEXEC = 0o2000000;
export const O_DIRECTORY = 0o200000;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_IN_ROOT = 0x10;

export const libc = {
  unshare: (flags: number): void => void check('unshare', fns.unshare(flags) as number, `0x${flags.toString(16)}`),
  /** Enters the namespace at `path` (on this thread; children spawned from it follow). */
  setns: (path: string): void => {
    const fd = check('open', fns.open(path, O_CLOEXEC) as number, path);
    try {
      check('setns', fns.setns(fd, 0) as number, path);
    } finally {
      fns.close(fd);
    }
  },
  mount: (source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void =>
    void check('mount', fns.mount(source, target, fstype, flags, data) as number, `\`${fstype ?? source}\` on \`${target}\``),
  umount2: (target: string, flags: number): void => void check('umount2', fns.umount2(target, flags) as number, target),
  pivotRoot: (newRoot: string, putOld: string): void =>
    void check('pivot_root', fns.syscall(SYS_PIVOT_ROOT, 'const char *', newRoot, 'const char *', putOld) as number, newRoot),
  /** openat2 with RESOLVE_IN_ROOT: `path` resolved as if `rootFd` were `/`. */
  openInRoot: (rootFd: number, path: string): number => {
    const how = Buffer.alloc(24);
    how.writeBigUInt64LE(BigInt(O_PATH | O_CLOEXEC), 0);
    how.writeBigUInt64LE(BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), 16);
    return Number(fns.syscall(SYS_OPENAT2, 'int', rootFd, 'const char *', path, 'void *', how, 'size_t', 24));
  },
  sethostname: (name: string): void => void check('sethostname', fns.sethostname(name, Buffer.byteLength(name)) as number, name),
  setdomainname: (name: string): void => void check('setdomainname', fns.setdomainname(name, Buffer.byteLength(name)) as number, name),
  prctl: (option: number, a2: number): number => Number(fns.prctl(option, a2, 0, 0, 0)),
  setgroups: (gids: number[]): void => void check('setgroups', fns.setgroups(gids.length, gids.length ? new Uint32Array(gids) : null) as number, gids.join(',')),
  setgid: (gid: number): void => void check('setgid', fns.setgid(gid) as number, String(gid)),
  setuid: (uid: number): void => void check('setuid', fns.setuid(uid) as number, String(uid)),
  chdir: (path: string): void => void check('chdir', fns.chdir(path) as number, path),
  capset: (mask: bigint): void => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0x20080522, 0); // _LINUX_CAPABILITY_VERSION_3
    const data = Buffer.alloc(24);
    const lo = Number(mask & 0xffffffffn);
    const hi = Number((mask >> 32n) & 0xffffffffn);
    data.writeUInt32LE(lo, 0); // effective
    data.writeUInt32LE(lo, 4); // permitted
    data.writeUInt32LE(hi, 12);
    data.writeUInt32LE(hi, 16);
    check('capset', fns.syscall(SYS_CAPSET, 'void *', header, 'void *', data) as number, mask.toString(16));
  },
  clearCloexec: (fd: number): void => {
    const flags = Number(fns.fcntl(fd, 1 /* F_GETFD */));
    if (flags >= 0) fns.fcntl(fd, 2 /* F_SETFD */, 'int', flags & ~1);
  },
  setCloexec: (fd: number): void => {
    const flags = Number(fns.fcntl(fd, 1));
    if (flags >= 0) fns.fcntl(fd, 2, 'int', flags | 1);
  },
  open: (path: string, flags: number): number => check('open', fns.open(path, flags) as number, path),
  openat: (dirfd: number, path: string, flags: number, mode: number): number => Number(fns.openat(dirfd, path, flags, 'uint32_t', mode)),
  close: (fd: number): void => void fns.close(fd),
  mkdirat: (dirfd: number, path: string, mode: number): number => Number(fns.mkdirat(dirfd, path, mode)),
  symlinkat: (target: string, dirfd: number, link: string): number => Number(fns.symlinkat(target, dirfd, link)),
  setrlimit: (resource: number, soft: number, hard: number): void =>
    void check('setrlimit', fns.setrlimit(resource, new BigUint64Array([BigInt(soft), BigInt(hard)])) as number, `${resource}=${soft}:${hard}`),
  loopbackUp: (): void => {
    const sock = check('socket', fns.socket(2, 2 | O_CLOEXEC, 0) as number, 'AF_INET');
    const ifr = Buffer.alloc(40);
    ifr.write('lo', 0);
    check('ioctl', fns.ioctl(sock, 0x8913, 'void *', ifr) as number, 'SIOCGIFFLAGS lo');
    ifr.writeInt16LE(ifr.readInt16LE(16) | 1, 16);
    check('ioctl', fns.ioctl(sock, 0x8914, 'void *', ifr) as number, 'SIOCSIFFLAGS lo');
    fns.close(sock);
  },
  /** Replaces this process; returns only on failure, with errno. */
  execve: (path: string, argv: string[], envp: string[]): number => {
    fns.execve(path, [...argv, null], [...envp, null]);
    return koffi.errno();
  },
  errno: (): number => koffi.errno(),
};
