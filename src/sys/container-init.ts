/**
 * The calls a container's first process makes between fork and exec, for the
 * koffi-only Node executor (the fallback where no C compiler built the shim).
 * Each returns or throws a SyscallError with errno; nothing here decides.
 */
import { AF_INET, O, RESOLVE, SOCK_DGRAM, SOCK_CLOEXEC } from './constants.js';
import { check, lastErrno, raw, syscallNumber } from './libc.js';

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 1;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

export const libc = {
  unshare: (flags: number): void => void check('unshare', raw.unshare(flags), `0x${flags.toString(16)}`),
  /** Enters the namespace at `path` (on this thread; children spawned from it follow). */
  setns: (path: string): void => {
    const fd = check('open', raw.open(path, O.CLOEXEC), path);
    try {
      check('setns', raw.setns(fd, 0), path);
    } finally {
      raw.close(fd);
    }
  },
  mount: (source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void =>
    void check('mount', raw.mount(source, target, fstype, flags, data), `\`${fstype ?? source}\` on \`${target}\``),
  umount2: (target: string, flags: number): void => void check('umount2', raw.umount2(target, flags), target),
  pivotRoot: (newRoot: string, putOld: string): void =>
    void check('pivot_root', raw.syscall(syscallNumber('pivot_root'), 'const char *', newRoot, 'const char *', putOld), newRoot),
  /** openat2 with RESOLVE_IN_ROOT: `path` resolved as if `rootFd` were `/`; below zero on failure (errno set). */
  openInRoot: (rootFd: number, path: string): number => {
    const how = Buffer.alloc(24);
    how.writeBigUInt64LE(BigInt(O.PATH | O.CLOEXEC), 0);
    how.writeBigUInt64LE(BigInt(RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS), 16);
    return Number(raw.syscall(syscallNumber('openat2'), 'int', rootFd, 'const char *', path, 'void *', how, 'size_t', 24));
  },
  sethostname: (name: string): void => void check('sethostname', raw.sethostname(name, Buffer.byteLength(name)), name),
  setdomainname: (name: string): void => void check('setdomainname', raw.setdomainname(name, Buffer.byteLength(name)), name),
  prctl: (option: number, a2: number): number => Number(raw.prctl(option, a2, 0, 0, 0)),
  setgroups: (gids: number[]): void => void check('setgroups', raw.setgroups(gids.length, gids.length ? new Uint32Array(gids) : null), gids.join(',')),
  setgid: (gid: number): void => void check('setgid', raw.setgid(gid), String(gid)),
  setuid: (uid: number): void => void check('setuid', raw.setuid(uid), String(uid)),
  chdir: (path: string): void => void check('chdir', raw.chdir(path), path),
  /** The effective and permitted sets; the bounding set is dropped separately (prctl). */
  capset: (mask: bigint): void => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
    const data = Buffer.alloc(24);
    const lo = Number(mask & 0xffffffffn);
    const hi = Number((mask >> 32n) & 0xffffffffn);
    data.writeUInt32LE(lo, 0); // effective
    data.writeUInt32LE(lo, 4); // permitted
    data.writeUInt32LE(hi, 12);
    data.writeUInt32LE(hi, 16);
    check('capset', raw.syscall(syscallNumber('capset'), 'void *', header, 'void *', data), mask.toString(16));
  },
  clearCloexec: (fd: number): void => {
    const flags = Number(raw.fcntl(fd, F_GETFD));
    if (flags >= 0) raw.fcntl(fd, F_SETFD, 'int', flags & ~FD_CLOEXEC);
  },
  setCloexec: (fd: number): void => {
    const flags = Number(raw.fcntl(fd, F_GETFD));
    if (flags >= 0) raw.fcntl(fd, F_SETFD, 'int', flags | FD_CLOEXEC);
  },
  open: (path: string, flags: number): number => check('open', raw.open(path, flags), path),
  /** Below zero on failure (errno set): callers decide whether a missing path matters. */
  openat: (dirfd: number, path: string, flags: number, mode: number): number => Number(raw.openat(dirfd, path, flags, 'uint32_t', mode)),
  close: (fd: number): void => void raw.close(fd),
  mkdirat: (dirfd: number, path: string, mode: number): number => Number(raw.mkdirat(dirfd, path, mode)),
  symlinkat: (target: string, dirfd: number, link: string): number => Number(raw.symlinkat(target, dirfd, link)),
  setrlimit: (resource: number, soft: number, hard: number): void =>
    void check('setrlimit', raw.setrlimit(resource, new BigUint64Array([BigInt(soft), BigInt(hard)])), `${resource}=${soft}:${hard}`),
  loopbackUp: (): void => {
    const sock = check('socket', raw.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'AF_INET');
    try {
      const ifr = Buffer.alloc(40);
      ifr.write('lo', 0);
      check('ioctl', raw.ioctl(sock, SIOCGIFFLAGS, 'void *', ifr), 'SIOCGIFFLAGS lo');
      ifr.writeInt16LE(ifr.readInt16LE(16) | IFF_UP, 16);
      check('ioctl', raw.ioctl(sock, SIOCSIFFLAGS, 'void *', ifr), 'SIOCSIFFLAGS lo');
    } finally {
      raw.close(sock);
    }
  },
  /** Replaces this process; returns only on failure, with errno. */
  execve: (path: string, argv: string[], envp: string[]): number => {
    raw.execve(path, [...argv, null], [...envp, null]);
    return lastErrno();
  },
  errno: (): number => lastErrno(),
};
