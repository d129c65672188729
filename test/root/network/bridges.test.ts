import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { NetworkHost, removeEverythingTsc, sandboxName } from '../../../src/network/host/index.js';
import type { Attachment, BridgeSpec } from '../../../src/network/host/index.js';
import { bridgeMac } from '../../../src/network/host/bridge.js';
import { ask, askHere, enterPrivateNetns, hex, leftovers, makeOutside, newId, removeOutside, sh, startServer, stopServer } from '../../support/netns.js';
import type { Outside } from '../../support/netns.js';

// The host's real ruleset (Docker's, Podman's), read before leaving the host's namespace, to run beside a copy of it.
const hostRuleset = sh('iptables-save', [])
  .split('\n')
  .filter((l) => !/TSC-|tsc:/.test(l) && !l.startsWith('#'))
  .join('\n');

enterPrivateNetns();

/** A restore input that empties every table of the host's ruleset and sets its built-in policies to ACCEPT. */
const resetInput = hostRuleset
  .split('\n')
  .filter((l) => l.startsWith('*') || l === 'COMMIT' || /^:\S+ (ACCEPT|DROP)/.test(l))
  .map((l) => l.replace(/^:(\S+) DROP/, ':$1 ACCEPT'))
  .join('\n');

const sandboxes: string[] = [];
const servers: ChildProcess[] = [];
const outsides: Outside[] = [];
const hosts: NetworkHost[] = [];

after(async () => {
  await Promise.all(servers.map((s) => stopServer(s)));
  for (const h of hosts) await h.close();
  for (const o of outsides) removeOutside(o);
  await removeEverythingTsc({ netns: (n) => sandboxes.includes(n) });
});

function bridge(n: number, internal = false): BridgeSpec {
  return { bridge: `tscbr-${hex(4)}`, subnet: `10.201.${n}.0/24`, gateway: `10.201.${n}.1`, internal };
}

async function container(host: NetworkHost, b: BridgeSpec, last: number, opts: { defaultRoute?: boolean } = {}): Promise<{ id: string; ns: string; address: string; path: string }> {
  const id = newId();
  const ns = sandboxName(id);
  sandboxes.push(ns);
  const path = await host.createSandbox(id);
  const prefix = Number(b.subnet.split('/')[1]);
  const address = b.subnet.replace(/\.0\/\d+$/, `.${last}`);
  const a: Attachment = { bridge: b.bridge, hostIfname: `tscv${hex(5)}`, ifname: 'eth0', address, prefix, gateway: b.gateway, defaultRoute: opts.defaultRoute ?? true };
  await host.attach(path, a);
  return { id, ns, address, path };
}

/** Rules, user chains and non-default policies: what a ruleset means, whether or not empty tables exist. */
const ruleset = (): string =>
  sh('iptables-save', [])
    .split('\n')
    .filter((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ACCEPT /.test(l)))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');

const reached = (reply: string, tag: string): boolean => reply.startsWith(`${tag} `);

