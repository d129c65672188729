import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { TscComposeError } from '../../../src/errors/index.js';
import { NetworkHost, removeEverythingTsc, sandboxName } from '../../../src/network/host/index.js';
import type { BridgeSpec } from '../../../src/network/host/index.js';
import { ask, askHere, enterPrivateNetns, hex, leftovers, newId, sh, startServer, stopServer } from '../../support/netns.js';

enterPrivateNetns();

const sandboxes: string[] = [];
const servers: ChildProcess[] = [];
let host = new NetworkHost();
const dummy = `tscd${hex(4)}`;
const HOST_ADDR = '198.18.9.1';
const P: BridgeSpec = { bridge: `tscbr-${hex(4)}`, subnet: '10.202.1.0/24', gateway: '10.202.1.1', internal: false };
const Q: BridgeSpec = { bridge: `tscbr-${hex(4)}`, subnet: '10.202.2.0/24', gateway: '10.202.2.1', internal: false };
const c1 = { id: newId(), address: '10.202.1.2' };
const c2 = { id: newId(), address: '10.202.1.3' };
const d1 = { id: newId(), address: '10.202.2.2' };
let savedPolicy = 'ACCEPT';

async function plumb(c: { id: string; address: string }, b: BridgeSpec): Promise<string> {
  const ns = sandboxName(c.id);
  sandboxes.push(ns);
  const path = await host.createSandbox(c.id);
  await host.attach(path, { bridge: b.bridge, hostIfname: `tscv${hex(5)}`, ifname: 'eth0', address: c.address, prefix: 24, gateway: b.gateway, defaultRoute: true });
  return ns;
}

const natRules = (): string[] => sh('iptables-save', ['-t', 'nat']).split('\n').filter((l) => l.includes('tsc:port:'));

before(async () => {
  savedPolicy = /^:FORWARD (\w+)/m.exec(sh('iptables-save', ['-t', 'filter']))?.[1] ?? 'ACCEPT';
  // As dockerd leaves it: published ports must work anyway.
  sh('iptables', ['-P', 'FORWARD', 'DROP']);
  // A host address the test owns (on a veth pair, as the kernel may lack the dummy driver): nothing is sent to addresses the test did not make.
  sh('ip', ['-batch', '-'], `link add ${dummy} up type veth peer name ${dummy}p\nlink set ${dummy}p up\naddr add ${HOST_ADDR}/24 dev ${dummy}\n`);
  await host.ensureBridge(P);
  await host.ensureBridge(Q);
  await plumb(c1, P);
  await plumb(c2, P);
  await plumb(d1, Q);
  servers.push(await startServer(sandboxName(c1.id), 'c1', 80));
});

after(async () => {
  await Promise.all(servers.map((s) => stopServer(s)));
  await host.close();
  spawnSync('ip', ['link', 'del', dummy]);
  await removeEverythingTsc({ netns: (n) => sandboxes.includes(n) });
  sh('iptables', ['-P', 'FORWARD', savedPolicy]);
  assert.deepEqual(leftovers(sandboxes), []);
});

