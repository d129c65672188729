/**
 * `cp` between the host and a running container, through the container's
 * root as the kernel shows it (/proc/PID/root). Every path is resolved one
 * component at a time inside that root (Docker's FollowSymlinkInScope): an
 * absolute or `..` symlink in the container is re-rooted, never followed to
 * the host. Writes never go through a symlink the container planted: an
 * existing link at a destination is replaced, files are created O_EXCL.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TscComposeError } from '../errors/index.js';

const MAX_LINKS = 40;

/** The host path of `containerPath` inside `root`; the last component is followed only when `followLast`. */
export function resolveInRoot(root: string, containerPath: string, followLast: boolean): string {
  let pending = containerPath.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    if (part === '.') continue;
    const candidate = path.join(root, ...resolved, part);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(candidate);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new TscComposeError('TSC_CP_LOOP', 'invalid', `too many levels of symbolic links in ${containerPath}`);
      const target = fs.readlinkSync(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...target.split('/').filter((p) => p !== ''), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}

function containerRoot(pid: number): string {
  return `/proc/${pid}/root`;
}

/** docker cp semantics for the source: `dir/.` copies the contents, `dir` the directory itself. */
export function copyFromContainer(pid: number, srcPath: string, destHostPath: string): void {
  const root = containerRoot(pid);
  const contentsOnly = srcPath.endsWith('/.');
  const src = resolveInRoot(root, srcPath, false);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(src);
  } catch {
    throw new TscComposeError('TSC_CP_NOT_FOUND', 'not-found', `no such file or directory in the container: ${srcPath}`);
  }
  let dest = destHostPath;
  if (fs.existsSync(dest) && fs.statSync(dest).isDirectory() && !contentsOnly) dest = path.join(dest, path.basename(src));
  if (st.isDirectory()) {
    fs.mkdirSync(dest, { recursive: true });
    for (const entry of fs.readdirSync(src)) fs.cpSync(path.join(src, entry), path.join(dest, entry), { recursive: true, verbatimSymlinks: true, dereference: false, preserveTimestamps: true });
  } else {
    fs.cpSync(src, dest, { verbatimSymlinks: true, dereference: false, preserveTimestamps: true });
  }
}

function writeEntry(hostSrc: string, root: string, containerDest: string): void {
  const st = fs.lstatSync(hostSrc);
  const parent = resolveInRoot(root, path.posix.dirname(containerDest), true);
  if (!parent.startsWith(root)) throw new TscComposeError('TSC_CP_ESCAPE', 'permission', `refusing to write outside the container: ${containerDest}`);
  fs.mkdirSync(parent, { recursive: true });
  const target = path.join(parent, path.posix.basename(containerDest));
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(target);
  } catch {
    existing = undefined;
  }
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) fs.rmSync(target, { force: true });
    if (!existing || !existing.isDirectory()) fs.mkdirSync(target, { mode: st.mode & 0o7777 });
    for (const entry of fs.readdirSync(hostSrc)) writeEntry(path.join(hostSrc, entry), root, path.posix.join(containerDest, entry));
    return;
  }
  // Replace whatever is there (a planted symlink included) instead of writing through it.
  if (existing) fs.rmSync(target, { force: true, recursive: existing.isDirectory() });
  if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(hostSrc), target);
    return;
  }
  const fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, st.mode & 0o7777);
  try {
    fs.writeSync(fd, fs.readFileSync(hostSrc));
    fs.fchmodSync(fd, st.mode & 0o7777);
  } finally {
    fs.closeSync(fd);
  }
}

export function copyToContainer(pid: number, srcHostPath: string, destPath: string): void {
  const root = containerRoot(pid);
  if (!fs.existsSync(srcHostPath)) throw new TscComposeError('TSC_CP_NOT_FOUND', 'not-found', `no such file or directory: ${srcHostPath}`);
  const contentsOnly = srcHostPath.endsWith('/.');
  const destResolved = resolveInRoot(root, destPath, true);
  const destIsDir = fs.existsSync(destResolved) && fs.statSync(destResolved).isDirectory();
  const st = fs.statSync(srcHostPath);
  if (st.isDirectory() && contentsOnly) {
    for (const entry of fs.readdirSync(srcHostPath)) writeEntry(path.join(srcHostPath, entry), root, path.posix.join(destPath, entry));
    return;
  }
  const target = destIsDir ? path.posix.join(destPath, path.basename(path.resolve(srcHostPath))) : destPath;
  writeEntry(srcHostPath, root, target);
}
