/**
 * The README's example stack (Postgres + Redis + a Node app), same images for
 * each tool, served from a local registry as a Docker Hub mirror:
 * - `up -d` until the app answers HTTP 200 and every service is healthy, and
 *   `down` (the named volume kept, as a developer's day goes);
 * - a service-name lookup from inside the app container: p50, p99 and lookups
 *   per second of `dns.lookup('db')`, run by node in the container.
 * Against docker-compose 1.29 + Docker 20.10 (its own dockerd with the mirror;
 * the compose file loses only what 1.29 cannot read: `name:` and
 * `start_interval`). Run by hand as root: `npm run bench -- example`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { median, tempDir, which } from './lib.js';
import type { Row } from './lib.js';
import { BIN_PATH } from './locations.js';
import { serveTestImages } from '../test/support/test-images/serve.js';

const RUNS = Number(process.env['TSC_BENCH_RUNS'] ?? 3);
const EXAMPLE = path.resolve(path.dirname(BIN_PATH), '..', 'examples', 'node-postgres-redis');
const PORT = 8080;

/** Runs inside the app container: lookups of `db`, one at a time, then 32 in flight. */
const LOOKUP_SCRIPT = `
const dns = require('dns');
const one = () => new Promise((ok, ko) => { const t = process.hrtime.bigint(); dns.lookup('db', (e) => e ? ko(e) : ok(Number(process.hrtime.bigint() - t) / 1e3)); });
(async () => {
  for (let i = 0; i < 50; i++) await one();
  const times = [];
  for (let i = 0; i < 500; i++) times.push(await one());
  times.sort((a, b) => a - b);
  const t = Date.now(); let n = 0;
  await Promise.all(Array.from({ length: 32 }, async () => { while (Date.now() - t < 2000) { await one(); n++; } }));
  console.log(JSON.stringify({ p50: times[250], p99: times[495], perSecond: n / ((Date.now() - t) / 1000) }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

interface Tool {
  name: string;
  up: () => void;
  down: () => void;
  healthy: () => boolean;
  exec: (args: string[]) => string;
}

function must(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr ?? '').slice(-800)}`);
  return r.stdout;
}

async function answers(): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${PORT}/`);
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function measure(tool: Tool, rows: Map<string, Map<string, number>>): Promise<void> {
  const put = (metric: string, value: number): void => {
    if (!rows.has(metric)) rows.set(metric, new Map());
    rows.get(metric)?.set(tool.name, value);
  };
  const ups: number[] = [];
  const downs: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = process.hrtime.bigint();
    tool.up();
    const deadline = Date.now() + 180_000;
    while (!((await answers()) && tool.healthy())) {
      if (Date.now() > deadline) throw new Error(`${tool.name}: the example stack did not get healthy`);
      await sleep(10);
    }
    const up = Number(process.hrtime.bigint() - t) / 1e6;
    if (i === RUNS) break;
    const d = process.hrtime.bigint();
    tool.down();
    const down = Number(process.hrtime.bigint() - d) / 1e6;
    // The first round pulls the images: a warm-up.
    if (i > 0) {
      ups.push(up);
      downs.push(down);
    }
  }
  put('example stack: up -d until HTTP 200 and all healthy', median(ups));
  put('example stack: down', median(downs));
  const lookup = JSON.parse(tool.exec(['node', '-e', LOOKUP_SCRIPT]).trim().split('\n').pop() as string) as { p50: number; p99: number; perSecond: number };
  put('service-name lookup from the app container: p50 (us)', lookup.p50);
  put('service-name lookup from the app container: p99 (us)', lookup.p99);
  put('service-name lookups per second from the app container, 32 in flight (/s)', lookup.perSecond);
  tool.down();
}

function startDockerd(dir: string, mirror: string): { stop: () => void; env: NodeJS.ProcessEnv } {
  const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  const policy = /-P FORWARD (\w+)/.exec(spawnSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }).stdout)?.[1] ?? 'ACCEPT';
  fs.mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'docker.sock');
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
  const host = mirror.replace(/^https?:\/\//, '');
  const dockerd: ChildProcess = spawn(
    'dockerd',
    ['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'dockerd.pid'), '-H', `unix://${sock}`, '--registry-mirror', mirror, '--insecure-registry', host],
    { stdio: ['ignore', log, log] },
  );
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
  for (let i = 0; i < 150 && spawnSync('/usr/bin/docker', ['info'], { stdio: 'ignore', env }).status !== 0; i++) spawnSync('sleep', ['0.2']);
  return {
    env,
    stop: () => {
      dockerd.kill('SIGTERM');
      for (let i = 0; i < 100 && dockerd.exitCode === null && dockerd.signalCode === null; i++) spawnSync('sleep', ['0.2']);
      spawnSync('pkill', ['-f', `containerd.*${dir}`]);
      fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
      spawnSync('iptables', ['-P', 'FORWARD', policy]);
      for (const m of fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((p) => p.startsWith(dir)).reverse()) spawnSync('umount', ['-l', m]);
    },
  };
}

