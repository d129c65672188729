/**
 * `cp` between the host and a container, both ways, with docker cp's rules:
 * a file to a file or into a directory, a directory to a new directory or
 * into an existing one, `dir/.` copies the contents; mode and times are
 * kept, owner and group with `archive` (`-a`) only (see CopyOptions);
 * symlinks are copied as links (the last component of the source is never
 * followed).
 *
 * Two views of a container's files:
 * - running (or a plain directory root): the kernel walks every path with
 *   openat2(RESOLVE_IN_ROOT) from the container's root (/proc/PID/root, so
 *   its mounts are seen). A symlink, absolute or `..`, resolves inside the
 *   root even while the container changes it under us.
 * - stopped with overlay layers: the union is computed here (upper over the
 *   lowers, whiteouts and opaque directories respected), symlinks resolved in
 *   scope component by component (Docker's FollowSymlinkInScope); layer files
 *   are opened with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; writes go to the
 *   upper layer (directories copied up, a whiteout replaced by an opaque
 *   directory).
 *
 * Nothing is ever written through a symlink: entries are made with O_EXCL |
 * O_NOFOLLOW or by name in a directory held open; owner, mode and times are
 * set on an fd, or with the l* calls for links.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SyscallError, TscComposeError } from '../errors/index.js';
import { getXattr, setXattr } from '../sys/fs.js';
import { AT_FDCWD, O, RESOLVE, fdPath, openat2, readlinkFd } from '../sys/fs.js';

/** Where a container's files are: a running container's pid, else its layers (or a plain root directory when it has no lowers). */
export interface ContainerFilesystem {
  /** The root directory of a container without image layers (bind rootfs). */
  rootfs?: string | undefined;
  /** The host pid of a process of the running container (its PID 1): its root is used. */
  pid?: number | undefined;
  /** Overlay lower directories, top layer first. */
  lowerDirs: string[];
  upper: string;
}

type Kind = 'file' | 'dir' | 'symlink' | 'other';

interface Meta {
  kind: Kind;
  mode: number;
  uid: number;
  gid: number;
  atime: Date;
  mtime: Date;
}

const MAX_LINKS = 40;
const IN_ROOT = RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS;
const BENEATH = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS;
const OPAQUE = 'trusted.overlay.opaque';

function kindOf(st: fs.Stats): Kind {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

function metaOf(st: fs.Stats): Meta {
  return { kind: kindOf(st), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime };
}

function notFound(where: string, p: string): TscComposeError {
  return new TscComposeError('TSC_CP_NOT_FOUND', `no such file or directory ${where}: ${p}`);
}

function conflict(message: string): TscComposeError {
  return new TscComposeError('TSC_CP_CONFLICT', message);
}

function isErrno(err: unknown, ...names: string[]): boolean {
  if (err instanceof SyscallError) return names.includes(err.errnoName);
  return names.includes((err as NodeJS.ErrnoException)?.code ?? '');
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Components of a container path, and whether its last one is followed anyway (a trailing `/` or `/.`). */
function splitPath(p: string): { parts: string[]; trailingDir: boolean } {
  return { parts: p.split('/').filter((x) => x !== '' && x !== '.'), trailingDir: /(^|\/)\.?$/.test(p) && p !== '' };
}

/** The directory that holds `p` and the name in it (`p` must name an entry, not `.`, `..` or `/`). */
function parentAndName(p: string): { parent: string; name: string } {
  const trimmed = p.replace(/\/+$/, '');
  const name = path.posix.basename(trimmed);
  if (name === '' || name === '.' || name === '..') throw new TscComposeError('TSC_CP_INVALID', `not a path to an entry: ${p}`);
  return { parent: path.posix.dirname(trimmed.startsWith('/') ? trimmed : `/${trimmed}`), name };
}

function copyBytes(from: number, to: number): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const n = fs.readSync(from, buf, 0, buf.length, null);
    if (n === 0) return;
    for (let off = 0; off < n; ) off += fs.writeSync(to, buf, off, n - off);
  }
}

