/**
 * The IPv4 subnets already used on the host (every address's subnet and every
 * route, Docker's and Podman's bridges included), so IPAM never hands out an
 * overlapping one; and the interfaces of the calling thread's namespace, read
 * from /proc (cheaper than a fork, right in a private namespace, unlike
 * /sys/class/net which shows the namespace sysfs was mounted in).
 */
import * as fs from 'node:fs';
import { ipJson } from './commands.js';

export interface IpAddrJson {
  ifname?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

export interface IpRouteJson {
  type?: string;
  dst?: string;
}

/** `a.b.c.d/len` with the host bits cleared. */
export function networkOf(address: string, prefix: number): string {
  const n = address.split('.').reduce((acc, o) => (acc * 256 + Number(o)) >>> 0, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join('.')}/${prefix}`;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Pure: subnets from `ip -j -4 addr` and `ip -j -4 route show table all`. */
export function subnetsFrom(addrs: IpAddrJson[], routes: IpRouteJson[]): string[] {
  const out = new Set<string>();
  for (const link of addrs) {
    for (const a of link.addr_info ?? []) {
      if (a.family !== undefined && a.family !== 'inet') continue;
      if (a.local && IPV4.test(a.local) && a.prefixlen !== undefined) out.add(networkOf(a.local, a.prefixlen));
    }
  }
  for (const r of routes) {
    // local/broadcast entries mirror addresses; default routes cover everything and say nothing about subnets.
    if (r.type === 'local' || r.type === 'broadcast' || r.type === 'multicast' || !r.dst || r.dst === 'default') continue;
    const [addr, len] = r.dst.split('/');
    if (!addr || !IPV4.test(addr)) continue;
    out.add(networkOf(addr, len === undefined ? 32 : Number(len)));
  }
  return [...out].sort();
}

export async function usedSubnets(): Promise<string[]> {
  const [addrs, routes] = await Promise.all([ipJson<IpAddrJson[]>(['-4', 'addr', 'show']), ipJson<IpRouteJson[]>(['-4', 'route', 'show', 'table', 'all'])]);
  return subnetsFrom(addrs, routes);
}

/** Pure: interface names from /proc/net/dev text. */
export function linkNamesFrom(procNetDev: string): string[] {
  return procNetDev
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]?.trim() ?? '')
    .filter((n) => n !== '');
}

/** Interfaces of this thread's network namespace. */
export function hostLinks(): string[] {
  return linkNamesFrom(fs.readFileSync('/proc/thread-self/net/dev', 'utf8'));
}
