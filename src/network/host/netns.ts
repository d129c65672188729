/**
 * One persistent network namespace per container (a bind mount under
 * /run/netns, as `ip netns add` makes it, here without a fork): it outlives the container's processes,
 * so a restart keeps its interfaces and address, and the runtime joins it by
 * path. Removing it deletes its veths first, so their host ends are gone at
 * once rather than whenever the kernel gets round to destroying the namespace.
 */
import * as fs from 'node:fs';
import { SyscallError } from '../../errors/index.js';
import { mustRun } from './commands.js';
import { delLink, dumpLinks, linkUp, parseLinks } from './netlink.js';
import { createNetnsAt, removeNetnsAt, withRtnl } from '../../sys/netlink.js';

export const NETNS_DIR = '/run/netns';
export const SANDBOX_PREFIX = 'tsc-';

export function sandboxName(id: string): string {
  return `${SANDBOX_PREFIX}${id.slice(0, 12)}`;
}

export function sandboxPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** `ip -n` wants a name under /run/netns; the engine passes the path createSandbox returned. */
export function netnsNameOf(path: string): string {
  return path.startsWith(`${NETNS_DIR}/`) ? path.slice(NETNS_DIR.length + 1) : path;
}

/** Pure: from /proc/self/mountinfo, whether `dir` is a shared mount point and which mount points lie in it. */
export function mountsFrom(mountinfo: string, dir: string): { dirShared: boolean; inside: Set<string> } {
  let dirShared = false;
  const inside = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const point = fields[4];
    if (point === dir && / shared:\d+/.test(line)) dirShared = true;
    else if (point?.startsWith(`${dir}/`)) inside.add(point);
  }
  return { dirShared, inside };
}

function netnsMounts(): { dirShared: boolean; inside: Set<string> } {
  try {
    return mountsFrom(fs.readFileSync('/proc/self/mountinfo', 'utf8'), NETNS_DIR);
  } catch {
    return { dirShared: false, inside: new Set() };
  }
}

export async function createNetns(name: string): Promise<string> {
  const path = sandboxPath(name);
  const mounts = netnsMounts();
  if (mounts.inside.has(path)) return path;
  // A file without its mount is left from before a reboot (/run/netns may be on disk): start afresh.
  if (fs.existsSync(path)) fs.rmSync(path, { force: true });
  if (!mounts.dirShared) {
    // The first namespace on this boot: `ip` also makes /run/netns a shared mount.
    await mustRun('ip', ['netns', 'add', name]);
    await mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return path;
  }
  fs.writeFileSync(path, '', { flag: 'wx', mode: 0o444 });
  try {
    createNetnsAt(path, (rtnl) => rtnl.request('lo up', linkUp(rtnl.nextSeq(), 'lo')));
  } catch (err) {
    fs.rmSync(path, { force: true });
    throw err;
  }
  return path;
}

export function removeNetns(name: string): void {
  const path = sandboxPath(name);
  if (!fs.existsSync(path)) return;
  if (netnsMounts().inside.has(path)) {
    try {
      withRtnl((rtnl) => {
        for (const link of parseLinks(rtnl.dump('links', dumpLinks(rtnl.nextSeq())))) {
          if (link.kind !== 'veth') continue;
          try {
            rtnl.request(`delete ${link.name}`, delLink(rtnl.nextSeq(), link.name));
          } catch (err) {
            // Its other end went meanwhile, taking this one along.
            if (!(err instanceof SyscallError && err.errnoName === 'ENODEV')) throw err;
          }
        }
      }, path);
    } catch {
      // Removing the namespace below removes its veths too, only later.
    }
  }
  try {
    removeNetnsAt(path);
  } catch (err) {
    if (!(err instanceof SyscallError && err.errnoName === 'ENOENT')) throw err;
  }
}

export function listNetns(): string[] {
  try {
    return fs.readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}
