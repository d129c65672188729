/**
 * A busybox root file system in a temporary directory, for real-kernel tests:
 * Debian's static busybox as /bin/busybox and every applet linked to it
 * (`busybox --install -s` run chrooted, so the links say /bin/busybox).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

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

export interface BusyboxRootfs {
  dir: string;
  /** Removes the directory (nothing may be mounted in it any more). */
  remove(): void;
}

/** A fresh busybox rootfs under the system temp dir, its name starting with `prefix`. */
export function makeBusyboxRootfs(prefix = 'tsc-proc-rootfs-'): BusyboxRootfs {
  const busybox = staticBusybox();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'proc', 'sys', 'dev', 'run', 'var/log']) {
      fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
    }
    fs.mkdirSync(path.join(dir, 'tmp'));
    fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
    fs.chmodSync(dir, 0o755);
    fs.copyFileSync(busybox, path.join(dir, 'bin/busybox'));
    fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
    const r = spawnSync('chroot', [dir, '/bin/busybox', '--install', '-s'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`busybox --install failed: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
    fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  } catch (err) {
    remove();
    throw err;
  }
  return { dir, remove };
}
