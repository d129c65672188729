/**
 * The engine against docker-compose (+ dockerd) and podman-compose (+ podman)
 * in one run, the same busybox image loaded into each: `up` of a 3-service
 * stack with a healthcheck chain until all healthy, `down`, 50 containers
 * started and removed, restart latency after kill -9 of PID 1, engine and
 * per-container resident memory, and the `exec` round trip.
 *
 * dockerd is started by hand (no systemd here) and stopped afterwards; the
 * FORWARD policy and ip_forward it changes are restored.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureAptPackages, median, tempDir, which } from './lib.js';
import type { Row } from './lib.js';
import { BIN_PATH } from './locations.js';
import { busyboxRootfsTar } from '../test/support/busybox.js';

const RUNS = Number(process.env['TSC_BENCH_RUNS'] ?? 5);

const STACK = `services:
  db:
    image: busybox:test
    command: [sh, -c, "touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      start_interval: 100ms
      start_period: 10s
  cache:
    image: busybox:test
    command: [sh, -c, "touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    depends_on: {db: {condition: service_healthy}}
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      start_interval: 100ms
      start_period: 10s
  web:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    restart: always
    depends_on: {cache: {condition: service_healthy}}
`;

// docker-compose 1.29 reads the v2 syntax without start_interval.
const STACK_V1 = STACK.replace(/\n\s+start_interval: 100ms/g, '').replace(/interval: 1s/g, 'interval: 200ms');

interface Tool {
  name: string;
  up: string[];
  down: string[];
  ps: () => Array<{ service: string; pid: number; running: boolean }>;
  exec: string[];
  run50: (i: number) => string[];
  rm50: string[][];
  /** `up -d --scale web=50` on the running stack, where the tool has it. */
  scale50?: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function ms(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function must(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr ?? '').slice(0, 600)}`);
  return r.stdout;
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function waitUntil(probe: () => boolean, timeoutMs = 60_000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(stepMs);
  }
}

function ours(dir: string): Tool {
  const env = { ...process.env, TSC_COMPOSE_ROOT: path.join(dir, 'state'), TSC_COMPOSE_DNS_UPSTREAMS: '', TSC_COMPOSE_TIMELINE: '0' };
  const cli = [BIN_PATH];
  return {
    name: 'tsc-compose',
    env,
    cwd: dir,
    up: [process.execPath, ...cli, '--progress', 'quiet', 'up', '-d', '--wait'],
    down: [process.execPath, ...cli, '--progress', 'quiet', 'down'],
    exec: [process.execPath, ...cli, 'exec', '-T', 'web', 'true'],
    ps: () =>
      must(process.execPath, [...cli, 'ps', '-a', '--format', 'json'], { cwd: dir, env })
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { Service: string; Pid: number; State: string })
        .map((c) => ({ service: c.Service, pid: c.Pid, running: c.State === 'running' })),
    run50: (i) => [process.execPath, ...cli, 'run', '-d', '--no-deps', '--name', `bench-${i}`, 'web', 'sleep', '3600'],
    rm50: [[process.execPath, ...cli, '--progress', 'quiet', 'down']],
    scale50: [process.execPath, ...cli, '--progress', 'quiet', 'up', '-d', '--scale', 'web=50'],
  };
}

function dockerCompose(dir: string, env: NodeJS.ProcessEnv): Tool {
  return {
    name: 'docker-compose',
    env,
    cwd: dir,
    up: ['docker-compose', 'up', '-d'],
    down: ['docker-compose', 'down', '-t', '0'],
    exec: ['docker-compose', 'exec', '-T', 'web', 'true'],
    ps: () =>
      must('/usr/bin/docker', ['ps', '-a', '--filter', `label=com.docker.compose.project=${path.basename(dir)}`, '--format', '{{.Label "com.docker.compose.service"}} {{.ID}} {{.State}}'], { env })
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [service, id, state] = l.split(' ');
          const pid = Number(must('/usr/bin/docker', ['inspect', '-f', '{{.State.Pid}}', id as string], { env }).trim());
          return { service: service as string, pid, running: state === 'running' };
        }),
    run50: (i) => ['/usr/bin/docker', 'run', '-d', '--name', `bench-${i}`, 'busybox:test', 'sleep', '3600'],
    scale50: ['docker-compose', 'up', '-d', '--scale', 'web=50'],
    rm50: [['sh', '-c', `/usr/bin/docker rm -f $(/usr/bin/docker ps -aq --filter name=bench-) >/dev/null`]],
  };
}

function podmanCompose(dir: string, env: NodeJS.ProcessEnv): Tool {
  return {
    name: 'podman-compose',
    env,
    cwd: dir,
    up: ['podman-compose', 'up', '-d'],
    down: ['podman-compose', 'down', '-t', '0'],
    exec: ['podman', 'exec', `${path.basename(dir)}_web_1`, 'true'],
    ps: () =>
      must('podman', ['ps', '-a', '--filter', `label=io.podman.compose.project=${path.basename(dir)}`, '--format', '{{index .Labels "com.docker.compose.service"}} {{.Pid}} {{.State}}'], { env })
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [service, pid, state] = l.split(' ');
          return { service: service as string, pid: Number(pid), running: state === 'running' };
        }),
    run50: (i) => ['podman', 'run', '-d', '--name', `bench-${i}`, 'busybox:test', 'sleep', '3600'],
    rm50: [['sh', '-c', 'podman rm -f -t 0 $(podman ps -aq --filter name=bench-) >/dev/null']],
  };
}

/** Waits for every container of the stack to be healthy (docker/podman `up -d` does not). */
async function waitHealthy(tool: Tool): Promise<void> {
  if (tool.name === 'tsc-compose') return;
  const cli = tool.name === 'podman-compose' ? 'podman' : '/usr/bin/docker';
  await waitUntil(() => {
    const out = spawnSync(cli, ['ps', '--filter', `name=${path.basename(tool.cwd)}`, '--format', '{{.Status}}'], { encoding: 'utf8', env: tool.env }).stdout;
    const lines = out.split('\n').filter(Boolean);
    if (tool.name === 'podman-compose') {
      // Podman runs health checks from systemd timers, absent here: run them by hand as its docs say.
      for (const svc of ['db', 'cache']) spawnSync('podman', ['healthcheck', 'run', `${path.basename(tool.cwd)}_${svc}_1`], { env: tool.env });
    }
    return lines.length === 3 && lines.filter((l) => /\(healthy\)/.test(l)).length === 2;
  }, 60_000, 20);
}

async function measure(tool: Tool, rows: Map<string, Map<string, number>>): Promise<void> {
  const put = (metric: string, value: number): void => {
    if (!rows.has(metric)) rows.set(metric, new Map());
    rows.get(metric)?.set(tool.name, value);
  };
  const run = (argv: string[]): void => {
    must(argv[0] as string, argv.slice(1), { cwd: tool.cwd, env: tool.env });
  };
  const ups: number[] = [];
  const downs: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const t = process.hrtime.bigint();
    run(tool.up);
    await waitHealthy(tool);
    const upMs = Number(process.hrtime.bigint() - t) / 1e6;
    const downMs = ms(() => run(tool.down));
    if (i > 0) {
      ups.push(upMs);
      downs.push(downMs);
    }
  }
  put('up -d until all healthy (3 services, healthcheck chain)', median(ups));
  put('down (3 services)', median(downs));

  run(tool.up);
  await waitHealthy(tool);
  const execs: number[] = [];
  for (let i = 0; i < 11; i++) {
    const v = ms(() => run(tool.exec));
    if (i > 0) execs.push(v);
  }
  put('exec round trip (whole CLI)', median(execs));

  // Restart latency: kill -9 of web's PID 1 until a new PID 1 runs. Docker's backoff resets after 10 s, so one sample per tool.
  const web = tool.ps().find((c) => c.service === 'web');
  if (web && web.pid > 0) {
    const t = process.hrtime.bigint();
    process.kill(web.pid, 'SIGKILL');
    try {
      await waitUntil(() => {
        const now = tool.ps().find((c) => c.service === 'web');
        return !!now && now.running && now.pid > 0 && now.pid !== web.pid;
      }, 30_000, 2);
      put('kill -9 of PID 1 until running again (restart: always)', Number(process.hrtime.bigint() - t) / 1e6);
    } catch {
      // Root podman without systemd restarts nothing here; the row stays empty and the other rows are still measured.
      process.stderr.write(`${tool.name}: web was not running again within 30 s of kill -9\n`);
      run(tool.up);
      await waitHealthy(tool);
    }
  }
  if (tool.name === 'tsc-compose') {
    const pid = Number(fs.readFileSync(path.join(tool.env['TSC_COMPOSE_ROOT'] as string, 'run', 'engine.pid'), 'utf8'));
    put('engine resident memory (MB)', rssMb(pid));
    const monitors = spawnSync('pgrep', ['-f', 'tsc-compose-shim run'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    put('resident memory per running container beyond its processes (MB)', median(monitors.map(rssMb).filter((v) => v > 0)));
  } else if (tool.name === 'docker-compose') {
    const dockerd = Number(spawnSync('pgrep', ['-x', 'dockerd'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    const containerd = Number(spawnSync('pgrep', ['-x', 'containerd'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    put('engine resident memory (MB)', rssMb(dockerd) + rssMb(containerd));
    const shims = spawnSync('pgrep', ['-f', 'containerd-shim'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    put('resident memory per running container beyond its processes (MB)', median(shims.map(rssMb).filter((v) => v > 0)));
  } else {
    const conmons = spawnSync('pgrep', ['-x', 'conmon'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    put('resident memory per running container beyond its processes (MB)', median(conmons.map(rssMb).filter((v) => v > 0)));
  }
  const scale50 = tool.scale50;
  if (scale50) {
    put('up -d --scale web=50 on the running stack (49 containers more)', ms(() => run(scale50)));
    put('down of those 52 containers', ms(() => run(tool.down)));
  } else {
    run(tool.down);
  }

  const start50 = ms(() => {
    for (let i = 0; i < 50; i++) run(tool.run50(i));
  });
  const rm50 = ms(() => {
    for (const argv of tool.rm50) run(argv);
  });
  put('50 containers started (run -d, one by one)', start50);
  put('50 containers removed', rm50);
}

function startDockerd(dir: string): { stop: () => void } {
  const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  const policy = /-P FORWARD (\w+)/.exec(spawnSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }).stdout)?.[1] ?? 'ACCEPT';
  const procs: ChildProcess[] = [];
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
  procs.push(spawn('containerd', [], { stdio: ['ignore', log, log], detached: true }));
  spawnSync('sleep', ['1']);
  procs.push(spawn('dockerd', ['--containerd', '/run/containerd/containerd.sock'], { stdio: ['ignore', log, log], detached: true }));
  for (let i = 0; i < 100 && spawnSync('/usr/bin/docker', ['info'], { stdio: 'ignore' }).status !== 0; i++) spawnSync('sleep', ['0.2']);
  return {
    stop: () => {
      for (const p of procs.reverse()) {
        try {
          process.kill(p.pid as number, 'SIGTERM');
        } catch {
          // gone
        }
        spawnSync('sleep', ['2']);
      }
      fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
      spawnSync('iptables', ['-P', 'FORWARD', policy]);
    },
  };
}

export async function engineBenchmarks(): Promise<Row[]> {
  ensureAptPackages(['docker.io', 'containerd', 'runc', 'docker-compose', 'podman', 'crun', 'podman-compose', 'iptables']);
  const base = tempDir('tsc-bench');
  const rows = new Map<string, Map<string, number>>();
  const tarball = path.join(base, 'busybox.tar');
  fs.writeFileSync(tarball, await busyboxRootfsTar());
  try {
    const mine = path.join(base, 'tscbench');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'compose.yaml'), STACK);
    const t = ours(mine);
    must(process.execPath, [BIN_PATH, 'image', 'import', '--change', 'CMD ["sh"]', tarball, 'busybox:test'], { env: t.env });
    try {
      await measure(t, rows);
    } finally {
      spawnSync(process.execPath, [BIN_PATH, 'down'], { cwd: mine, env: t.env });
      spawnSync(process.execPath, [BIN_PATH, 'engine', 'stop'], { cwd: mine, env: t.env });
    }

    const peers = (process.env['TSC_BENCH_PEERS'] ?? 'docker,podman').split(',');
    if (peers.includes('docker') && which('dockerd') && which('docker-compose')) {
      const dir = path.join(base, 'dcbench');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "2.4"\n${STACK_V1}`);
      const docker = startDockerd(base);
      try {
        must('/usr/bin/docker', ['import', '--change', 'CMD ["sh"]', tarball, 'busybox:test']);
        await measure(dockerCompose(dir, { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' }), rows);
      } catch (err) {
        process.stderr.write(`docker-compose measurement failed: ${(err as Error).message}\n${fs.existsSync(path.join(base, 'dockerd.log')) ? fs.readFileSync(path.join(base, 'dockerd.log'), 'utf8').slice(-1500) : ''}\n`);
      } finally {
        spawnSync('docker-compose', ['down', '-t', '0'], { cwd: dir });
        docker.stop();
      }
    }
    if (peers.includes('podman') && which('podman') && which('podman-compose')) {
      const dir = path.join(base, 'pcbench');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'docker-compose.yml'), STACK_V1);
      // Root podman on this machine (peers-on-this-machine.md), without touching /etc/containers: cgroupfs,
      // file events, runc (crun refuses the hybrid cgroup layout while cgroup2 holds a controller), ulimits within the hard limit.
      const conf = path.join(base, 'containers.conf');
      fs.writeFileSync(
        conf,
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n',
      );
      const podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
      must('podman', ['import', '--change', 'CMD ["sh"]', tarball, 'localhost/busybox:test'], { env: podmanEnv });
      spawnSync('podman', ['tag', 'localhost/busybox:test', 'busybox:test'], { env: podmanEnv });
      try {
        await measure(podmanCompose(dir, podmanEnv), rows);
      } catch (err) {
        process.stderr.write(`podman-compose measurement failed: ${(err as Error).message}\n`);
      } finally {
        spawnSync('podman-compose', ['down', '-t', '0'], { cwd: dir, env: podmanEnv });
        spawnSync('podman', ['network', 'rm', `${path.basename(dir)}_default`], { env: podmanEnv });
      }
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  const out: Row[] = [];
  for (const [metric, byTool] of rows) {
    const oursValue = byTool.get('tsc-compose');
    if (oursValue === undefined) continue;
    const unit = metric.includes('(MB)') ? 'MB' : 'ms';
    const peers = [...byTool.entries()].filter(([n]) => n !== 'tsc-compose');
    if (peers.length === 0) out.push({ metric, ours: oursValue, peerName: 'none installed', peer: undefined, unit });
    for (const [peerName, peer] of peers) out.push({ metric, ours: oursValue, peerName, peer, unit });
  }
  return out;
}
