/**
 * rtnetlink messages for the steps of a container start, built by pure
 * functions (tested without root); src/sys/netlink.ts sends them.
 */


export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_NEWROUTE = 24;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REQUEST = 1;
export const NLM_F_ACK = 4;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

const IFF_UP = 1;
export const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, MASTER: 10, LINKINFO: 18, NET_NS_FD: 28 } as const;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_INFO_SLAVE_KIND = 4;
const IFLA_INFO_SLAVE_DATA = 5;
const VETH_INFO_PEER = 1;
const IFLA_BRPORT_MODE = 4;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_GATEWAY = 5;
const NLA_F_NESTED = 0x8000;

const align = (n: number): number => (n + 3) & ~3;

/** One attribute: type, payload, padded to 4 bytes. */
export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc(align(len));
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}
export const nested = (type: number, ...children: Buffer[]): Buffer => attr(type | NLA_F_NESTED, Buffer.concat(children));
export const str = (type: number, s: string): Buffer => attr(type, Buffer.from(`${s}\0`));
export function u32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return attr(type, b);
}
export const u8 = (type: number, v: number): Buffer => attr(type, Buffer.from([v]));
export const ipv4 = (type: number, address: string): Buffer => attr(type, Buffer.from(address.split('.').map(Number)));
export const mac = (type: number, address: string): Buffer => attr(type, Buffer.from(address.split(':').map((h) => parseInt(h, 16))));

export function ifinfomsg(index: number, up: boolean): Buffer {
  const b = Buffer.alloc(16); // family, pad, type, index, flags, change
  b.writeInt32LE(index, 4);
  if (up) {
    b.writeUInt32LE(IFF_UP, 8);
    b.writeUInt32LE(IFF_UP, 12);
  }
  return b;
}

export function message(type: number, flags: number, seq: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(16 + body.length, 0);
  head.writeUInt16LE(type, 4);
  head.writeUInt16LE(flags | NLM_F_REQUEST | NLM_F_ACK, 6);
  head.writeUInt32LE(seq, 8);
  return Buffer.concat([head, body]);
}

export interface VethMessage {
  hostIfname: string;
  ifname: string;
  masterIndex: number;
  netnsFd: number;
  mac?: string | undefined;
  mtu?: number | undefined;
}

/** A veth whose host end is enslaved and up and whose peer is created inside the sandbox under its final name. */
export function newVeth(seq: number, v: VethMessage): Buffer {
  const peer = [str(IFLA.IFNAME, v.ifname), u32(IFLA.NET_NS_FD, v.netnsFd)];
  if (v.mac) peer.push(mac(IFLA.ADDRESS, v.mac));
  if (v.mtu) peer.push(u32(IFLA.MTU, v.mtu));
  const attrs = [str(IFLA.IFNAME, v.hostIfname), u32(IFLA.MASTER, v.masterIndex)];
  if (v.mtu) attrs.push(u32(IFLA.MTU, v.mtu));
  attrs.push(nested(IFLA.LINKINFO, str(IFLA_INFO_KIND, 'veth'), nested(IFLA_INFO_DATA, attr(VETH_INFO_PEER | NLA_F_NESTED, Buffer.concat([ifinfomsg(0, false), ...peer])))));
  return message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, ifinfomsg(0, true), ...attrs);
}

/** Hairpin mode on a bridge port (`ip link set X type bridge_slave hairpin on`). */
export function hairpinOn(seq: number, index: number): Buffer {
  return message(RTM_NEWLINK, 0, seq, ifinfomsg(index, false), nested(IFLA.LINKINFO, str(IFLA_INFO_SLAVE_KIND, 'bridge'), nested(IFLA_INFO_SLAVE_DATA, u8(IFLA_BRPORT_MODE, 1))));
}

/** A bridge, up (`ip link add NAME [mtu M] [address MAC] up type bridge`). */
export function newBridge(seq: number, name: string, mtu?: number, address?: string): Buffer {
  const attrs = [str(IFLA.IFNAME, name)];
  if (mtu) attrs.push(u32(IFLA.MTU, mtu));
  if (address) attrs.push(mac(IFLA.ADDRESS, address));
  attrs.push(nested(IFLA.LINKINFO, str(IFLA_INFO_KIND, 'bridge')));
  return message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, ifinfomsg(0, true), ...attrs);
}

/** Sets the MTU of a link found by name. */
export function setMtu(seq: number, ifname: string, mtu: number): Buffer {
  return message(RTM_NEWLINK, 0, seq, ifinfomsg(0, false), str(IFLA.IFNAME, ifname), u32(IFLA.MTU, mtu));
}

export function delLink(seq: number, ifname: string): Buffer {
  return message(RTM_DELLINK, 0, seq, ifinfomsg(0, false), str(IFLA.IFNAME, ifname));
}

export function dumpLinks(seq: number): Buffer {
  return message(RTM_GETLINK, NLM_F_DUMP, seq, ifinfomsg(0, false));
}

export interface LinkInfo {
  index: number;
  name: string;
  kind: string | undefined;
}

/** Pure: name and kind of each RTM_NEWLINK message in a dump reply. */
export function parseLinks(buf: Buffer): LinkInfo[] {
  const out: LinkInfo[] = [];
  for (let off = 0; off + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    if (buf.readUInt16LE(off + 4) === RTM_NEWLINK && len >= 32) {
      const index = buf.readInt32LE(off + 20);
      let name = '';
      let kind: string | undefined;
      for (let a = off + 32; a + 4 <= off + len; ) {
        const alen = buf.readUInt16LE(a);
        const type = buf.readUInt16LE(a + 2) & 0x3fff;
        if (alen < 4) break;
        const payload = buf.subarray(a + 4, a + alen);
        if (type === IFLA.IFNAME) name = payload.subarray(0, Math.max(0, payload.indexOf(0))).toString();
        if (type === IFLA.LINKINFO) {
          for (let b = 0; b + 4 <= payload.length; ) {
            const blen = payload.readUInt16LE(b);
            if (blen < 4) break;
            if ((payload.readUInt16LE(b + 2) & 0x3fff) === IFLA_INFO_KIND) {
              const k = payload.subarray(b + 4, b + blen);
              kind = k.subarray(0, k.indexOf(0) < 0 ? k.length : k.indexOf(0)).toString();
            }
            b += align(blen);
          }
        }
        a += align(alen);
      }
      out.push({ index, name, kind });
    }
    off += align(len);
  }
  return out;
}

/** Sets a link up, found by name. */
export function linkUp(seq: number, ifname: string): Buffer {
  return message(RTM_NEWLINK, 0, seq, ifinfomsg(0, true), str(IFLA.IFNAME, ifname));
}

export function newAddress(seq: number, index: number, address: string, prefix: number): Buffer {
  const ifa = Buffer.alloc(8); // family, prefixlen, flags, scope, index
  ifa.writeUInt8(2, 0);
  ifa.writeUInt8(prefix, 1);
  ifa.writeUInt32LE(index, 4);
  return message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, seq, ifa, ipv4(IFA_LOCAL, address), ipv4(IFA_ADDRESS, address));
}

export function defaultRoute(seq: number, gateway: string): Buffer {
  const rtm = Buffer.from([2 /* AF_INET */, 0, 0, 0, 254 /* main */, 3 /* boot */, 0 /* universe */, 1 /* unicast */, 0, 0, 0, 0]);
  return message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, seq, rtm, ipv4(RTA_GATEWAY, gateway));
}

