/**
 * network_mode host | none | service:<name>, interface_name and mac_address,
 * /etc/hosts (extra_hosts with host-gateway) and /etc/resolv.conf (dns,
 * dns_search, dns_opt), end to end with busybox containers.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { EngineHarness } from '../../support/engine-harness.js';

const COMPOSE = (generation: string): string => `name: modes
services:
  main:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    hostname: mainhost
    environment: {GENERATION: "${generation}"}
    networks:
      default:
        interface_name: lan0
        mac_address: "02:42:ac:11:00:99"
    extra_hosts: ["gw.example:host-gateway", "static.example=10.1.2.3"]
    dns_search: [corp.example]
    dns_opt: [ndots:2]
  sidecar:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    network_mode: "service:main"
  hosty:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    network_mode: host
  lonely:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    network_mode: none
  custom-dns:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    dns: [192.0.2.53]
`;

describe('engine: network modes, interface names, /etc/hosts and resolv.conf', () => {
  let h: EngineHarness;
  const sh = (service: string, script: string): string => h.ok(['exec', '-T', service, 'sh', '-c', script]);
  const addresses = (service: string): string[] =>
    sh(service, "ip -4 -o addr | awk '{print $2, $4}'")
      .trim()
      .split('\n')
      .sort();
  const linkNames = (service: string): string[] =>
    sh(service, "ls /sys/class/net")
      .trim()
      .split(/\s+/)
      .sort();

  before(async () => {
    h = await EngineHarness.create('modes');
    h.writeCompose(COMPOSE('1'));
    h.ok(['up', '-d', '--wait']);
  });
  after(async () => {
    h.cli(['down']);
    await h.destroy();
  });

  it('interface_name and mac_address are honoured', () => {
    assert.deepEqual(linkNames('main'), ['lan0', 'lo']);
    assert.equal(sh('main', 'cat /sys/class/net/lan0/address').trim(), '02:42:ac:11:00:99');
  });

  it('network_mode service:X shares X network namespace, also after X is recreated', () => {
    const before = addresses('main');
    assert.equal(before.length, 2, before.join(','));
    assert.deepEqual(addresses('sidecar'), before);
    const sidecarId = h.ps().find((c) => c.Service === 'sidecar')?.ID;
    h.writeCompose(COMPOSE('2'));
    h.ok(['up', '-d', '--wait']);
    const list = h.ps();
    assert.ok(list.every((c) => c.State === 'running'), JSON.stringify(list.map((c) => [c.Service, c.State])));
    assert.notEqual(list.find((c) => c.Service === 'sidecar')?.ID, sidecarId, 'the sidecar was recreated with main');
    assert.deepEqual(addresses('sidecar'), addresses('main'));
  });

  it('network_mode host sees the host interfaces; none has only loopback', () => {
    const seen = linkNames('hosty');
    // The project's bridge and the host's own interfaces (the one of its default route, when it has one).
    assert.ok(seen.some((l) => l.startsWith('tscbr-')), seen.join(' '));
    const uplink = /\bdev (\S+)/.exec(spawnSync('ip', ['-o', 'route', 'show', 'default'], { encoding: 'utf8' }).stdout)?.[1];
    if (uplink) assert.ok(seen.includes(uplink), `${uplink} in ${seen.join(' ')}`);
    assert.ok(fs.existsSync(`/sys/class/net/${seen.find((l) => l.startsWith('tscbr-'))}`), 'that bridge is the host one');
    assert.deepEqual(linkNames('lonely'), ['lo']);
    assert.deepEqual(addresses('lonely'), ['lo 127.0.0.1/8']);
  });

  it('/etc/hosts has the container, extra_hosts and host-gateway; resolv.conf has dns_search, dns_opt and dns', () => {
    const hosts = sh('main', 'cat /etc/hosts');
    const gateway = sh('main', "ip route | awk '/default/ {print $3}'").trim();
    const own = addresses('main').find((a) => a.startsWith('lan0'))?.split(' ')[1]?.split('/')[0];
    assert.match(hosts, /127\.0\.0\.1\s+localhost/);
    assert.match(hosts, new RegExp(`${gateway.replaceAll('.', '\\.')}\\s+gw\\.example`));
    assert.match(hosts, /10\.1\.2\.3\s+static\.example/);
    assert.match(hosts, new RegExp(`${own?.replaceAll('.', '\\.')}\\s+mainhost`));
    const resolv = sh('main', 'cat /etc/resolv.conf');
    assert.match(resolv, /^search corp\.example$/m);
    assert.match(resolv, /^options ndots:2$/m);
    assert.match(resolv, new RegExp(`^nameserver ${gateway.replaceAll('.', '\\.')}$`, 'm'), 'the embedded DNS server on the gateway');
    assert.deepEqual(
      sh('custom-dns', 'cat /etc/resolv.conf')
        .split('\n')
        .filter((l) => l.startsWith('nameserver')),
      ['nameserver 192.0.2.53'],
    );
  });
});
