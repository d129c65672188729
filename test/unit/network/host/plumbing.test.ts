import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkNamesFrom, networkOf, subnetsFrom } from '../../../../src/network/host/host-addresses.js';
import { checkVeth } from '../../../../src/network/host/veth.js';
import { bridgeMac } from '../../../../src/network/host/bridge.js';
import { netnsNameOf, sandboxName } from '../../../../src/network/host/netns.js';

describe('host addresses', () => {
  it('networkOf clears host bits', () => {
    assert.equal(networkOf('172.17.0.1', 16), '172.17.0.0/16');
    assert.equal(networkOf('10.1.2.3', 32), '10.1.2.3/32');
    assert.equal(networkOf('10.1.2.3', 0), '0.0.0.0/0');
    assert.equal(networkOf('192.168.100.200', 20), '192.168.96.0/20');
  });

  it('subnets from addresses and routes, without local/broadcast entries and default routes', () => {
    const addrs = [
      { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      { ifname: 'docker0', addr_info: [{ family: 'inet', local: '172.17.0.1', prefixlen: 16 }] },
      { ifname: 'cni-podman1', addr_info: [{ family: 'inet', local: '10.89.0.1', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
    ];
    const routes = [
      { dst: 'default' },
      { dst: '10.89.0.0/24' },
      { dst: '192.168.50.0/24' },
      { dst: '203.0.113.7' },
      { type: 'local', dst: '10.89.0.1' },
      { type: 'broadcast', dst: '10.89.0.255' },
      { type: 'unreachable', dst: '198.51.100.0/24' },
    ];
    assert.deepEqual(subnetsFrom(addrs, routes), ['10.89.0.0/24', '127.0.0.0/8', '172.17.0.0/16', '192.168.50.0/24', '198.51.100.0/24', '203.0.113.7/32']);
  });

  it('link names from /proc/net/dev', () => {
    const text = 'Inter-|   Receive\n face |bytes\n    lo: 1 2 3\ntscbr-1a2b: 0 0\n  eth0: 5 6\n';
    assert.deepEqual(linkNamesFrom(text), ['lo', 'tscbr-1a2b', 'eth0']);
  });
});

describe('attachment checks', () => {
  it('a bridge MAC fixed by its name, locally administered and unicast', () => {
    assert.equal(bridgeMac('tscbr-1'), '02:58:4b:d1:92:46');
    assert.equal(bridgeMac('tscbr-1'), bridgeMac('tscbr-1'));
    assert.notEqual(bridgeMac('tscbr-2'), bridgeMac('tscbr-1'));
  });

  it('refuses names and addresses the kernel would refuse', () => {
    const ok = { bridge: 'tscbr-1', hostIfname: 'tscv0123456789a', ifname: 'eth0', address: '10.5.0.2', prefix: 24, gateway: '10.5.0.1', mac: '02:42:0a:05:00:02', defaultRoute: true };
    assert.doesNotThrow(() => checkVeth(ok));
    assert.throws(() => checkVeth({ ...ok, hostIfname: 'tscv0123456789abc' }), /invalid interface name/);
    assert.throws(() => checkVeth({ ...ok, ifname: 'eth 0' }), /invalid interface name/);
    assert.throws(() => checkVeth({ ...ok, mac: '02:42:0a:05:00' }), /invalid MAC/);
    assert.throws(() => checkVeth({ ...ok, address: '10.5.0.256' }), /invalid IPv4/);
    assert.throws(() => checkVeth({ ...ok, prefix: 33 }), /prefix/);
  });

  it('sandbox names', () => {
    assert.equal(sandboxName('0123456789abcdef'.repeat(4)), 'tsc-0123456789ab');
    assert.equal(netnsNameOf('/run/netns/tsc-0123456789ab'), 'tsc-0123456789ab');
  });
});
