/**
 * A busybox root file system for real-kernel tests, from Debian's static
 * busybox: /bin/busybox and every applet a symlink to it, a minimal
 * /etc/passwd and /etc/group. One description of the tree, written either
 * as a tarball (to import as an image) or into a temporary directory (a
 * rootfs for the process-boundary tests).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tar from 'tar-stream';

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** The host's static busybox, installed from busybox-static when missing. */
export function staticBusybox(): string {
  let found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) {
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'busybox-static'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    found = CANDIDATES.find((p) => fs.existsSync(p));
    if (!found) throw new Error(`busybox-static is not installed and could not be installed: ${r.stderr ?? r.error?.message}`);
  }
  const ldd = spawnSync('ldd', [found], { encoding: 'utf8' });
  if (!/not a dynamic executable|statically linked/.test(`${ldd.stdout}${ldd.stderr}`)) throw new Error(`${found} is not static; install busybox-static`);
  return found;
}

type TreeEntry =
  | { kind: 'dir'; name: string; mode: number }
  | { kind: 'file'; name: string; mode: number; content: Buffer | string }
  | { kind: 'symlink'; name: string; target: string };

function busyboxTree(busybox: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'var', 'var/log', 'proc', 'sys', 'dev', 'run']) entries.push({ kind: 'dir', name: d, mode: 0o755 });
  entries.push({ kind: 'dir', name: 'tmp', mode: 0o1777 });
  entries.push({ kind: 'file', name: 'bin/busybox', mode: 0o755, content: fs.readFileSync(busybox) });
  const applets = spawnSync(busybox, ['--list-full'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const applet of applets) if (applet !== 'bin/busybox') entries.push({ kind: 'symlink', name: applet, target: '/bin/busybox' });
  entries.push({ kind: 'file', name: 'etc/passwd', mode: 0o644, content: 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n' });
  entries.push({ kind: 'file', name: 'etc/group', mode: 0o644, content: 'root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n' });
  return entries;
}

/** The tree as an uncompressed tarball (for `image import`). */
export async function busyboxRootfsTar(): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of busyboxTree(staticBusybox())) {
    if (e.kind === 'dir') pack.entry({ name: e.name, type: 'directory', mode: e.mode });
    else if (e.kind === 'file') pack.entry({ name: e.name, mode: e.mode }, e.content);
    else pack.entry({ name: e.name, type: 'symlink', linkname: e.target });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export interface BusyboxRootfs {
  dir: string;
  /** Removes the directory (nothing may be mounted in it any more). */
  remove(): void;
}

/** The tree in a fresh directory under the system temp dir, its name starting with `prefix`. */
export function makeBusyboxRootfs(prefix = 'tsc-proc-rootfs-'): BusyboxRootfs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.chmodSync(dir, 0o755);
    for (const e of busyboxTree(staticBusybox())) {
      const target = path.join(dir, e.name);
      if (e.kind === 'dir') {
        fs.mkdirSync(target, { recursive: true });
        fs.chmodSync(target, e.mode);
      } else if (e.kind === 'file') {
        fs.writeFileSync(target, e.content);
        fs.chmodSync(target, e.mode);
      } else {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.symlinkSync(e.target, target);
      }
    }
  } catch (err) {
    remove();
    throw err;
  }
  return { dir, remove };
}