export async function exampleBenchmarks(): Promise<Row[]> {
  const served = await serveTestImages({ images: ['postgres', 'redis', 'node'], log: (l) => process.stderr.write(`${l}\n`) });
  const mirror = `http://${served.registry.host}`;
  const base = tempDir('tsc-bench-example');
  const rows = new Map<string, Map<string, number>>();
  try {
    const ours = path.join(base, 'ours');
    fs.cpSync(EXAMPLE, ours, { recursive: true });
    const env = { ...process.env, TSC_COMPOSE_ROOT: path.join(base, 'state'), TSC_COMPOSE_DNS_UPSTREAMS: '', TSC_COMPOSE_TIMELINE: '0', TSC_COMPOSE_REGISTRY_MIRRORS: mirror };
    const cli = (args: string[]): string => must(process.execPath, [BIN_PATH, '--progress', 'quiet', ...args], { cwd: ours, env });
    try {
      await measure(
        {
          name: 'tsc-compose',
          up: () => cli(['up', '-d']),
          down: () => cli(['down']),
          healthy: () =>
            cli(['ps', '--format', 'json'])
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as { State: string; Health: string })
              .every((c) => c.State === 'running' && (c.Health === '' || c.Health === 'healthy')),
          exec: (args) => cli(['exec', '-T', 'app', ...args]),
        },
        rows,
      );
    } finally {
      spawnSync(process.execPath, [BIN_PATH, 'down', '-v'], { cwd: ours, env });
      spawnSync(process.execPath, [BIN_PATH, 'engine', 'stop'], { cwd: ours, env });
    }

    const peers = (process.env['TSC_BENCH_PEERS'] ?? 'docker').split(',');
    if (peers.includes('docker') && which('dockerd') && which('docker-compose') && spawnSync('pgrep', ['-x', 'dockerd']).status !== 0) {
      const dir = path.join(base, 'dc');
      fs.cpSync(EXAMPLE, dir, { recursive: true });
      const text = fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8').replace(/^name: .*\n/m, '').replace(/\n\s+start_interval: .*/g, '');
      fs.writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "2.4"\n${text}`);
      fs.rmSync(path.join(dir, 'compose.yaml'));
      const docker = startDockerd(path.join(base, 'docker'), mirror);
      const dc = (args: string[]): string => must('docker-compose', ['-p', 'nodepgredis', ...args], { cwd: dir, env: docker.env });
      try {
        await measure(
          {
            name: 'docker-compose',
            up: () => dc(['up', '-d']),
            down: () => dc(['down']),
            healthy: () => {
              const out = must('/usr/bin/docker', ['ps', '--filter', 'label=com.docker.compose.project=nodepgredis', '--format', '{{.Status}}'], { env: docker.env });
              const lines = out.split('\n').filter(Boolean);
              return lines.length === 3 && lines.every((l) => /\(healthy\)/.test(l));
            },
            exec: (args) => dc(['exec', '-T', 'app', ...args]),
          },
          rows,
        );
      } catch (err) {
        process.stderr.write(`docker-compose measurement failed: ${(err as Error).message}\n`);
      } finally {
        spawnSync('docker-compose', ['-p', 'nodepgredis', 'down', '-v', '-t', '0'], { cwd: dir, env: docker.env });
        docker.stop();
      }
    } else {
      process.stderr.write('docker-compose not measured (not installed, not asked for, or a dockerd already runs)\n');
    }
  } finally {
    await served.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
  const out: Row[] = [];
  for (const [metric, byTool] of rows) {
    const oursValue = byTool.get('tsc-compose');
    if (oursValue === undefined) continue;
    const unit = metric.includes('(us)') ? 'us' : metric.includes('(/s)') ? '/s' : 'ms';
    const peer = byTool.get('docker-compose');
    out.push({ metric, ours: oursValue, peerName: peer === undefined ? 'none measured' : 'docker-compose', peer, unit });
  }
  return out;
}
