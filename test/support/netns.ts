/**
 * Stand-ins for containers in the network tests: each test file moves its
 * main thread into a private network namespace first (unshare), so its
 * bridges, iptables chains, FORWARD policy and sysctls are its own and never
 * disturb the host or other suites running at the same time; /run/netns is
 * still shared, so only the sandboxes a test made are its to remove.
 * "Containers" are sandboxes with `ip netns exec` node servers and clients.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { libc } from '../../src/sys/container-init.js';

const CLONE_NEWNET = 0x40000000;

export function enterPrivateNetns(): void {
  libc.unshare(CLONE_NEWNET);
  sh('ip', ['link', 'set', 'lo', 'up']);
}

export function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export const newId = (): string => randomBytes(32).toString('hex');
export const hex = (n: number): string => randomBytes(n).toString('hex');

const SERVER = `
const net = require('node:net'), dgram = require('node:dgram');
const [tag, port] = process.argv.slice(1);
let n = 0; const ready = () => { if (++n === 2) process.stdout.write('ready\\n'); };
net.createServer((s) => s.end(tag + ' ' + s.remoteAddress)).listen(+port, '0.0.0.0', ready);
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(tag + ' ' + r.address, r.port, r.address)); u.bind(+port, '0.0.0.0', ready);
`;

/** A TCP and UDP server on `port` in the namespace answering "<tag> <client address>". */
export async function startServer(netns: string, tag: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', SERVER, tag, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`server in ${netns} exited ${code}: ${err}`)));
  });
  return child;
}

export function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const CLIENT = `
const net = require('node:net'), dgram = require('node:dgram');
const [host, port, proto, ms] = process.argv.slice(1);
const done = (s) => { process.stdout.write(s); process.exit(0); };
setTimeout(() => done('timeout'), +ms);
if (proto === 'tcp') {
  let out = ''; const c = net.connect(+port, host); c.on('data', (d) => (out += d)); c.on('end', () => done(out)); c.on('error', (e) => done('error ' + e.code));
} else {
  const u = dgram.createSocket('udp4'); u.on('message', (m) => done(String(m))); u.on('error', (e) => done('error ' + e.code));
  const send = () => u.send('hi', +port, host); send(); setInterval(send, 200);
}
`;

/** What a client in the namespace (or here, without one) gets from host:port: the reply, 'timeout' or 'error CODE'. */
export async function ask(netns: string | undefined, host: string, port: number, proto: 'tcp' | 'udp' = 'tcp', ms = 1500): Promise<string> {
  const argv = [process.execPath, '-e', CLIENT, host, String(port), proto, String(ms)];
  const [cmd, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((r) => child.once('exit', r));
  return out;
}

/** The same from this process (the "host"), without a fork. */
export function askHere(host: string, port: number, proto: 'tcp' | 'udp' = 'tcp', ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('timeout'), ms);
    let finish = (s: string): void => {
      clearTimeout(timer);
      finish = () => undefined;
      resolve(s);
    };
    if (proto === 'tcp') {
      let out = '';
      const c = net.connect(port, host);
      c.on('data', (d) => (out += d.toString()));
      c.on('end', () => finish(out));
      c.on('error', (e: NodeJS.ErrnoException) => finish(`error ${e.code}`));
      setTimeout(() => c.destroy(), ms).unref();
    } else {
      const u = dgram.createSocket('udp4');
      const send = (): void => u.send('hi', port, host);
      const every = setInterval(send, 200);
      let closed = false;
      const close = (s: string): void => {
        if (closed) return;
        closed = true;
        clearInterval(every);
        u.close();
        finish(s);
      };
      u.on('message', (m) => close(String(m)));
      u.on('error', (e: NodeJS.ErrnoException) => close(`error ${e.code}`));
      setTimeout(() => close('timeout'), ms).unref();
      send();
    }
  });
}

/** tsc things left in this private namespace and in /run/netns among `sandboxes`. */
export function leftovers(sandboxes: string[]): string[] {
  const out: string[] = [];
  const links = fs.readFileSync('/proc/thread-self/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]?.trim() ?? '');
  out.push(...links.filter((l) => l.startsWith('tsc')).map((l) => `link ${l}`));
  for (const s of sandboxes) if (fs.existsSync(`/run/netns/${s}`)) out.push(`netns ${s}`);
  const rules = sh('iptables-save', []).split('\n').filter((l) => /TSC-|tsc:/.test(l));
  out.push(...rules.map((r) => `rule ${r}`));
  return out;
}

/** A veth into another namespace playing "the outside world", at an address the test owns. */
export interface Outside {
  netns: string;
  hostIfname: string;
  hostAddress: string;
  address: string;
}

export function makeOutside(subnet24: string): Outside {
  const o: Outside = { netns: `tsc-o${hex(5)}`, hostIfname: `tsco${hex(5)}`, hostAddress: `${subnet24}.1`, address: `${subnet24}.2` };
  sh('ip', ['netns', 'add', o.netns]);
  sh('ip', ['-batch', '-'], `link add ${o.hostIfname} up type veth peer name eth0 netns ${o.netns}\naddr add ${o.hostAddress}/24 dev ${o.hostIfname}\n`);
  // No route back to any container subnet: only masqueraded traffic can be answered.
  sh('ip', ['-n', o.netns, '-batch', '-'], `link set lo up\naddr add ${o.address}/24 dev eth0\nlink set eth0 up\n`);
  return o;
}

export function removeOutside(o: Outside | undefined): void {
  if (!o) return;
  spawnSync('ip', ['link', 'del', o.hostIfname]);
  spawnSync('ip', ['netns', 'del', o.netns]);
}
