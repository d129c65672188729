/** Kernel constants the sys layer and its callers share (Linux UAPI values). */

/** System call numbers that differ between architectures (openat2 and newer share one numbering). */
const SYSCALLS = {
  x64: { pivot_root: 155, capset: 126, openat2: 437 },
  arm64: { pivot_root: 41, capset: 91, openat2: 437 },
} as const;

function syscallsOfThisMachine(): (typeof SYSCALLS)[keyof typeof SYSCALLS] {
  const arch = process.arch;
  if (arch === 'x64' || arch === 'arm64') return SYSCALLS[arch];
  // Refused at first use rather than at import, so pure code on another architecture still loads.
  return new Proxy(SYSCALLS.x64, {
    get(): never {
      throw new Error(`tsc-compose's system calls are defined for x86_64 and aarch64, not ${arch}`);
    },
  });
}

export const SYS = syscallsOfThisMachine();

export const O = {
  RDONLY: 0,
  WRONLY: 0o1,
  RDWR: 0o2,
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

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  DIRSYNC: 0x80,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
} as const;

export const MNT_DETACH = 0x2;

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export const S_IFCHR = 0o020000;

export const AF_INET = 2;
export const AF_NETLINK = 16;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
