/**
 * File-system calls Node does not offer: openat2(2) with its RESOLVE_* rules
 * (the kernel walks the path, so a symlink planted by a container cannot
 * lead out, even while it changes), readlinkat on a descriptor, mknod for
 * overlay whiteouts, extended attributes, mount(2) in the engine's own mount
 * namespace for short-lived helper mounts.
 */
import { ERRNO } from '../errors/errno.js';
import { SyscallError } from '../errors/index.js';
import { AT_FDCWD, O, RESOLVE, S_IFCHR } from './constants.js';
import { check, fail, lastErrno, raw, syscallNumber } from './libc.js';

export { AT_FDCWD, O, RESOLVE };

/** An fd for `path` resolved from `dirfd` under the `resolve` rules; O_CLOEXEC is always added. */
export function openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags | O.CLOEXEC), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  // EAGAIN: RESOLVE_IN_ROOT saw a rename or mount race during the walk; the walk is safe to retry.
  for (let attempt = 0; ; attempt++) {
    const fd = Number(raw.syscall(syscallNumber('openat2'), 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', 24));
    if (fd >= 0) return fd;
    if (lastErrno() !== ERRNO.EAGAIN || attempt >= 32) fail('openat2', `\`${path}\``);
  }
}

/** The target of the symlink `fd` refers to (an O_PATH | O_NOFOLLOW fd of the link itself). */
export function readlinkFd(fd: number): string {
  const buf = Buffer.alloc(4096);
  const n = Number(raw.readlinkat(fd, '', buf, buf.length));
  if (n < 0) fail('readlinkat', `fd ${fd}`);
  return buf.toString('utf8', 0, n);
}

/** A path that names what `fd` refers to, for calls Node only offers by path (the kernel follows the fd, not a name). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** The 0/0 character device overlayfs reads as "deleted in this layer". */
export function makeWhiteout(path: string): void {
  if (raw.mknod(path, S_IFCHR | 0o000, 0) !== 0) fail('mknod', `whiteout \`${path}\``);
}

export function setXattr(path: string, name: string, value: Buffer): void {
  if (raw.lsetxattr(path, name, value, value.length, 0) !== 0) fail('lsetxattr', `\`${name}\` on \`${path}\``);
}

export function getXattr(path: string, name: string): Buffer | undefined {
  const buf = Buffer.alloc(4096);
  const n = Number(raw.lgetxattr(path, name, buf, buf.length));
  if (n < 0) {
    const errno = lastErrno();
    if (errno === ERRNO.ENODATA) return undefined;
    throw new SyscallError('lgetxattr', errno, `\`${name}\` on \`${path}\``);
  }
  return buf.subarray(0, n);
}

/** mount(2) in the engine's own (host) mount namespace: for short-lived helper mounts only. */
export function mountFs(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  check('mount', raw.mount(source, target, fstype, flags, data), `\`${fstype ?? source}\` on \`${target}\``);
}

export function unmountFs(target: string, flags = 0): void {
  check('umount2', raw.umount2(target, flags), `\`${target}\``);
}