for (const policy of ['ACCEPT', 'DROP'] as const) {
  describe(`with FORWARD policy ${policy}${policy === 'DROP' ? ' and Docker-like rules, as dockerd leaves them' : ''}`, () => {
    it('same bridge reaches, other bridges do not, internal has no way out, outbound is masqueraded; removal leaves the host as it was', async () => {
      const savedPolicy = /^:FORWARD (\w+)/m.exec(sh('iptables-save', ['-t', 'filter']))?.[1] ?? 'ACCEPT';
      const savedForward = sh('cat', ['/proc/sys/net/ipv4/ip_forward']).trim();
      if (policy === 'DROP') {
        // A copy of this machine's own rules (Docker's, Podman's CNI), plus a Docker-like chain in case there are none, and DROP.
        sh('iptables-restore', [], `${hostRuleset}\n`);
        sh('iptables-restore', ['--noflush'], '*filter\n:DOCKER-USER-T - [0:0]\n-A DOCKER-USER-T -j RETURN\n-A FORWARD -j DOCKER-USER-T\n-A FORWARD -o docker0 -j DROP\nCOMMIT\n');
        sh('iptables', ['-P', 'FORWARD', 'DROP']);
      }
      const before = ruleset();
      if (policy === 'DROP') for (const chain of hostRuleset.match(/^:\S+ - /gm) ?? []) assert.ok(before.includes(chain.trim()), `the host's ${chain} is in the copy`);
      const host = new NetworkHost();
      hosts.push(host);
      const running: ChildProcess[] = [];
      let outside: Outside | undefined;
      try {
        sh('sh', ['-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward']);
        outside = makeOutside('198.19.7');
        outsides.push(outside);
        const A = bridge(1);
        const B = bridge(2);
        const I = bridge(3, true);
        for (const b of [A, B, I]) await host.ensureBridge(b);
        assert.equal(sh('cat', ['/proc/sys/net/ipv4/ip_forward']).trim(), '1', 'forwarding turned on');
        assert.equal(sh('cat', [`/proc/sys/net/ipv4/conf/${A.bridge}/route_localnet`]).trim(), '1');
        const addr = JSON.parse(sh('ip', ['-j', 'addr', 'show', 'dev', A.bridge])) as Array<{ flags: string[]; addr_info: Array<{ local: string; prefixlen: number }> }>;
        assert.ok(addr[0]?.flags.includes('UP'));
        assert.equal((addr[0] as { address?: string } | undefined)?.address, bridgeMac(A.bridge), 'a fixed MAC, not the lowest port’s');
        assert.deepEqual(addr[0]?.addr_info.map((x) => `${x.local}/${x.prefixlen}`).filter((x) => x.startsWith('10.')), ['10.201.1.1/24']);

        const a1 = await container(host, A, 2);
        const a2 = await container(host, A, 3);
        const b1 = await container(host, B, 2);
        // A default route through the internal gateway, so it is the firewall, not a missing route, that keeps it in.
        const i1 = await container(host, I, 2);
        const i2 = await container(host, I, 3);
        for (const [c, tag] of [[a1, 'a1'], [b1, 'b1'], [i1, 'i1']] as const) running.push(await startServer(c.ns, tag, 7000));
        running.push(await startServer(outside.netns, 'out', 7000));
        servers.push(...running);

        const inside = JSON.parse(sh('ip', ['-n', a1.ns, '-j', 'addr', 'show'])) as Array<{ ifname: string; flags: string[]; addr_info: Array<{ local: string }> }>;
        assert.deepEqual(inside.map((l) => l.ifname).sort(), ['eth0', 'lo']);
        assert.ok(inside.every((l) => l.flags.includes('UP')), 'lo and eth0 up');
        assert.match(sh('ip', ['-n', a1.ns, 'route', 'show', 'default']), /default via 10\.201\.1\.1 dev eth0/);

        const [sameBridge, crossAB, crossBA, out, internalPeer, internalOut, intoInternal, outOfInternal, fromHost] = await Promise.all([
          ask(a2.ns, a1.address, 7000),
          ask(b1.ns, a1.address, 7000),
          ask(a1.ns, b1.address, 7000),
          ask(a1.ns, outside.address, 7000),
          ask(i2.ns, i1.address, 7000),
          ask(i1.ns, outside.address, 7000),
          ask(a1.ns, i1.address, 7000),
          ask(i1.ns, a1.address, 7000),
          askHere(a1.address, 7000),
        ]);
        assert.equal(sameBridge, `a1 ${a2.address}`, 'same bridge, source kept');
        assert.ok(!reached(crossAB, 'a1'), `B -> A must be dropped: ${crossAB}`);
        assert.ok(!reached(crossBA, 'b1'), `A -> B must be dropped: ${crossBA}`);
        assert.equal(out, `out ${outside.hostAddress}`, 'outbound masqueraded to the host address');
        assert.equal(internalPeer, `i1 ${i2.address}`, 'an internal network works inside');
        assert.ok(!reached(internalOut, 'out'), `internal must not get out: ${internalOut}`);
        assert.ok(!reached(intoInternal, 'i1'), `nothing enters an internal network: ${intoInternal}`);
        assert.ok(!reached(outOfInternal, 'a1'), `nothing leaves an internal network: ${outOfInternal}`);
        assert.equal(fromHost, 'a1 10.201.1.1', 'the host reaches containers');

        // An engine restart: a new NetworkHost ensuring the same bridges changes nothing and cuts nothing.
        const rules = sh('iptables-save', []).replace(/^#.*\n/gm, '');
        const again = new NetworkHost();
        hosts.push(again);
        for (const b of [A, B, I]) await again.ensureBridge(b);
        assert.equal(sh('iptables-save', []).replace(/^#.*\n/gm, ''), rules, 'ensureBridge is idempotent');
        assert.equal(await host.createSandbox(a1.id), a1.path, 'createSandbox is idempotent');
        assert.equal(await ask(a2.ns, a1.address, 7000), `a1 ${a2.address}`);

        const used = await host.usedSubnets();
        for (const s of ['10.201.1.0/24', '10.201.2.0/24', '10.201.3.0/24', '198.19.7.0/24']) assert.ok(used.includes(s), `${s} in ${used.join(', ')}`);

        await Promise.all(running.map((s) => stopServer(s)));
        for (const c of [a1, a2, b1, i1, i2]) {
          await host.removeSandbox(c.id);
          await host.removeSandbox(c.id);
        }
        assert.deepEqual(
          sh('ip', ['-o', 'link', 'show', 'type', 'veth']).split('\n').filter((l) => l.includes('tscv')),
          [],
          'the veths went with their sandboxes',
        );
        await host.removeBridge(A);
        assert.match(sh('iptables-save', []), /TSC-FORWARD/, 'chains stay while networks are left');
        assert.doesNotMatch(sh('iptables-save', []), new RegExp(A.bridge));
        await host.removeBridge(B);
        await host.removeBridge(I);
        await host.removeBridge(I);
        removeOutside(outside);
        outsides.splice(outsides.indexOf(outside), 1);
        assert.deepEqual(leftovers(sandboxes), []);
        assert.equal(ruleset(), before, "the last network's removal leaves the rules as they were, Docker's included");
      } finally {
        await Promise.all(running.map((s) => stopServer(s)));
        removeOutside(outside);
        await removeEverythingTsc({ netns: (n) => sandboxes.includes(n) });
        sh('iptables', ['-P', 'FORWARD', savedPolicy]);
        sh('sh', ['-c', `echo ${savedForward} > /proc/sys/net/ipv4/ip_forward`]);
        if (policy === 'DROP') sh('iptables-restore', [], `${resetInput}\n`);
      }
    });
  });
}

describe('idempotency and cleanup', () => {
  it('re-attaching replaces the pair; removeEverythingTsc removes every tsc link, sandbox and chain', async () => {
    const host = new NetworkHost();
    hosts.push(host);
    try {
      const A = { ...bridge(4), mtu: 1400 };
      await host.ensureBridge(A);
      const c = await container(host, A, 2);
      const hostIfname = `tscv${hex(5)}`;
      const a: Attachment = { bridge: A.bridge, hostIfname, ifname: 'eth0', address: '10.201.4.9', prefix: 24, gateway: A.gateway, mac: '02:42:0a:c9:04:09', mtu: 1400, defaultRoute: true };
      await host.attach(c.path, a);
      await host.attach(c.path, a);
      const eth0 = JSON.parse(sh('ip', ['-n', c.ns, '-j', 'addr', 'show', 'dev', 'eth0'])) as Array<{ address: string; mtu: number; addr_info: Array<{ local: string }> }>;
      assert.equal(eth0[0]?.address, '02:42:0a:c9:04:09');
      assert.equal(eth0[0]?.mtu, 1400);
      assert.deepEqual(eth0[0]?.addr_info.map((x) => x.local).filter((x) => x.startsWith('10.')), ['10.201.4.9']);
      assert.equal(sh('ip', ['-o', 'link', 'show', 'master', A.bridge]).trim().split('\n').length, 1, 'one veth on the bridge');
      // A second network: eth1, no second default route.
      const B = bridge(5);
      await host.ensureBridge(B);
      await host.attach(c.path, { bridge: B.bridge, hostIfname: `tscv${hex(5)}`, ifname: 'eth1', address: '10.201.5.9', prefix: 24, gateway: B.gateway, defaultRoute: false });
      assert.match(sh('ip', ['-n', c.ns, '-o', '-4', 'addr', 'show', 'dev', 'eth1']), /10\.201\.5\.9\/24/);
      assert.deepEqual(sh('ip', ['-n', c.ns, 'route', 'show', 'default']).trim().split('\n'), ['default via 10.201.4.1 dev eth0']);
      // A namespace file left without its mount (a reboot with /run on disk) is replaced, not handed out.
      const staleId = newId();
      sandboxes.push(sandboxName(staleId));
      fs.writeFileSync(`/run/netns/${sandboxName(staleId)}`, '');
      const stale = await host.createSandbox(staleId);
      assert.equal(sh('ip', ['-n', sandboxName(staleId), '-o', 'link', 'show', 'lo']).includes('UP'), true, 'a real namespace with lo up');
      assert.equal(stale, `/run/netns/${sandboxName(staleId)}`);
      await host.publish({ owner: c.id, protocol: 'tcp', hostIp: '', hostPort: 0, containerIp: '10.201.4.9', containerPort: 80 });
      await host.close();
      await removeEverythingTsc({ netns: (n) => sandboxes.includes(n) });
      assert.deepEqual(leftovers(sandboxes), []);
      await removeEverythingTsc({ netns: (n) => sandboxes.includes(n) });
    } finally {
      await removeEverythingTsc({ netns: (n) => sandboxes.includes(n) });
    }
  });
});
