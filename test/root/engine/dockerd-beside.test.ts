/**
 * tsc-compose beside a running dockerd: Docker sets the FORWARD policy to DROP
 * and adds its own chains; our stack must still publish ports, resolve and
 * reach its services and get out through masquerading, pick a subnet that is
 * not Docker's, and on `down` take out exactly its own rules, leaving Docker's
 * (and a Docker container's published port) working.
 *
 * The test starts its own dockerd (private data and exec roots, socket and
 * pidfile in a temp dir, its default network on a bridge the test made) and
 * undoes everything dockerd did: the rules and chains it added, the FORWARD
 * policy, ip_forward. It skips when a Docker daemon already runs on the
 * machine (not ours to touch) or dockerd is not installed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EngineHarness, until } from '../../support/engine-harness.js';

const DOCKER = '/usr/bin/docker';
const DOCKER_BRIDGE = 'tscdkbr0';
const DOCKER_SUBNET_GW = '10.254.99.1/24';
const OUTSIDE_LINK = 'tscdkout0';
const OUTSIDE_NS = 'tscdk-outside';
const OUTSIDE_IP = '10.253.88.1';
const OUR_PORT = 18_590;
const DOCKER_PORT = 18_591;

const COMPOSE = `name: beside
services:
  web:
    image: busybox:test
    command: [sh, -c, "mkdir -p /www; echo served-beside-docker > /www/index.html; exec httpd -f -p 8080 -h /www"]
    stop_signal: SIGKILL
    ports: ["127.0.0.1:${OUR_PORT}:8080"]
  client:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`;

const running = (name: string): boolean => spawnSync('pgrep', ['-x', name]).status === 0;
const skipReason = !fs.existsSync('/usr/sbin/dockerd')
  ? 'dockerd is not installed'
  : running('dockerd') || running('containerd')
    ? 'a Docker daemon already runs on this machine'
    : false;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `-A` rules and chain names of iptables-save, per table. */
function firewall(): { rules: Set<string>; chains: Set<string>; policy: string } {
  const rules = new Set<string>();
  const chains = new Set<string>();
  let table = '';
  for (const line of sh('iptables-save', []).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) chains.add(`${table} ${line.slice(1).split(' ')[0]}`);
    else if (line.startsWith('-A ')) rules.add(`${table} ${line}`);
  }
  const policy = /-P FORWARD (\w+)/.exec(sh('iptables', ['-S', 'FORWARD']))?.[1] ?? 'ACCEPT';
  return { rules, chains, policy };
}

