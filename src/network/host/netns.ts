/**
 * One persistent network namespace per container (a bind mount under
 * /run/netns, made by `ip netns add`): it outlives the container's processes,
 * so a restart keeps its interfaces and address, and the runtime joins it by
 * path. Removing it deletes its veths first, so their host ends are gone at
 * once rather than whenever the kernel gets round to destroying the namespace.
 */
import * as fs from 'node:fs';
import { ipBatchForce, ipJson, mustRun, run } from './commands.js';

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

export async function createNetns(name: string): Promise<string> {
  const path = sandboxPath(name);
  if (fs.existsSync(path)) return path;
  await mustRun('ip', ['netns', 'add', name]);
  await mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return path;
}

export async function removeNetns(name: string): Promise<void> {
  if (!fs.existsSync(sandboxPath(name))) return;
  const links = await ipJson<Array<{ ifname: string; link_type?: string; linkinfo?: { info_kind?: string } }>>(['-d', 'link', 'show'], name).catch(() => []);
  const veths = links.filter((l) => l.linkinfo?.info_kind === 'veth').map((l) => `link del ${l.ifname}`);
  await ipBatchForce(veths, name);
  await run('ip', ['netns', 'del', name]);
}

export function listNetns(): string[] {
  try {
    return fs.readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}
