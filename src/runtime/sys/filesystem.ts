/**
 * File-system system calls Node does not offer (mknod for overlay whiteouts,
 * extended attributes), through koffi. Every failure becomes a SyscallError
 * carrying the syscall, errno and path.
 */
import koffi from 'koffi';
import * as os from 'node:os';
import { SyscallError } from '../../errors/index.js';

const S_IFCHR = 0o020000;

interface Libc {
  mknod: (path: string, mode: number, dev: number) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Libc['mknod'],
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as Libc['lsetxattr'],
    lgetxattr: lib.func('long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)') as Libc['lgetxattr'],
  };
  return libc;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.constants.errno).map(([name, num]) => [num as number, name]));

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

function fail(syscall: string, detail: string): never {
  const errno = koffi.errno();
  throw new SyscallError(syscall, errno, errnoName(errno), detail);
}

/** The 0/0 character device overlayfs reads as "deleted in this layer". */
export function makeWhiteout(path: string): void {
  if (load().mknod(path, S_IFCHR | 0o000, 0) !== 0) fail('mknod', `whiteout \`${path}\``);
}

export function setXattr(path: string, name: string, value: Buffer): void {
  if (load().lsetxattr(path, name, value, value.length, 0) !== 0) fail('lsetxattr', `\`${name}\` on \`${path}\``);
}

export function getXattr(path: string, name: string): Buffer | undefined {
  const lib = load();
  const buf = Buffer.alloc(4096);
  const n = lib.lgetxattr(path, name, buf, buf.length);
  if (n < 0) {
    const errno = koffi.errno();
    if (errnoName(errno) === 'ENODATA') return undefined;
    throw new SyscallError('lgetxattr', errno, errnoName(errno), `\`${name}\` on \`${path}\``);
  }
  return buf.subarray(0, n);
}

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_BIND = 0x1000;
export const MNT_DETACH = 0x2;

interface MountLibc {
  mount: (source: string, target: string, fstype: string | null, flags: number, data: string | null) => number;
  umount2: (target: string, flags: number) => number;
}

let mountLibc: MountLibc | undefined;

function loadMount(): MountLibc {
  if (mountLibc) return mountLibc;
  const lib = koffi.load('libc.so.6');
  mountLibc = {
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as MountLibc['mount'],
    umount2: lib.func('int umount2(const char *target, int flags)') as MountLibc['umount2'],
  };
  return mountLibc;
}

/** mount(2) in the engine's own (host) mount namespace: for short-lived helper mounts only. */
export function mountFs(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  if (loadMount().mount(source, target, fstype, flags, data) !== 0) fail('mount', `\`${fstype ?? source}\` on \`${target}\``);
}

export function unmountFs(target: string, flags = 0): void {
  if (loadMount().umount2(target, flags) !== 0) fail('umount2', `\`${target}\``);
}
