/**
 * Joins a sandbox to a bridge: a veth pair created in one step with its host
 * end already enslaved and up and its peer already inside the sandbox under
 * its final name (so the 15-character limit is never hit by a temporary
 * name, hairpin on), then the address, link and default route inside: two
 * forks of `ip`.
 */
import { ipBatch, run } from './commands.js';
import { hostLinks } from './host-addresses.js';

export interface VethSpec {
  bridge: string;
  hostIfname: string;
  ifname: string;
  address: string;
  prefix: number;
  gateway: string;
  mac?: string | undefined;
  mtu?: number | undefined;
  defaultRoute: boolean;
}

const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;

/** Pure: the host-side and sandbox-side `ip -batch` lines. */
export function vethLines(netns: string, v: VethSpec): { host: string[]; inside: string[] } {
  for (const n of [v.hostIfname, v.ifname, v.bridge]) if (!IFNAME.test(n)) throw new RangeError(`invalid interface name "${n}" (1-15 characters)`);
  const mtu = v.mtu ? ` mtu ${v.mtu}` : '';
  const mac = v.mac ? ` address ${v.mac}` : '';
  const host = [
    `link add ${v.hostIfname}${mtu} master ${v.bridge} up type veth peer name ${v.ifname}${mac}${mtu} netns ${netns}`,
    // Hairpin: a container reaching its own published port through the host is DNAT'd back out of the port it came in
    // by the bridge (br_netfilter), which drops such frames unless the port allows it (Docker does the same without its proxy).
    `link set ${v.hostIfname} type bridge_slave hairpin on`,
  ];
  const inside = ['link set lo up', `addr add ${v.address}/${v.prefix} dev ${v.ifname}`, `link set ${v.ifname} up`];
  if (v.defaultRoute) inside.push(`route replace default via ${v.gateway} dev ${v.ifname}`);
  return { host, inside };
}

export async function attachVeth(netns: string, v: VethSpec): Promise<void> {
  const lines = vethLines(netns, v);
  // A pair left from an interrupted attach is replaced; deleting one end deletes both.
  if (hostLinks().includes(v.hostIfname)) await run('ip', ['link', 'del', v.hostIfname]);
  try {
    await ipBatch(lines.host);
  } catch (err) {
    // The sandbox may still hold an interface of that name from an earlier attachment under another host name.
    if ((await run('ip', ['-n', netns, 'link', 'del', v.ifname])).code !== 0) throw err;
    await ipBatch(lines.host);
  }
  await ipBatch(lines.inside, netns);
}
