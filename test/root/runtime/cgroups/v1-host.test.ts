/**
 * The v1 backend against this host's real v1 hierarchies, in both ways it can
 * run on a hybrid host: 'hybrid' (v1 controllers plus a cgroup2 group for
 * freeze and kill) and 'v1' (the cgroup2 mount ignored: v1 freezer and a
 * freeze-signal-thaw kill loop). Real processes, real limits, real OOM kills.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createCgroupManager, detectCgroupLayout, type CgroupManager, type CgroupMode } from '../../../../src/runtime/cgroups/manager.js';

const MiB = 1024 * 1024;
const read = (file: string): string => fs.readFileSync(file, 'utf8');
const layout = detectCgroupLayout();
const modes: CgroupMode[] = layout.mode === 'hybrid' ? ['hybrid', 'v1'] : layout.mode === 'v1' ? ['v1'] : [];

interface Gated {
  child: ChildProcess;
  pid: number;
  /** Lets the command run: it waits on stdin so that it starts inside the cgroup. */
  go(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  stdout(): string;
}

function gated(argv: string[], spawned: ChildProcess[]): Gated {
  const child = spawn('sh', ['-c', 'read _ && exec "$@"', 'gate', ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  spawned.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid as number, go: () => child.stdin?.end('go\n'), exited, stderr: () => err, stdout: () => out };
}

/** Every directory a hierarchy could hold for this parent. */
function hierarchyRoots(mode: CgroupMode): string[] {
  const roots = [...new Set(layout.v1.values())];
  if (mode === 'hybrid' && layout.unified) roots.push(layout.unified);
  return roots;
}

function leftovers(parent: string, mode: CgroupMode): string[] {
  return hierarchyRoots(mode).map((r) => path.join(r, parent)).filter((d) => fs.existsSync(d));
}

/** Last resort after a failed test: our processes killed, our directories removed deepest first. Never anything else. */
function sweep(parent: string, mode: CgroupMode, spawned: ChildProcess[]): void {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const dir of leftovers(parent, mode)) {
    const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => [...walk(path.join(d, e.name)), path.join(d, e.name)]);
    for (const d of [...walk(dir), dir]) {
      for (let i = 0; i < 100; i++) {
        try {
          fs.rmdirSync(d);
          break;
        } catch {
          for (const pid of read(path.join(d, 'cgroup.procs')).split('\n').filter(Boolean)) {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              // gone
            }
          }
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    }
  }
}

async function cpuNs(cg: CgroupManager): Promise<number> {
  return (await cg.stats()).cpuUsageNs;
}

