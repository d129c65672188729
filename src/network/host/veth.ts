/**
 * Joins a sandbox to a bridge over rtnetlink, without a fork: a veth pair
 * created in one request with its host end already enslaved and up and its
 * peer already inside the sandbox under its final name (so the 15-character
 * limit is never hit by a temporary name); hairpin mode on the bridge port;
 * then, through a socket in the sandbox, address, link up and default route.
 */
import { SyscallError, TscComposeError } from '../../errors/index.js';
import { run } from './commands.js';
import { hostLinks } from './host-addresses.js';
import { defaultRoute, hairpinOn, linkUp, newAddress, newVeth } from './netlink.js';
import { ifIndex, ifIndexIn, Rtnl, withNetnsFd } from '../../sys/netlink.js';
import { netnsNameOf } from './netns.js';

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

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Pure: refuses what the kernel would refuse, with a message naming it. */
export function checkVeth(v: VethSpec): void {
  for (const n of [v.hostIfname, v.ifname, v.bridge]) if (!IFNAME.test(n)) throw new RangeError(`invalid interface name "${n}" (1-15 letters, digits, '.', '-', '_')`);
  if (v.mac !== undefined && !MAC.test(v.mac)) throw new RangeError(`invalid MAC address "${v.mac}"`);
  for (const a of [v.address, v.gateway]) if (!IPV4.test(a) || a.split('.').some((o) => Number(o) > 255)) throw new RangeError(`invalid IPv4 address "${a}"`);
  if (!Number.isInteger(v.prefix) || v.prefix < 0 || v.prefix > 32) throw new RangeError(`invalid prefix length ${v.prefix}`);
}

export async function attachVeth(sandboxPath: string, v: VethSpec): Promise<void> {
  checkVeth(v);
  const master = ifIndex(v.bridge);
  if (master === 0) throw new TscComposeError('TSC_NET_NO_BRIDGE', `bridge ${v.bridge} does not exist`);
  // A pair left from an interrupted attach is replaced; deleting one end deletes both.
  if (hostLinks().includes(v.hostIfname)) await run('ip', ['link', 'del', v.hostIfname]);
  const host = Rtnl.open();
  try {
    const create = (): void => withNetnsFd(sandboxPath, (fd) => host.request(`veth ${v.hostIfname}/${v.ifname}`, newVeth(host.nextSeq(), { ...v, masterIndex: master, netnsFd: fd })));
    try {
      create();
    } catch (err) {
      // The sandbox may still hold an interface of that name from an earlier attachment under another host name.
      if (!(err instanceof SyscallError && err.errnoName === 'EEXIST')) throw err;
      if ((await run('ip', ['-n', netnsNameOf(sandboxPath), 'link', 'del', v.ifname])).code !== 0) throw err;
      create();
    }
    // Hairpin: a container reaching its own published port through the host is DNAT'd back out of the port it came in
    // by the bridge (br_netfilter), which drops such frames unless the port allows it (Docker does the same without its proxy).
    host.request(`hairpin ${v.hostIfname}`, hairpinOn(host.nextSeq(), ifIndex(v.hostIfname)));
  } finally {
    host.close();
  }
  const inside = Rtnl.open(sandboxPath);
  try {
    const index = ifIndexIn(sandboxPath, v.ifname);
    inside.request('lo up', linkUp(inside.nextSeq(), 'lo'));
    inside.request(`address ${v.address}/${v.prefix}`, newAddress(inside.nextSeq(), index, v.address, v.prefix));
    inside.request(`${v.ifname} up`, linkUp(inside.nextSeq(), v.ifname));
    if (v.defaultRoute) inside.request(`default via ${v.gateway}`, defaultRoute(inside.nextSeq(), v.gateway));
  } finally {
    inside.close();
  }
}