describe('published ports', () => {
  it('TCP and UDP answer from 127.0.0.1, from a host address, from other containers through it, and in hairpin', async () => {
    assert.deepEqual(await host.publish({ owner: c1.id, protocol: 'tcp', hostIp: '', hostPort: 18080, containerIp: c1.address, containerPort: 80, service: 'web' }), { hostPort: 18080 });
    assert.deepEqual(await host.publish({ owner: c1.id, protocol: 'udp', hostIp: '', hostPort: 18053, containerIp: c1.address, containerPort: 80, service: 'web' }), { hostPort: 18053 });
    const [tcpLo, tcpHost, udpLo, udpHost, fromPeer, hairpin, fromOtherNetwork, udpFromPeer] = await Promise.all([
      askHere('127.0.0.1', 18080),
      askHere(HOST_ADDR, 18080),
      askHere('127.0.0.1', 18053, 'udp'),
      askHere(HOST_ADDR, 18053, 'udp'),
      ask(sandboxName(c2.id), HOST_ADDR, 18080),
      ask(sandboxName(c1.id), HOST_ADDR, 18080),
      ask(sandboxName(d1.id), HOST_ADDR, 18080),
      ask(sandboxName(c2.id), HOST_ADDR, 18053, 'udp'),
    ]);
    assert.equal(tcpLo, `c1 ${P.gateway}`, '127.0.0.1 is masqueraded into the bridge');
    assert.equal(tcpHost, `c1 ${HOST_ADDR}`);
    assert.equal(udpLo, `c1 ${P.gateway}`);
    assert.equal(udpHost, `c1 ${HOST_ADDR}`);
    assert.equal(fromPeer, `c1 ${P.gateway}`, 'a neighbour through the host address gets answers back through the host');
    assert.equal(hairpin, `c1 ${P.gateway}`, 'hairpin');
    assert.equal(fromOtherNetwork, `c1 ${P.gateway}`, 'a published port is public: other networks reach it through the host (masqueraded on the way)');
    assert.equal(udpFromPeer, `c1 ${P.gateway}`);
    // Isolation still holds for the container address itself.
    assert.ok(!(await ask(sandboxName(d1.id), c1.address, 80, 'tcp', 1000)).startsWith('c1'));
  });

  it('a host IP limits the port to that address; port 0 picks a free one', async () => {
    const lo = await host.publish({ owner: c1.id, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18081, containerIp: c1.address, containerPort: 80 });
    assert.equal(lo.hostPort, 18081);
    assert.equal(await askHere('127.0.0.1', 18081), `c1 ${P.gateway}`);
    assert.match(await askHere(HOST_ADDR, 18081), /^error ECONNREFUSED/);
    const random = await host.publish({ owner: c1.id, protocol: 'tcp', hostIp: '', hostPort: 0, containerIp: c1.address, containerPort: 80 });
    assert.ok(random.hostPort > 1024 && random.hostPort !== 18080, String(random.hostPort));
    assert.equal(await askHere('127.0.0.1', random.hostPort), `c1 ${P.gateway}`);
    const again = await host.publish({ owner: c1.id, protocol: 'tcp', hostIp: '', hostPort: 0, containerIp: c1.address, containerPort: 80 });
    assert.equal(again.hostPort, random.hostPort, 'the same random binding is the same port');
    const udpRandom = await host.publish({ owner: c1.id, protocol: 'udp', hostIp: '', hostPort: 0, containerIp: c1.address, containerPort: 80 });
    assert.equal(await askHere('127.0.0.1', udpRandom.hostPort, 'udp'), `c1 ${P.gateway}`);
  });

  it('a port in use fails with TSC_PORT_IN_USE naming address, port and service, and leaves no rule', async () => {
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(18090, '0.0.0.0', () => r()));
    try {
      await assert.rejects(host.publish({ owner: c2.id, protocol: 'tcp', hostIp: '', hostPort: 18090, containerIp: c2.address, containerPort: 80, service: 'api' }), (err: unknown) => {
        assert.ok(err instanceof TscComposeError);
        assert.equal(err.code, 'TSC_PORT_IN_USE');
        assert.equal(err.service, 'api');
        assert.match(err.message, /service "api".*0\.0\.0\.0:18090\/tcp/);
        return true;
      });
      await assert.rejects(host.publish({ owner: c2.id, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18090, containerIp: c2.address, containerPort: 80, service: 'api' }), /127\.0\.0\.1:18090\/tcp/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    // Another container asking for a port tsc already published.
    await assert.rejects(host.publish({ owner: c2.id, protocol: 'udp', hostIp: '', hostPort: 18053, containerIp: c2.address, containerPort: 80, service: 'api' }), (err: unknown) => {
      assert.ok(err instanceof TscComposeError && err.code === 'TSC_PORT_IN_USE' && /0\.0\.0\.0:18053\/udp/.test(err.message));
      return true;
    });
    await assert.rejects(host.publish({ owner: c2.id, protocol: 'tcp', hostIp: '::', hostPort: 18091, containerIp: c2.address, containerPort: 80, service: 'api' }), /service "api": cannot publish on ::: only IPv4/);
    assert.deepEqual(natRules().filter((l) => l.includes(c2.id)), []);
  });

  it('is idempotent, also across an engine restart; unpublish removes the rules and frees the ports', async () => {
    const rulesBefore = natRules();
    await host.publish({ owner: c1.id, protocol: 'tcp', hostIp: '', hostPort: 18080, containerIp: c1.address, containerPort: 80 });
    assert.deepEqual(natRules(), rulesBefore);
    // The engine restarts: its sockets are gone, its rules and containers stay.
    await host.close();
    assert.equal(await askHere('127.0.0.1', 18080), `c1 ${P.gateway}`, 'traffic does not depend on the engine');
    host = new NetworkHost();
    await host.publish({ owner: c1.id, protocol: 'tcp', hostIp: '', hostPort: 18080, containerIp: c1.address, containerPort: 80 });
    await host.publish({ owner: c1.id, protocol: 'udp', hostIp: '', hostPort: 18053, containerIp: c1.address, containerPort: 80 });
    assert.deepEqual(natRules().sort(), rulesBefore.sort(), 'no rule duplicated');
    const probe = net.createServer();
    const bind = await new Promise<string>((r) => {
      probe.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      probe.listen(18080, '0.0.0.0', () => r('bound'));
    });
    probe.close();
    assert.equal(bind, 'EADDRINUSE', 'reserved again');
    // A restarted container with a new address: the binding follows it.
    await host.publish({ owner: c1.id, protocol: 'tcp', hostIp: '', hostPort: 18080, containerIp: '10.202.1.77', containerPort: 80 });
    assert.equal(natRules().filter((l) => l.includes(':tcp:0.0.0.0:18080')).length, 1);
    assert.match(natRules().find((l) => l.includes(':tcp:0.0.0.0:18080')) ?? '', /10\.202\.1\.77:80/);

    await host.unpublish(c1.id);
    await host.unpublish(c1.id);
    assert.deepEqual(natRules(), []);
    assert.match(await askHere('127.0.0.1', 18080), /^error ECONNREFUSED/);
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(18080, '0.0.0.0', () => r()));
    await new Promise((r) => free.close(r));
  });
});