/** Owner first (it clears set-id bits), then mode, then times; on an fd. */
function applyMetaFd(fd: number, meta: Meta): void {
  fs.fchownSync(fd, meta.uid, meta.gid);
  fs.fchmodSync(fd, meta.mode);
  fs.futimesSync(fd, meta.atime, meta.mtime);
}

/** Owner, mode and times of `name` in the directory `pfd`, never through a symlink. */
function applyMetaAt(pfd: number, name: string, meta: Meta): void {
  if (meta.kind === 'symlink') {
    fs.lchownSync(fdPath(pfd, name), meta.uid, meta.gid);
    fs.lutimesSync(fdPath(pfd, name), meta.atime, meta.mtime);
    return;
  }
  const fd = openat2(pfd, name, O.RDONLY | O.NOFOLLOW | O.NONBLOCK, BENEATH);
  try {
    applyMetaFd(fd, meta);
  } finally {
    fs.closeSync(fd);
  }
}

/** A container's files, every path a container path. */
abstract class ContainerView {
  /** The entry at `p`; its last component followed (inside the container) only with `follow`. */
  abstract stat(p: string, follow: boolean): Meta | undefined;
  abstract readdir(p: string): string[];
  abstract readlink(p: string): string;
  /** A readable fd of the regular file at `p`. */
  abstract openFile(p: string): number;
  /** The directory where `p` is made (an fd to close) and the name in it: the container's own, or the upper layer's. */
  protected abstract writableParent(p: string): { pfd: number; name: string };
  /** A directory made where a whiteout was: what lies below must not show through. */
  protected replacedWhiteout(_pfd: number, _name: string): void {}
  abstract close(): void;

  /** Makes the directory `p` unless one is there (or below, for layers); true when it is new. */
  makeDir(p: string): boolean {
    const current = this.stat(p, false);
    if (current && current.kind !== 'dir') throw conflict(`cannot overwrite non-directory ${p} with a directory`);
    const { pfd, name } = this.writableParent(p);
    try {
      const here = lstatOrUndefined(fdPath(pfd, name));
      if (here?.isDirectory()) return false;
      if (current) {
        // A directory of a lower layer only: copied up, its contents stay visible.
        fs.mkdirSync(fdPath(pfd, name), { mode: 0o700 });
        applyMetaAt(pfd, name, current);
        return false;
      }
      if (here) fs.unlinkSync(fdPath(pfd, name));
      fs.mkdirSync(fdPath(pfd, name), { mode: 0o700 });
      if (here) this.replacedWhiteout(pfd, name);
      return true;
    } finally {
      fs.closeSync(pfd);
    }
  }

  /** A new, empty, writable file at `p` (a non-directory there is replaced, never written through). */
  createFile(p: string): number {
    return this.replaceWith(p, (pfd, name) => openat2(pfd, name, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW, BENEATH, 0o600));
  }

  makeSymlink(p: string, target: string, meta: Meta): void {
    this.replaceWith(p, (pfd, name) => {
      fs.symlinkSync(target, fdPath(pfd, name));
      applyMetaAt(pfd, name, meta);
      return 0;
    });
  }

  setMeta(p: string, meta: Meta): void {
    const { pfd, name } = this.writableParent(p);
    try {
      applyMetaAt(pfd, name, meta);
    } finally {
      fs.closeSync(pfd);
    }
  }

  private replaceWith(p: string, make: (pfd: number, name: string) => number): number {
    const current = this.stat(p, false);
    if (current?.kind === 'dir') throw conflict(`cannot overwrite directory ${p} with a non-directory`);
    const { pfd, name } = this.writableParent(p);
    try {
      const here = lstatOrUndefined(fdPath(pfd, name));
      if (here?.isDirectory()) throw conflict(`cannot overwrite directory ${p} with a non-directory`);
      if (here) fs.unlinkSync(fdPath(pfd, name));
      return make(pfd, name);
    } finally {
      fs.closeSync(pfd);
    }
  }
}