for (const mode of modes) {
  describe(`cgroups on this host's v1 hierarchies, ${mode} mode`, () => {
    const parent = `tsc-compose-test-${process.pid}-${mode}`;
    const spawned: ChildProcess[] = [];
    const managers: CgroupManager[] = [];
    let n = 0;
    async function make(): Promise<{ cg: CgroupManager; leaf: (controller: string, file: string) => string }> {
      const name = `c${++n}`;
      const cg = createCgroupManager({ parent, name, mode });
      managers.push(cg);
      await cg.create();
      const leaf = (controller: string, file: string): string => {
        const mount = controller === 'unified' ? layout.unified : layout.v1.get(controller);
        assert.ok(mount, `${controller} is mounted`);
        return path.join(mount, parent, name, file);
      };
      return { cg, leaf };
    }

    after(async () => {
      for (const cg of managers) await cg.destroy().catch(() => undefined);
      sweep(parent, mode, spawned);
    });

    it('create, addProcess, apply, stats, killAll and destroy with a real process', async () => {
      const { cg, leaf } = await make();
      assert.equal(cg.mode, mode);
      for (const file of cg.paths()) assert.ok(fs.existsSync(file), file);
      assert.equal(cg.paths().some((p) => layout.unified !== undefined && p.startsWith(layout.unified)), mode === 'hybrid');
      // cpuset children start empty; create() copied the parent's CPUs so a task can join.
      assert.notEqual(read(leaf('cpuset', 'cpuset.cpus')).trim(), '');

      const { warnings } = await cg.apply({ memoryLimit: 64 * MiB, memorySwapLimit: 128 * MiB, pidsLimit: 10, cpus: 0.25, cpuShares: 512 });
      const swapAccounted = fs.existsSync(leaf('memory', 'memory.memsw.limit_in_bytes'));
      assert.deepEqual(warnings.map((w) => w.resource), swapAccounted ? [] : ['memorySwapLimit']);
      assert.equal(read(leaf('memory', 'memory.limit_in_bytes')).trim(), String(64 * MiB));
      if (swapAccounted) assert.equal(read(leaf('memory', 'memory.memsw.limit_in_bytes')).trim(), String(128 * MiB));
      assert.equal(read(leaf('pids', 'pids.max')).trim(), '10');
      assert.equal(read(leaf('cpu', 'cpu.cfs_period_us')).trim(), '100000');
      assert.equal(read(leaf('cpu', 'cpu.cfs_quota_us')).trim(), '25000');
      assert.equal(read(leaf('cpu', 'cpu.shares')).trim(), '512');

      const p = gated(['sleep', '30'], spawned);
      await cg.addProcess(p.pid);
      for (const file of cg.paths()) assert.deepEqual(read(file).split('\n').filter(Boolean).map(Number), [p.pid], file);
      const own = read(`/proc/${p.pid}/cgroup`);
      assert.match(own, new RegExp(`:memory:/${parent}/c1\\n`));
      if (mode === 'hybrid') assert.match(own, new RegExp(`^0::/${parent}/c1$`, 'm'));
      p.go();
      assert.deepEqual(await cg.pids(), [p.pid]);
      const stats = await cg.stats();
      assert.equal(stats.pids, 1);
      assert.equal(stats.pidsLimit, 10);
      assert.equal(stats.memoryLimitBytes, 64 * MiB);
      assert.ok(stats.memoryBytes >= 0 && Number.isFinite(stats.cpuUsageNs));
      assert.equal(await cg.oomKilled(), false);

      await cg.killAll();
      assert.deepEqual(await p.exited, { code: null, signal: 'SIGKILL' });
      assert.deepEqual(await cg.pids(), []);
      await cg.destroy();
      for (const file of cg.paths()) assert.equal(fs.existsSync(path.dirname(file)), false, file);
    });

    it('freeze stops a busy process until thaw, with the freezer the mode calls for', async () => {
      const { cg, leaf } = await make();
      const p = gated(['sh', '-c', 'while :; do :; done'], spawned);
      await cg.addProcess(p.pid);
      p.go();
      await sleep(100);
      await cg.freeze();
      if (mode === 'hybrid') {
        assert.match(read(leaf('unified', 'cgroup.events')), /^frozen 1$/m);
        assert.equal(read(leaf('freezer', 'freezer.state')).trim(), 'THAWED', 'the v2 freezer did the work');
      } else {
        assert.equal(read(leaf('freezer', 'freezer.state')).trim(), 'FROZEN');
      }
      const frozenStart = await cpuNs(cg);
      await sleep(300);
      const frozenUsed = (await cpuNs(cg)) - frozenStart;
      assert.ok(frozenUsed < 5e6, `a frozen group used ${frozenUsed} ns of CPU`);

      await cg.thaw();
      if (mode === 'hybrid') assert.match(read(leaf('unified', 'cgroup.events')), /^frozen 0$/m);
      assert.equal(read(leaf('freezer', 'freezer.state')).trim(), 'THAWED');
      const thawedStart = await cpuNs(cg);
      await sleep(300);
      assert.ok((await cpuNs(cg)) - thawedStart > 50e6, 'a thawed busy loop runs again');

      // Killing a frozen group works too (killAll thaws or uses cgroup.kill).
      await cg.freeze();
      await cg.killAll();
      assert.equal((await p.exited).signal, 'SIGKILL');
      await cg.destroy();
    });

    it('killAll reaches every process, grandchildren included; other signals go out once', async () => {
      const { cg } = await make();
      const p = gated(['sh', '-c', 'for i in 1 2 3 4 5; do sleep 30 & done; wait'], spawned);
      await cg.addProcess(p.pid);
      p.go();
      for (let i = 0; i < 100 && (await cg.pids()).length < 6; i++) await sleep(10);
      const before = await cg.pids();
      assert.equal(before.length, 6);
      await cg.killAll();
      assert.deepEqual(await cg.pids(), []);
      for (const pid of before) assert.equal(fs.existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(read(`/proc/${pid}/status`)), false, `pid ${pid} is gone`);

      const q = gated(['sleep', '30'], spawned);
      await cg.addProcess(q.pid);
      q.go();
      await cg.killAll('SIGTERM');
      assert.deepEqual(await q.exited, { code: null, signal: 'SIGTERM' });

      // Half-placed (its addProcess failed after the first hierarchy): still found, still killed.
      const half = gated(['sleep', '30'], spawned);
      fs.writeFileSync(cg.paths()[0] as string, String(half.pid));
      assert.deepEqual(await cg.pids(), [half.pid]);
      await cg.killAll();
      assert.equal((await half.exited).signal, 'SIGKILL');
      await cg.destroy();
    });

    it('a memory limit ends in an OOM kill that oomKilled() reports', async () => {
      const { cg } = await make();
      await cg.apply({ memoryLimit: 50 * MiB, memorySwapLimit: 50 * MiB });
      // dd's 200 MB block buffer is anonymous memory it fills for real.
      const p = gated(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1'], spawned);
      await cg.addProcess(p.pid);
      assert.equal(await cg.oomKilled(), false);
      p.go();
      assert.deepEqual(await p.exited, { code: null, signal: 'SIGKILL' });
      assert.equal(await cg.oomKilled(), true);
      await cg.destroy();
    });

    it('a pids limit stops a fork bomb and the cgroup stays usable', async () => {
      const { cg } = await make();
      await cg.apply({ pidsLimit: 20 });
      const bomb = gated(['sh', '-c', 'for i in $(seq 100); do sleep 30 & done; wait'], spawned);
      await cg.addProcess(bomb.pid);
      bomb.go();
      for (let i = 0; i < 200 && !/fork/i.test(bomb.stderr()); i++) await sleep(10);
      assert.match(bomb.stderr(), /fork/i, 'fork failed with EAGAIN');
      const stats = await cg.stats();
      assert.ok(stats.pids <= 20, `${stats.pids} tasks under a limit of 20`);
      assert.equal(stats.pidsLimit, 20);
      await cg.killAll();
      // Killed tasks leave cgroup.procs at once but count against pids.max until their parents reap them.
      for (let i = 0; i < 200 && (await cg.stats()).pids > 0; i++) await sleep(10);
      assert.equal((await cg.stats()).pids, 0);

      const after = gated(['sh', '-c', 'for i in 1 2 3; do true & done; wait; echo usable'], spawned);
      await cg.addProcess(after.pid);
      after.go();
      assert.deepEqual(await after.exited, { code: 0, signal: null });
      assert.equal(after.stdout().trim(), 'usable');
      await cg.destroy();
    });

    it('a cpu quota holds a busy loop to its share', async () => {
      const { cg, leaf } = await make();
      await cg.apply({ cpus: 0.2 });
      assert.equal(read(leaf('cpu', 'cpu.cfs_quota_us')).trim(), '20000');
      const p = gated(['sh', '-c', 'while :; do :; done'], spawned);
      await cg.addProcess(p.pid);
      p.go();
      await sleep(100);
      const start = await cpuNs(cg);
      const t0 = process.hrtime.bigint();
      await sleep(1000);
      const used = (await cpuNs(cg)) - start;
      const elapsed = Number(process.hrtime.bigint() - t0);
      // 20% of the wall time, plus at most one period of slack.
      assert.ok(used <= elapsed * 0.2 + 100e6, `used ${used / 1e6} ms of CPU in ${elapsed / 1e6} ms under a 20% quota`);
      assert.ok(used > 20e6, 'it did run');
      await cg.destroy();
      assert.equal((await p.exited).signal, 'SIGKILL', 'destroy killed what was left');
    });

    it('memory and memory+swap are written in the order the kernel accepts, up and down', async () => {
      const { cg, leaf } = await make();
      const memsw = leaf('memory', 'memory.memsw.limit_in_bytes');
      for (const [mem, total] of [[64, 64], [256, 512], [32, 48], [-1, -1]] as const) {
        const { warnings } = await cg.apply({ memoryLimit: mem === -1 ? -1 : mem * MiB, memorySwapLimit: total === -1 ? -1 : total * MiB });
        const limit = Number(read(leaf('memory', 'memory.limit_in_bytes')));
        assert.equal(mem === -1 ? limit > 2 ** 62 : limit === mem * MiB, true, `memory ${mem}`);
        if (fs.existsSync(memsw)) {
          const sw = Number(read(memsw));
          assert.equal(total === -1 ? sw > 2 ** 62 : sw === total * MiB, true, `memsw ${total}`);
        } else {
          assert.deepEqual(warnings.map((w) => w.resource), ['memorySwapLimit']);
        }
      }
      await cg.destroy();
    });

    it('cpuset, shares and blkio weight (a warning where the I/O scheduler has no weight file)', async () => {
      const { cg, leaf } = await make();
      const { warnings } = await cg.apply({ cpusetCpus: '0', cpusetMems: '0', blkioWeight: 300 });
      assert.equal(read(leaf('cpuset', 'cpuset.cpus')).trim(), '0');
      assert.equal(read(leaf('cpuset', 'cpuset.mems')).trim(), '0');
      const weightFile = ['blkio.weight', 'blkio.bfq.weight'].map((f) => leaf('blkio', f)).find((f) => fs.existsSync(f));
      if (weightFile) assert.match(read(weightFile), /(^|\s)300\s*$/);
      else assert.deepEqual(warnings.map((w) => w.resource), ['blkioWeight']);
      await cg.destroy();
    });

    it('a new manager for the same container finds it: destroy after an engine restart', async () => {
      const { cg } = await make();
      const p = gated(['sleep', '30'], spawned);
      await cg.addProcess(p.pid);
      p.go();
      const again = createCgroupManager({ parent, name: `c${n}`, mode });
      assert.deepEqual(await again.pids(), [p.pid]);
      assert.deepEqual(again.paths(), cg.paths());
      await again.destroy();
      assert.equal((await p.exited).signal, 'SIGKILL');
      for (const file of cg.paths()) assert.equal(fs.existsSync(path.dirname(file)), false);
    });

    it('nothing of ours is left in any hierarchy', () => {
      assert.deepEqual(leftovers(parent, mode), []);
    });
  });
}