describe('engine beside a running dockerd', { skip: skipReason, timeout: 10 * 60_000 }, () => {
  let h: EngineHarness;
  let dockerd: ChildProcess | undefined;
  let root: string;
  let sock: string;
  let before0: ReturnType<typeof firewall>;
  let withDocker: ReturnType<typeof firewall>;
  let forward = '0';
  const docker = (...args: string[]): string => sh(DOCKER, ['-H', `unix://${sock}`, ...args]);
  const inside = (service: string, script: string): { code: number | null; stdout: string; stderr: string } => h.cli(['exec', '-T', service, 'sh', '-c', script]);

  before(async () => {
    before0 = firewall();
    forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    h = await EngineHarness.create('dockerd');
    root = path.join(h.root, 'docker');
    fs.mkdirSync(root);
    sock = path.join(root, 'docker.sock');
    // The bridge for Docker's default network, made (and removed) by the test, so dockerd creates no docker0.
    sh('ip', ['link', 'add', DOCKER_BRIDGE, 'type', 'bridge']);
    sh('ip', ['addr', 'add', DOCKER_SUBNET_GW, 'dev', DOCKER_BRIDGE]);
    sh('ip', ['link', 'set', DOCKER_BRIDGE, 'up']);
    // An "outside" host behind a veth that only this test uses.
    sh('ip', ['netns', 'add', OUTSIDE_NS]);
    sh('ip', ['link', 'add', OUTSIDE_LINK, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', OUTSIDE_NS]);
    sh('ip', ['addr', 'add', '10.253.88.2/30', 'dev', OUTSIDE_LINK]);
    sh('ip', ['link', 'set', OUTSIDE_LINK, 'up']);
    sh('ip', ['-n', OUTSIDE_NS, 'addr', 'add', `${OUTSIDE_IP}/30`, 'dev', 'eth0']);
    sh('ip', ['-n', OUTSIDE_NS, 'link', 'set', 'eth0', 'up']);
    const log = fs.openSync(path.join(root, 'dockerd.log'), 'a');
    dockerd = spawn(
      '/usr/sbin/dockerd',
      ['--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'exec'), '--pidfile', path.join(root, 'dockerd.pid'), '-H', `unix://${sock}`, '--bridge', DOCKER_BRIDGE],
      { stdio: ['ignore', log, log] },
    );
    await until('dockerd answers', () => spawnSync(DOCKER, ['-H', `unix://${sock}`, 'info'], { stdio: 'ignore' }).status === 0, 60_000, 200);
    docker('import', '--change', 'CMD ["sh"]', path.join(h.root, 'busybox.tar'), 'busybox:dockerd-beside');
    docker('run', '-d', '--name', 'tsc-beside-docker', '-p', `127.0.0.1:${DOCKER_PORT}:8080`, 'busybox:dockerd-beside', 'sh', '-c', 'mkdir -p /www; echo served-by-docker > /www/index.html; exec httpd -f -p 8080 -h /www');
    // dockerd sets the FORWARD policy to DROP only when it turns forwarding on itself; where forwarding
    // was on already, the test puts the policy where a fresh Docker host has it.
    sh('iptables', ['-P', 'FORWARD', 'DROP']);
    withDocker = firewall();
    h.writeCompose(COMPOSE);
  });

  after(async () => {
    h?.cli(['down']);
    if (sock && dockerd) spawnSync(DOCKER, ['-H', `unix://${sock}`, 'rm', '-f', 'tsc-beside-docker'], { stdio: 'ignore' });
    if (dockerd?.pid) {
      dockerd.kill('SIGTERM');
      await until('dockerd stopped', () => dockerd?.exitCode !== null || dockerd?.signalCode !== null, 60_000, 100).catch(() => dockerd?.kill('SIGKILL'));
    }
    // containerd started by dockerd, if it outlived it.
    spawnSync('pkill', ['-f', `containerd.*${root}`]);
    // What dockerd added to the firewall, and nothing else, goes.
    if (before0) {
      const now = firewall();
      for (const rule of now.rules) {
        if (before0.rules.has(rule) || rule.includes('TSC-')) continue;
        const [table, , ...spec] = rule.split(' ');
        spawnSync('sh', ['-c', `iptables -t ${table} -D ${spec.join(' ')}`]);
      }
      for (const chain of now.chains) {
        if (before0.chains.has(chain)) continue;
        const [table, name] = chain.split(' ');
        spawnSync('iptables', ['-t', table as string, '-F', name as string]);
        spawnSync('iptables', ['-t', table as string, '-X', name as string]);
      }
      spawnSync('iptables', ['-P', 'FORWARD', before0.policy]);
      fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
    }
    spawnSync('ip', ['link', 'del', OUTSIDE_LINK]);
    spawnSync('ip', ['netns', 'del', OUTSIDE_NS]);
    spawnSync('ip', ['link', 'del', DOCKER_BRIDGE]);
    if (root) {
      for (const m of fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((p) => p.startsWith(root)).reverse()) spawnSync('umount', ['-l', m]);
    }
    await h?.destroy();
  });

  it('dockerd runs, with its chains, under a DROP forward policy', () => {
    assert.equal(withDocker.policy, 'DROP');
    assert.ok(withDocker.chains.has('filter DOCKER'), 'Docker made its filter chain');
    assert.ok(withDocker.chains.has('nat DOCKER'), 'Docker made its nat chain');
  });

  it('our stack publishes, resolves, reaches and gets out beside it', async () => {
    h.ok(['up', '-d', '--wait']);
    const res = await fetch(`http://127.0.0.1:${OUR_PORT}/`);
    assert.equal(await res.text(), 'served-beside-docker\n');
    const byName = inside('client', 'wget -qO- http://web:8080/');
    assert.equal(byName.stdout, 'served-beside-docker\n', byName.stderr);
    const out = inside('client', `ping -c1 -W2 ${OUTSIDE_IP} >/dev/null && echo out`);
    assert.equal(out.stdout, 'out\n', `masqueraded out despite FORWARD DROP: ${out.stderr}`);
    const [net] = JSON.parse(h.ok(['network', 'inspect', 'beside_default'])) as Array<{ IPAM: { Subnet: string } }>;
    assert.ok(net && !net.IPAM.Subnet.startsWith('10.254.99.'), `our subnet ${net?.IPAM.Subnet} is not Docker's 10.254.99.0/24`);
    // Docker's container still answers while ours run.
    assert.equal(await (await fetch(`http://127.0.0.1:${DOCKER_PORT}/`)).text(), 'served-by-docker\n');
  });

  it('down takes out exactly our rules; Docker keeps its own and its container answers', async () => {
    h.ok(['down']);
    const after = firewall();
    assert.deepEqual([...after.rules].filter((r) => r.includes('TSC-')), [], 'no TSC- rule left');
    assert.deepEqual([...after.chains].filter((c) => c.includes('TSC-')), [], 'no TSC- chain left');
    for (const rule of withDocker.rules) if (!rule.includes('TSC-')) assert.ok(after.rules.has(rule), `Docker's rule is still there: ${rule}`);
    assert.equal(after.policy, 'DROP', 'the forward policy is left as Docker has it');
    assert.equal(await (await fetch(`http://127.0.0.1:${DOCKER_PORT}/`)).text(), 'served-by-docker\n');
  });
});