/** A root the kernel resolves in: a running container's /proc/PID/root, or a plain root directory. */
class KernelRootView extends ContainerView {
  private readonly rootFd: number;

  constructor(root: string) {
    super();
    this.rootFd = openat2(AT_FDCWD, root, O.PATH | O.DIRECTORY, 0);
  }

  private open(p: string, flags: number): number | undefined {
    try {
      return openat2(this.rootFd, p === '' ? '/' : p, flags, IN_ROOT);
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  stat(p: string, follow: boolean): Meta | undefined {
    const fd = this.open(p, O.PATH | (follow ? 0 : O.NOFOLLOW));
    if (fd === undefined) return undefined;
    try {
      return metaOf(fs.fstatSync(fd));
    } finally {
      fs.closeSync(fd);
    }
  }

  readdir(p: string): string[] {
    const fd = this.open(p, O.RDONLY | O.DIRECTORY);
    if (fd === undefined) throw notFound('in the container', p);
    try {
      return fs.readdirSync(fdPath(fd));
    } finally {
      fs.closeSync(fd);
    }
  }

  readlink(p: string): string {
    const fd = this.open(p, O.PATH | O.NOFOLLOW);
    if (fd === undefined) throw notFound('in the container', p);
    try {
      return readlinkFd(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  openFile(p: string): number {
    const fd = this.open(p, O.RDONLY | O.NOFOLLOW | O.NONBLOCK);
    if (fd === undefined) throw notFound('in the container', p);
    if (!fs.fstatSync(fd).isFile()) {
      fs.closeSync(fd);
      throw conflict(`not a regular file: ${p}`);
    }
    return fd;
  }

  protected writableParent(p: string): { pfd: number; name: string } {
    const { parent, name } = parentAndName(p);
    const pfd = this.open(parent, O.PATH | O.DIRECTORY);
    if (pfd === undefined) throw notFound('in the container', parent);
    return { pfd, name };
  }

  close(): void {
    fs.closeSync(this.rootFd);
  }
}

type UnionEntry = { meta: Meta; layers: number[] };

/** A stopped container's overlay, computed from its layers: index 0 is the upper layer, then the lowers, top first. */
class LayeredView extends ContainerView {
  private readonly layerFds: number[] = [];

  constructor(private readonly layers: string[]) {
    super();
    try {
      for (const l of layers) this.layerFds.push(openat2(AT_FDCWD, l, O.PATH | O.DIRECTORY, 0));
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private at(layer: number, parts: string[]): string {
    return path.join(this.layers[layer] as string, ...parts);
  }

  private opaque(layer: number, parts: string[]): boolean {
    return getXattr(this.at(layer, parts), OPAQUE)?.toString() === 'y';
  }

  /**
   * The union's entry for a path without symlinks in it (`parts` from
   * resolve): for a directory, every layer whose directory is merged into it
   * (top first); for anything else, the one layer that provides it. Each
   * layer is only looked into below directories it has itself.
   */
  private lookup(parts: string[]): UnionEntry | undefined {
    let entry: UnionEntry = { meta: metaOf(fs.lstatSync(this.at(0, []))), layers: this.layers.map((_, i) => i) };
    for (let depth = 1; depth <= parts.length; depth++) {
      if (entry.meta.kind !== 'dir') return undefined;
      const prefix = parts.slice(0, depth);
      const merged: number[] = [];
      let top: fs.Stats | undefined;
      for (const layer of entry.layers) {
        const st = lstatOrUndefined(this.at(layer, prefix));
        if (!st) continue;
        // A whiteout hides what is below; a non-directory hides it too, and ends a directory's merge.
        if (isWhiteout(st)) break;
        if (!st.isDirectory()) {
          if (merged.length === 0) {
            top = st;
            merged.push(layer);
          }
          break;
        }
        if (merged.length === 0) top = st;
        merged.push(layer);
        if (this.opaque(layer, prefix)) break;
      }
      if (!top) return undefined;
      entry = { meta: metaOf(top), layers: merged };
    }
    return entry;
  }

  /** FollowSymlinkInScope: the path's components with every symlink replaced by its target, `/` and `..` kept inside the root. */
  private resolve(p: string, followLast: boolean): string[] {
    const split = splitPath(p);
    const follow = followLast || split.trailingDir;
    let pending = split.parts;
    const out: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending[0] as string;
      pending = pending.slice(1);
      if (part === '..') {
        out.pop();
        continue;
      }
      const entry = this.lookup([...out, part]);
      if (entry?.meta.kind === 'symlink' && (pending.length > 0 || follow)) {
        if (++links > MAX_LINKS) throw new TscComposeError('TSC_CP_LOOP', `too many levels of symbolic links in ${p}`);
        const target = fs.readlinkSync(this.at(entry.layers[0] as number, [...out, part]));
        if (target.startsWith('/')) out.length = 0;
        pending = [...splitPath(target).parts, ...pending];
        continue;
      }
      out.push(part);
    }
    return out;
  }

  stat(p: string, follow: boolean): Meta | undefined {
    return this.lookup(this.resolve(p, follow))?.meta;
  }

  readdir(p: string): string[] {
    const parts = this.resolve(p, true);
    const entry = this.lookup(parts);
    if (entry?.meta.kind !== 'dir') throw notFound('in the container', p);
    const names: string[] = [];
    const decided = new Set<string>();
    for (const layer of entry.layers) {
      for (const name of fs.readdirSync(this.at(layer, parts))) {
        if (decided.has(name)) continue;
        decided.add(name);
        const st = lstatOrUndefined(this.at(layer, [...parts, name]));
        if (st && !isWhiteout(st)) names.push(name);
      }
    }
    return names;
  }

  readlink(p: string): string {
    const parts = this.resolve(p, false);
    const entry = this.lookup(parts);
    if (entry?.meta.kind !== 'symlink') throw notFound('in the container', p);
    return fs.readlinkSync(this.at(entry.layers[0] as number, parts));
  }

  openFile(p: string): number {
    const parts = this.resolve(p, false);
    const entry = this.lookup(parts);
    if (!entry) throw notFound('in the container', p);
    if (entry.meta.kind !== 'file') throw conflict(`not a regular file: ${p}`);
    return openat2(this.layerFds[entry.layers[0] as number] as number, parts.join('/'), O.RDONLY | O.NOFOLLOW | O.NONBLOCK, BENEATH);
  }

  /** The parent in the upper layer, its directories copied up from the lowers (owner, mode, times) where missing. */
  protected writableParent(p: string): { pfd: number; name: string } {
    const { parent, name } = parentAndName(p);
    const parts = this.resolve(parent, true);
    const entry = this.lookup(parts);
    if (entry?.meta.kind !== 'dir') throw notFound('in the container', parent);
    for (let depth = 1; depth <= parts.length; depth++) {
      const prefix = parts.slice(0, depth);
      if (lstatOrUndefined(this.at(0, prefix))) continue;
      const dirMeta = this.lookup(prefix)?.meta as Meta;
      const pfd = openat2(this.layerFds[0] as number, prefix.slice(0, -1).join('/') || '.', O.PATH | O.DIRECTORY, BENEATH);
      try {
        fs.mkdirSync(fdPath(pfd, prefix.at(-1)), { mode: 0o700 });
        applyMetaAt(pfd, prefix.at(-1) as string, dirMeta);
      } finally {
        fs.closeSync(pfd);
      }
    }
    return { pfd: openat2(this.layerFds[0] as number, parts.join('/') || '.', O.PATH | O.DIRECTORY, BENEATH), name };
  }

  protected override replacedWhiteout(pfd: number, name: string): void {
    setXattr(fdPath(pfd, name), OPAQUE, Buffer.from('y'));
  }

  close(): void {
    for (const fd of this.layerFds) fs.closeSync(fd);
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.statSync(a);
    const y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function openView(container: ContainerFilesystem | number): ContainerView {
  const c: ContainerFilesystem = typeof container === 'number' ? { pid: container, lowerDirs: [], upper: '' } : container;
  if (c.pid !== undefined && c.pid > 0) {
    const root = `/proc/${c.pid}/root`;
    if (!fs.existsSync(root)) throw new TscComposeError('TSC_NOT_RUNNING', `process ${c.pid} of the container is gone`);
    // A reused pid of a host process would make the host's root look like the container's.
    if (sameFile(root, '/')) throw new TscComposeError('TSC_CP_NOT_CONTAINER', `process ${c.pid} does not run in a container root`);
    return new KernelRootView(root);
  }
  if (c.lowerDirs.length > 0) return new LayeredView([c.upper, ...c.lowerDirs]);
  const root = c.rootfs ?? c.upper;
  if (!root) throw new TscComposeError('TSC_CP_INVALID', 'a container without a pid needs its layers or its root directory');
  return new KernelRootView(root);
}

// ---- container → host --------------------------------------------------------

/**
 * How copied entries are owned: `archive` (`cp -a`) keeps the owner, group and
 * every mode bit; otherwise, as docker cp, they belong to whoever copies, and
 * set-user-ID and set-group-ID bits are not recreated on the host (a file a
 * container made setuid root would otherwise become a setuid-root file of
 * the host's).
 */
export interface CopyOptions {
  archive?: boolean | undefined;
}

function hostMeta(meta: Meta, options: CopyOptions): Meta {
  if (options.archive) return meta;
  return { ...meta, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: meta.mode & 0o1777 };
}

/**
 * A host directory to write into, held open: every entry below it is made and
 * opened by name in a directory fd reached with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, so a directory swapped for a symlink while we copy
 * (a container can do that in a bind mount it shares with the host) fails
 * the copy instead of leading root's writes out of the destination.
 */
function openHostDir(dirfd: number, name: string): number {
  return openat2(dirfd, name, O.PATH | O.DIRECTORY, BENEATH);
}

function lstatAt(dirfd: number, name: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(fdPath(dirfd, name));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

function copyOut(view: ContainerView, src: string, dirfd: number, name: string, options: CopyOptions): void {
  const found = view.stat(src, false);
  if (!found) return; // gone meanwhile
  const meta = hostMeta(found, options);
  const at = fdPath(dirfd, name);
  const existing = lstatAt(dirfd, name);
  if (meta.kind === 'dir') {
    if (existing && !existing.isDirectory()) throw conflict(`cannot overwrite non-directory ${name} with a directory`);
    if (!existing) fs.mkdirSync(at, { mode: 0o700 });
    const child = openHostDir(dirfd, name);
    try {
      for (const entry of view.readdir(src)) copyOut(view, path.posix.join(src, entry), child, entry, options);
      // After the contents: a read-only directory's mode would stop them, and they would change its times.
      if (!existing) applyMetaAt(dirfd, name, meta);
    } finally {
      fs.closeSync(child);
    }
    return;
  }
  if (meta.kind === 'other') return; // devices, fifos, sockets are not copied
  if (existing?.isDirectory()) throw conflict(`cannot overwrite directory ${name} with a non-directory`);
  if (existing) fs.unlinkSync(at);
  if (meta.kind === 'symlink') {
    fs.symlinkSync(view.readlink(src), at);
    applyMetaAt(dirfd, name, meta);
    return;
  }
  const from = view.openFile(src);
  try {
    const to = openat2(dirfd, name, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW, BENEATH, 0o600);
    try {
      copyBytes(from, to);
      applyMetaFd(to, meta);
    } finally {
      fs.closeSync(to);
    }
  } finally {
    fs.closeSync(from);
  }
}

function baseName(p: string): string {
  return path.posix.basename(path.posix.normalize(`/${p}`));
}

/**
 * docker cp CONTAINER:SRC DEST. `container` is a pid (a running container's
 * process) or where its files are. DEST's parent is the user's choice and is
 * resolved as they wrote it; everything below it is written beneath it only.
 */
export function copyFromContainer(container: ContainerFilesystem | number, srcPath: string, destHostPath: string, options: CopyOptions = {}): void {
  const view = openView(container);
  try {
    const contentsOnly = /(^|\/)\.$/.test(srcPath) || path.posix.normalize(`/${srcPath}`) === '/';
    const src = view.stat(srcPath, false);
    if (!src) throw notFound('in the container', srcPath);
    const dest = lstatOrUndefined(destHostPath) && fs.existsSync(destHostPath) ? fs.statSync(destHostPath) : undefined;
    let target: string;
    if (src.kind === 'dir') {
      if (dest && !dest.isDirectory()) throw conflict(`cannot copy a directory to a file: ${destHostPath}`);
      target = dest && !contentsOnly ? path.join(destHostPath, baseName(srcPath)) : destHostPath;
    } else {
      if (contentsOnly) throw conflict(`not a directory in the container: ${srcPath}`);
      if (dest?.isDirectory()) target = path.join(destHostPath, baseName(srcPath));
      else if (destHostPath.endsWith('/')) throw notFound('on the host (the destination directory)', destHostPath);
      else target = destHostPath;
    }
    const resolved = path.resolve(target);
    const parent = path.dirname(resolved);
    if (!fs.existsSync(parent)) throw notFound('on the host', path.dirname(target));
    const parentFd = openat2(AT_FDCWD, parent, O.PATH | O.DIRECTORY, 0);
    try {
      copyOut(view, srcPath, parentFd, path.basename(resolved), options);
    } finally {
      fs.closeSync(parentFd);
    }
  } finally {
    view.close();
  }
}

// ---- host → container --------------------------------------------------------

/** Without `archive`, entries copied into a container belong to its root (uid and gid 0), as with docker cp. */
function containerMeta(meta: Meta, options: CopyOptions): Meta {
  return options.archive ? meta : { ...meta, uid: 0, gid: 0 };
}

function copyIn(view: ContainerView, src: string, dest: string, options: CopyOptions): void {
  const st = fs.lstatSync(src);
  const meta = containerMeta(metaOf(st), options);
  if (meta.kind === 'dir') {
    const created = view.makeDir(dest);
    for (const name of fs.readdirSync(src)) copyIn(view, path.join(src, name), path.posix.join(dest, name), options);
    if (created) view.setMeta(dest, meta);
    return;
  }
  if (meta.kind === 'other') return;
  if (meta.kind === 'symlink') {
    view.makeSymlink(dest, fs.readlinkSync(src), meta);
    return;
  }
  const from = fs.openSync(src, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const to = view.createFile(dest);
    try {
      copyBytes(from, to);
      applyMetaFd(to, meta);
    } finally {
      fs.closeSync(to);
    }
  } finally {
    fs.closeSync(from);
  }
}

/** docker cp SRC CONTAINER:DEST. Writes go to the running container's root, or to a stopped one's upper layer. */
export function copyToContainer(container: ContainerFilesystem | number, srcHostPath: string, destPath: string, options: CopyOptions = {}): void {
  const src = lstatOrUndefined(srcHostPath);
  if (!src) throw notFound('on the host', srcHostPath);
  const view = openView(container);
  try {
    const contentsOnly = /(^|\/)\.$/.test(srcHostPath);
    const dest = view.stat(destPath, true);
    let target: string;
    if (src.isDirectory()) {
      if (dest && dest.kind !== 'dir') throw conflict(`cannot copy a directory to a non-directory: ${destPath}`);
      target = dest && !contentsOnly ? path.posix.join(destPath, path.basename(path.resolve(srcHostPath))) : destPath;
    } else {
      if (contentsOnly) throw conflict(`not a directory: ${srcHostPath}`);
      if (dest?.kind === 'dir') target = path.posix.join(destPath, path.basename(srcHostPath));
      else if (destPath.endsWith('/')) throw notFound('in the container (the destination directory)', destPath);
      else target = destPath;
    }
    copyIn(view, srcHostPath, target, options);
  } finally {
    view.close();
  }
}
