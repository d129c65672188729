/**
 * The v2 backend against the host's real cgroup2 mount (on this hybrid
 * machine, /sys/fs/cgroup/unified, which has no resource controllers): what
 * every cgroup2 group has, for real: placement through cgroup.procs,
 * cgroup.events, cgroup.freeze, cgroup.kill, nested groups, removal. The
 * controller files are checked on a scratch tree (test/unit/cgroups).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createCgroupManager, detectCgroupLayout, type CgroupManager } from '../../../../src/runtime/cgroups/manager.js';

const read = (file: string): string => fs.readFileSync(file, 'utf8');
const layout = detectCgroupLayout();
const unified = layout.unified;
const parent = `tsc-compose-test-${process.pid}-v2`;

function gated(argv: string[], spawned: ChildProcess[]): { pid: number; go(): void; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn('sh', ['-c', 'read _ && exec "$@"', 'gate', ...argv], { stdio: ['pipe', 'ignore', 'ignore'] });
  spawned.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { pid: child.pid as number, go: () => child.stdin?.end('go\n'), exited };
}

const events = (dir: string): string => read(path.join(dir, 'cgroup.events'));

describe('cgroup v2 core on the real cgroup2 mount', { skip: unified === undefined && 'no cgroup2 mount on this host' }, () => {
  const root = unified as string;
  const spawned: ChildProcess[] = [];
  const managers: CgroupManager[] = [];
  let n = 0;
  async function make(): Promise<{ cg: CgroupManager; dir: string }> {
    const name = `c${++n}`;
    const cg = createCgroupManager({ parent, name, mode: 'v2' });
    managers.push(cg);
    await cg.create();
    return { cg, dir: path.join(root, parent, name) };
  }

  after(async () => {
    for (const cg of managers) await cg.destroy().catch(() => undefined);
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // Last resort, ours only: nested groups first.
    const top = path.join(root, parent);
    const walk = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => [...walk(path.join(d, e.name)), path.join(d, e.name)]) : []);
    for (const d of [...walk(top), top]) {
      if (!fs.existsSync(d)) continue;
      if (fs.existsSync(path.join(d, 'cgroup.kill'))) fs.writeFileSync(path.join(d, 'cgroup.kill'), '1');
      for (let i = 0; i < 100; i++) {
        try {
          fs.rmdirSync(d);
          break;
        } catch {
          await sleep(20);
        }
      }
    }
  });

  it('places a process: cgroup.procs, /proc/<pid>/cgroup, cgroup.events populated', async () => {
    const { cg, dir } = await make();
    assert.equal(cg.mode, 'v2');
    assert.deepEqual(cg.paths(), [path.join(dir, 'cgroup.procs')]);
    assert.match(events(dir), /^populated 0$/m);
    const p = gated(['sleep', '30'], spawned);
    await cg.addProcess(p.pid);
    p.go();
    assert.deepEqual(await cg.pids(), [p.pid]);
    assert.match(read(`/proc/${p.pid}/cgroup`), new RegExp(`^0::/${parent}/c1$`, 'm'));
    assert.match(events(dir), /^populated 1$/m);
    const stats = await cg.stats();
    assert.equal(stats.pids, 1, 'counted from cgroup.procs without the pids controller');
    assert.ok(Number.isFinite(stats.cpuUsageNs), 'cpu.stat is a core file');
    assert.equal(await cg.oomKilled(), false, 'no memory.events without the memory controller');
    await cg.killAll();
    assert.deepEqual(await p.exited, { code: null, signal: 'SIGKILL' });
    assert.match(events(dir), /^populated 0$/m);
    await cg.destroy();
    assert.equal(fs.existsSync(dir), false);
  });

  it('cgroup.freeze stops a busy loop until thaw', async () => {
    const { cg, dir } = await make();
    const p = gated(['sh', '-c', 'while :; do :; done'], spawned);
    await cg.addProcess(p.pid);
    p.go();
    await sleep(100);
    await cg.freeze();
    assert.match(events(dir), /^frozen 1$/m);
    assert.equal(read(path.join(dir, 'cgroup.freeze')).trim(), '1');
    const a = (await cg.stats()).cpuUsageNs;
    await sleep(300);
    assert.ok((await cg.stats()).cpuUsageNs - a < 5e6, 'no CPU while frozen');
    await cg.thaw();
    assert.match(events(dir), /^frozen 0$/m);
    const b = (await cg.stats()).cpuUsageNs;
    await sleep(300);
    assert.ok((await cg.stats()).cpuUsageNs - b > 50e6, 'runs again once thawed');
    // A frozen v2 group can be killed without thawing.
    await cg.freeze();
    await cg.killAll();
    assert.equal((await p.exited).signal, 'SIGKILL');
    await cg.destroy();
  });

  it('cgroup.kill takes every process, nested groups included; SIGTERM goes out once', async () => {
    const { cg, dir } = await make();
    assert.ok(fs.existsSync(path.join(dir, 'cgroup.kill')), 'cgroup.kill (Linux 5.14) is there');
    const p = gated(['sh', '-c', 'for i in 1 2 3 4 5; do sleep 30 & done; wait'], spawned);
    await cg.addProcess(p.pid);
    p.go();
    for (let i = 0; i < 100 && (await cg.pids()).length < 6; i++) await sleep(10);
    // The container made a group of its own below ours and moved a process there.
    const nested = path.join(dir, 'inner');
    fs.mkdirSync(nested);
    const [, moved] = await cg.pids();
    fs.writeFileSync(path.join(nested, 'cgroup.procs'), String(moved));
    assert.equal((await cg.pids()).length, 6, 'pids() counts nested groups');
    await cg.killAll();
    assert.deepEqual(await cg.pids(), []);
    assert.equal((await p.exited).signal, 'SIGKILL');

    const q = gated(['sleep', '30'], spawned);
    await cg.addProcess(q.pid);
    q.go();
    await cg.killAll('SIGTERM');
    assert.deepEqual(await q.exited, { code: null, signal: 'SIGTERM' });
    await cg.destroy();
    assert.equal(fs.existsSync(dir), false, 'nested group removed with it');
  });

  it('destroy kills what is left and removes the group; the shared parent goes with the last one', async () => {
    const { cg: first, dir: firstDir } = await make();
    const { cg: second } = await make();
    const p = gated(['sleep', '30'], spawned);
    await second.addProcess(p.pid);
    p.go();
    await first.destroy();
    assert.equal(fs.existsSync(firstDir), false);
    assert.ok(fs.existsSync(path.join(root, parent)), 'the parent stays while another container is in it');
    await second.destroy();
    assert.equal((await p.exited).signal, 'SIGKILL');
    assert.equal(fs.existsSync(path.join(root, parent)), false);
    await first.destroy(); // twice is fine
  });
});
