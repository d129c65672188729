/**
 * Escape attempts at the host's loopback, from a container and from a
 * neighbour on the link (issue #12, wall 7). Each attempt is first shown to
 * work with tsc-compose's guard rule taken out, so the test cannot pass by
 * accident, then shown to fail with the guard in place.
 *
 * - From a bridged container: a packet to 127.0.0.1 sent through the
 *   gateway (what an AF_PACKET socket with the default CAP_NET_RAW can put on
 *   the wire; here the container's routes and route_localnet are changed from
 *   outside so plain nc sends the same frame)
 *   reaches a host service bound to 127.0.0.1 only, because publishing on
 *   127.0.0.1 needs route_localnet on the bridge. Guard: filter TSC-INPUT.
 * - From a neighbour netns linked to this host: a SYN to 127.0.0.1 at a port
 *   published on 127.0.0.1 is DNAT'd before routing and reaches the container.
 *   Guard: raw TSC-PREROUTING.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import { EngineHarness, until } from '../support/engine-harness.js';

const PUBLISHED = 18_590;
const HOST_PORT = 18_591;
const NEIGHBOUR_NS = 'tsctest-neighbour';
const NEIGHBOUR_LINK = 'tsctestnb0';
const HOST_SIDE_IP = '10.253.91.1';
const NEIGHBOUR_IP = '10.253.91.2';

const COMPOSE = `name: loopwall
services:
  web:
    image: busybox:test
    command: [sh, -c, "mkdir -p /www; echo served-by-web > /www/index.html; exec httpd -f -p 8080 -h /www"]
    stop_signal: SIGKILL
    ports: ["127.0.0.1:${PUBLISHED}:8080"]
  attacker:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`;

/**
 * In the attacker's namespace: put 127.x destinations on the wire and take
 * replies from 127.x (what an AF_PACKET socket does without asking), so a
 * plain client shows whether the packets got through.
 */
const ON_THE_WIRE = ['all.route_localnet', 'eth0.route_localnet', 'all.accept_local', 'eth0.accept_local'];

function run(cmd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The guard rules tsc-compose installed, as iptables-save lines (without `-A `). */
function guardRules(table: 'filter' | 'raw', chain: string): string[] {
  return must('iptables-save', ['-t', table])
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => l.slice(3));
}

/** Runs `attempt` with the guard rules taken out, then puts them back exactly as they were. */
async function withoutGuard<T>(table: 'filter' | 'raw', chain: string, attempt: () => Promise<T>): Promise<T> {
  const rules = guardRules(table, chain);
  assert.ok(rules.length > 0, `tsc-compose installed no rule in ${table} ${chain}`);
  for (const r of rules) must('sh', ['-c', `iptables -t ${table} -D ${r}`]);
  try {
    return await attempt();
  } finally {
    for (const r of rules) must('sh', ['-c', `iptables -t ${table} -A ${r}`]);
  }
}

