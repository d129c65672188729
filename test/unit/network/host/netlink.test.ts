import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attr, defaultRoute, delLink, hairpinOn, ifinfomsg, linkUp, message, nested, newAddress, newBridge, newVeth, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, parseLinks, RTM_DELLINK, RTM_NEWLINK, setMtu, str } from '../../../../src/network/host/netlink.js';
import { mountsFrom } from '../../../../src/network/host/netns.js';

interface Attr {
  type: number;
  nested: boolean;
  payload: Buffer;
}

/** Reads attributes back, checking lengths and 4-byte alignment on the way. */
function attrs(b: Buffer): Attr[] {
  const out: Attr[] = [];
  let off = 0;
  while (off < b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2);
    assert.ok(len >= 4 && off + len <= b.length, `attribute length ${len} at ${off}`);
    out.push({ type: type & 0x3fff, nested: (type & 0x8000) !== 0, payload: b.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  assert.equal(off, b.length);
  return out;
}

const find = (list: Attr[], type: number): Attr => {
  const a = list.find((x) => x.type === type);
  assert.ok(a, `attribute ${type}`);
  return a;
};
const cstr = (b: Buffer): string => b.subarray(0, b.indexOf(0)).toString();

describe('rtnetlink messages', () => {
  it('attributes are length-prefixed and padded to 4 bytes; strings NUL-terminated', () => {
    assert.deepEqual([...attr(3, Buffer.from('ab'))], [6, 0, 3, 0, 0x61, 0x62, 0, 0]);
    assert.deepEqual([...str(3, 'eth0')], [9, 0, 3, 0, 0x65, 0x74, 0x68, 0x30, 0, 0, 0, 0]);
    assert.equal(nested(18, str(1, 'veth')).readUInt16LE(2), 18 | 0x8000);
  });

  it('the header carries length, type, request|ack flags and sequence', () => {
    const m = message(RTM_NEWLINK, NLM_F_CREATE, 7, ifinfomsg(0, true));
    assert.equal(m.readUInt32LE(0), m.length);
    assert.equal(m.readUInt16LE(4), RTM_NEWLINK);
    assert.equal(m.readUInt16LE(6), NLM_F_CREATE | NLM_F_REQUEST | NLM_F_ACK);
    assert.equal(m.readUInt32LE(8), 7);
    assert.equal(m.readUInt32LE(16 + 8), 1, 'IFF_UP in flags');
    assert.equal(m.readUInt32LE(16 + 12), 1, 'IFF_UP in change');
  });

  it('a veth: host end named, enslaved, up; the peer named, moved, with MAC and MTU', () => {
    const m = newVeth(3, { hostIfname: 'tscv0a', ifname: 'eth0', masterIndex: 42, netnsFd: 9, mac: '02:42:0a:05:00:02', mtu: 1400 });
    assert.equal(m.readUInt16LE(6), NLM_F_CREATE | NLM_F_EXCL | NLM_F_REQUEST | NLM_F_ACK);
    assert.equal(m.readUInt32LE(16 + 8) & 1, 1);
    const top = attrs(m.subarray(32));
    assert.equal(cstr(find(top, 3).payload), 'tscv0a');
    assert.equal(find(top, 10).payload.readUInt32LE(0), 42, 'IFLA_MASTER');
    assert.equal(find(top, 4).payload.readUInt32LE(0), 1400, 'IFLA_MTU');
    const info = attrs(find(top, 18).payload);
    assert.equal(cstr(find(info, 1).payload), 'veth');
    const data = attrs(find(info, 2).payload);
    const peer = find(data, 1);
    assert.ok(peer.nested);
    assert.equal(peer.payload.readUInt32LE(8), 0, 'the peer is not brought up before its other end exists');
    const peerAttrs = attrs(peer.payload.subarray(16));
    assert.equal(cstr(find(peerAttrs, 3).payload), 'eth0');
    assert.equal(find(peerAttrs, 28).payload.readUInt32LE(0), 9, 'IFLA_NET_NS_FD');
    assert.equal(find(peerAttrs, 1).payload.toString('hex'), '02420a050002');
    assert.equal(find(peerAttrs, 4).payload.readUInt32LE(0), 1400);
  });

  it('hairpin, link up by name, address and default route', () => {
    const h = hairpinOn(1, 5);
    assert.equal(h.readInt32LE(16 + 4), 5);
    const slave = attrs(find(attrs(h.subarray(32)), 18).payload);
    assert.equal(cstr(find(slave, 4).payload), 'bridge');
    assert.deepEqual([...find(attrs(find(slave, 5).payload), 4).payload], [1]);

    const up = linkUp(2, 'lo');
    assert.equal(up.readInt32LE(16 + 4), 0, 'found by name');
    assert.equal(cstr(find(attrs(up.subarray(32)), 3).payload), 'lo');

    const a = newAddress(3, 7, '10.5.0.2', 24);
    assert.deepEqual([...a.subarray(16, 20)], [2, 24, 0, 0]);
    assert.equal(a.readUInt32LE(20), 7);
    const aa = attrs(a.subarray(24));
    assert.deepEqual([...find(aa, 2).payload], [10, 5, 0, 2]);
    assert.deepEqual([...find(aa, 1).payload], [10, 5, 0, 2]);

    const r = defaultRoute(4, '10.5.0.1');
    assert.deepEqual([...r.subarray(16, 28)], [2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0]);
    assert.deepEqual([...find(attrs(r.subarray(28)), 5).payload], [10, 5, 0, 1]);
  });
});

describe('rtnetlink bridges and link dumps', () => {
  it('a bridge created up with its MTU; MTU and deletion by name', () => {
    const b = newBridge(1, 'tscbr-1', 1400);
    assert.equal(b.readUInt16LE(6), NLM_F_CREATE | NLM_F_EXCL | NLM_F_REQUEST | NLM_F_ACK);
    const top = attrs(b.subarray(32));
    assert.equal(cstr(find(top, 3).payload), 'tscbr-1');
    assert.equal(find(top, 4).payload.readUInt32LE(0), 1400);
    assert.equal(cstr(find(attrs(find(top, 18).payload), 1).payload), 'bridge');
    assert.equal(attrs(newBridge(1, 'x').subarray(32)).some((a) => a.type === 4 || a.type === 1), false, 'no MTU or address unless asked');
    assert.equal(find(attrs(newBridge(1, 'x', undefined, '02:58:4b:d1:92:46').subarray(32)), 1).payload.toString('hex'), '02584bd19246');
    assert.equal(find(attrs(setMtu(2, 'x', 9000).subarray(32)), 4).payload.readUInt32LE(0), 9000);
    const d = delLink(3, 'tscv1');
    assert.equal(d.readUInt16LE(4), RTM_DELLINK);
    assert.equal(cstr(find(attrs(d.subarray(32)), 3).payload), 'tscv1');
  });

  it('reads names and kinds out of a link dump, skipping what it does not know', () => {
    const link = (index: number, name: string, kind?: string): Buffer => {
      const info = ifinfomsg(index, false);
      const parts = [info, attr(13, Buffer.alloc(4)), str(3, name)];
      if (kind) parts.push(nested(18, str(1, kind), nested(2, attr(1, Buffer.alloc(8)))));
      return message(RTM_NEWLINK, 0, 1, ...parts);
    };
    const dump = Buffer.concat([link(1, 'lo'), link(7, 'eth0', 'veth'), link(9, 'eth1', 'veth'), message(3, 0, 1, Buffer.alloc(4))]);
    assert.deepEqual(parseLinks(dump), [
      { index: 1, name: 'lo', kind: undefined },
      { index: 7, name: 'eth0', kind: 'veth' },
      { index: 9, name: 'eth1', kind: 'veth' },
    ]);
    assert.deepEqual(parseLinks(dump.subarray(0, 20)), [], 'a truncated buffer gives what is whole');
  });
});

describe('netns mounts', () => {
  it('finds whether /run/netns is a shared mount and the namespaces mounted in it', () => {
    const info = [
      '42 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw',
      '600 42 0:4 net:[4026532500] /run/netns/tsc-0123456789ab rw shared:1 - nsfs nsfs rw',
      '601 27 0:4 net:[4026532501] /run/netnsx rw - nsfs nsfs rw',
    ].join('\n');
    const m = mountsFrom(info, '/run/netns');
    assert.equal(m.dirShared, true);
    assert.deepEqual([...m.inside], ['/run/netns/tsc-0123456789ab']);
    assert.equal(mountsFrom('42 27 254:0 /run/netns /run/netns rw,relatime - ext4 /dev/vda rw', '/run/netns').dirShared, false);
  });
});
