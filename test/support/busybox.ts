/** A busybox root file system tarball from Debian's busybox-static, for real-kernel tests. */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as tar from 'tar-stream';

export function ensureBusybox(): string {
  const candidates = ['/bin/busybox', '/usr/bin/busybox'];
  let found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    spawnSync('apt-get', ['install', '-y', '-qq', 'busybox-static'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    found = candidates.find((p) => fs.existsSync(p));
  }
  if (!found) throw new Error('busybox-static is not installed and could not be installed');
  const ldd = spawnSync('ldd', [found], { encoding: 'utf8' });
  if (!/not a dynamic executable|statically linked/.test(`${ldd.stdout}${ldd.stderr}`)) throw new Error(`${found} is not static; install busybox-static`);
  return found;
}

export async function busyboxRootfsTar(): Promise<Buffer> {
  const busybox = ensureBusybox();
  const applets = spawnSync(busybox, ['--list-full'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  const dir = (name: string, mode = 0o755): void => {
    pack.entry({ name, type: 'directory', mode } as tar.Header);
  };
  const file = (name: string, content: string | Buffer, mode = 0o644): void => {
    pack.entry({ name, mode } as tar.Header, content);
  };
  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'var', 'var/log', 'proc', 'sys', 'dev', 'run']) dir(d);
  dir('tmp', 0o1777);
  file('bin/busybox', fs.readFileSync(busybox), 0o755);
  for (const applet of applets) {
    if (applet === 'bin/busybox') continue;
    pack.entry({ name: applet, type: 'symlink', linkname: '/bin/busybox' } as tar.Header);
  }
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  file('etc/group', 'root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n');
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}