describe('security: the host loopback is not reachable from containers or from the link', () => {
  let h: EngineHarness;
  let attackerPid = 0;
  let gateway = '';
  let listener: net.Server | undefined;
  const received: string[] = [];

  before(async () => {
    h = await EngineHarness.create('loopwall');
    h.writeCompose(COMPOSE);
    h.ok(['up', '-d', '--wait']);
    const attacker = h.ps().find((c) => c.Service === 'attacker');
    assert.ok(attacker);
    attackerPid = attacker.Pid;
    gateway = must('nsenter', [`--net=/proc/${attackerPid}/ns/net`, 'ip', '-4', 'route', 'show', 'default']).split(' ')[2] ?? '';
    assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/);
    // The container's way to 127.0.0.1 made to go through the gateway, as a raw socket would send it.
    for (const route of [['127.0.0.0/8'], ['local', '127.0.0.1']]) must('nsenter', [`--net=/proc/${attackerPid}/ns/net`, 'ip', 'route', 'del', ...route, 'dev', 'lo', 'table', 'local']);
    must('nsenter', [`--net=/proc/${attackerPid}/ns/net`, 'ip', 'route', 'add', '127.0.0.1/32', 'via', gateway]);
    // Lets the kernel put a 127.x destination on the wire: what an AF_PACKET frame does without asking.
    must('nsenter', [`--net=/proc/${attackerPid}/ns/net`, 'sysctl', '-qw', ...ON_THE_WIRE.map((k) => `net.ipv4.conf.${k}=1`)]);
    // A host service that listens on loopback only, as a developer's database often does.
    listener = net.createServer((socket) => socket.on('data', (d) => received.push(d.toString())));
    await new Promise<void>((resolve) => listener?.listen(HOST_PORT, '127.0.0.1', () => resolve()));
    // A neighbour on a link of its own, whose packets to 127.0.0.1 go to this host.
    must('ip', ['netns', 'add', NEIGHBOUR_NS]);
    must('ip', ['link', 'add', NEIGHBOUR_LINK, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NEIGHBOUR_NS]);
    must('ip', ['addr', 'add', `${HOST_SIDE_IP}/30`, 'dev', NEIGHBOUR_LINK]);
    must('ip', ['link', 'set', NEIGHBOUR_LINK, 'up']);
    must('ip', ['-n', NEIGHBOUR_NS, 'addr', 'add', `${NEIGHBOUR_IP}/30`, 'dev', 'eth0']);
    must('ip', ['-n', NEIGHBOUR_NS, 'link', 'set', 'eth0', 'up']);
    must('ip', ['-n', NEIGHBOUR_NS, 'link', 'set', 'lo', 'up']);
    for (const route of [['127.0.0.0/8'], ['local', '127.0.0.1']]) must('ip', ['-n', NEIGHBOUR_NS, 'route', 'del', ...route, 'dev', 'lo', 'table', 'local']);
    must('ip', ['-n', NEIGHBOUR_NS, 'route', 'add', '127.0.0.1/32', 'via', HOST_SIDE_IP]);
    must('ip', ['netns', 'exec', NEIGHBOUR_NS, 'sysctl', '-qw', ...ON_THE_WIRE.map((k) => `net.ipv4.conf.${k}=1`)]);
  });

  after(async () => {
    listener?.close();
    run('ip', ['link', 'del', NEIGHBOUR_LINK]);
    run('ip', ['netns', 'del', NEIGHBOUR_NS]);
    await h.destroy();
  });

  /** A connection from the container to 127.0.0.1:HOST_PORT; whether the host's loopback-only listener got its line. */
  async function containerReachesHostLoopback(tag: string): Promise<boolean> {
    h.cli(['exec', '-T', 'attacker', 'sh', '-c', `echo ${tag} | nc -w2 127.0.0.1 ${HOST_PORT}`], { timeoutMs: 10_000 });
    try {
      await until(`datagram ${tag}`, () => received.includes(`${tag}\n`), 1500, 50);
      return true;
    } catch {
      return false;
    }
  }

  /** A TCP connection from the neighbour to 127.0.0.1:PUBLISHED; whether the container's server answered. */
  function neighbourReachesPublishedLoopbackPort(): boolean {
    const r = run('ip', ['netns', 'exec', NEIGHBOUR_NS, 'bash', '-c', `timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/${PUBLISHED}; printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3; cat <&3'`]);
    return r.stdout.includes('served-by-web');
  }

  it('tried: a connection from a container to 127.0.0.1 through the gateway — it reaches the host only without the guard', async () => {
    assert.equal(await withoutGuard('filter', 'TSC-INPUT', () => containerReachesHostLoopback('unguarded')), true, 'the attempt works when the guard is out (the test is real)');
    assert.equal(await containerReachesHostLoopback('guarded'), false, 'stopped by filter TSC-INPUT: no packet from a bridge to 127/8 but replies');
  });

  it('tried: a SYN from a neighbour to a port published on 127.0.0.1 — it reaches the container only without the guard', async () => {
    assert.equal(await withoutGuard('raw', 'TSC-PREROUTING', async () => neighbourReachesPublishedLoopbackPort()), true, 'the attempt works when the guard is out');
    assert.equal(neighbourReachesPublishedLoopbackPort(), false, 'stopped by raw TSC-PREROUTING before NAT');
  });

  it('the port published on 127.0.0.1 still works from this host, and replies still come back', () => {
    const r = run('bash', ['-c', `timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/${PUBLISHED}; printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3; cat <&3'`]);
    assert.match(r.stdout, /served-by-web/);
  });
});
