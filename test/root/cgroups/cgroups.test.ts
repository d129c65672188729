/**
 * Cgroups: the v1 backend for real (this machine), the v2 backend's core
 * against the real (controller-less) cgroup2 mount, and the v2 controller
 * files against a scratch tree.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createCgroupManager, detectCgroupLayout } from '../../../src/runtime/cgroups/manager.js';

const parent = `tsc-compose-test-${process.pid}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-cg-'));

describe('cgroups', () => {
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('detects the layout from mountinfo: hybrid here, v2 on a unified host', () => {
    const here = detectCgroupLayout();
    assert.equal(here.kind, 'v1');
    const unified = detectCgroupLayout('30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n');
    assert.deepEqual(unified, { kind: 'v2', root: '/sys/fs/cgroup' });
  });

  it('v1: limits, stats, freeze and removal with a real process', async () => {
    const cg = createCgroupManager({ parent, name: 'c1' });
    cg.create();
    cg.apply({ memoryLimit: 64 * 1024 * 1024, pidsLimit: 10, cpus: 0.25, cpuShares: 512 });
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      cg.addProcess(child.pid as number);
      assert.deepEqual(cg.pids(), [child.pid]);
      const mem = fs.readFileSync(`/sys/fs/cgroup/memory/${parent}/c1/memory.limit_in_bytes`, 'utf8').trim();
      assert.equal(mem, String(64 * 1024 * 1024));
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids/${parent}/c1/pids.max`, 'utf8').trim(), '10');
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu/${parent}/c1/cpu.cfs_quota_us`, 'utf8').trim(), '25000');
      assert.equal(cg.stats().pids, 1);
      cg.freeze();
      await sleep(50);
      assert.match(fs.readFileSync(`/sys/fs/cgroup/freezer/${parent}/c1/freezer.state`, 'utf8'), /FROZEN|FREEZING/);
      cg.thaw();
      assert.equal(cg.oomKilled(), false);
    } finally {
      await cg.destroy();
    }
    assert.equal(child.killed || child.exitCode !== null || child.signalCode !== null || (await sleep(50), child.signalCode !== null), true);
    for (const ctrl of ['memory', 'pids', 'cpu', 'freezer', 'cpuset']) assert.equal(fs.existsSync(`/sys/fs/cgroup/${ctrl}/${parent}`), false, ctrl);
  });

  it('v2 core on the real cgroup2 mount: placement, freeze, kill, removal', { skip: !fs.existsSync('/sys/fs/cgroup/unified/cgroup.procs') && 'no cgroup2 mount' }, async () => {
    const cg = createCgroupManager({ parent, name: 'c2', layout: { kind: 'v2', root: '/sys/fs/cgroup/unified' } });
    cg.create();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      cg.addProcess(child.pid as number);
      assert.deepEqual(cg.pids(), [child.pid]);
      assert.match(fs.readFileSync(`/sys/fs/cgroup/unified/${parent}/c2/cgroup.events`, 'utf8'), /populated 1/);
      cg.freeze();
      for (let i = 0; i < 50 && !/frozen 1/.test(fs.readFileSync(`/sys/fs/cgroup/unified/${parent}/c2/cgroup.events`, 'utf8')); i++) await sleep(10);
      assert.match(fs.readFileSync(`/sys/fs/cgroup/unified/${parent}/c2/cgroup.events`, 'utf8'), /frozen 1/);
    } finally {
      await cg.destroy(); // thaws, then cgroup.kill
    }
    await exited;
    assert.equal(fs.existsSync(`/sys/fs/cgroup/unified/${parent}`), false);
  });

  it('v2 controller files, against a scratch tree', () => {
    const root = path.join(scratch, 'v2');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
    const cg = createCgroupManager({ parent: 'tsc-compose', name: 'c3', layout: { kind: 'v2', root } });
    cg.create();
    cg.apply({ memoryLimit: 512 * 1024 * 1024, memorySwapLimit: 1024 * 1024 * 1024, memoryReservation: 1000, cpus: 1.5, cpuShares: 1024, pidsLimit: 100, blkioWeight: 500 });
    const read = (f: string): string => fs.readFileSync(path.join(root, 'tsc-compose', 'c3', f), 'utf8');
    assert.equal(read('memory.max'), String(512 * 1024 * 1024));
    assert.equal(read('memory.swap.max'), String(512 * 1024 * 1024));
    assert.equal(read('memory.low'), '1000');
    assert.equal(read('cpu.max'), '150000 100000');
    assert.equal(read('cpu.weight'), '39');
    assert.equal(read('pids.max'), '100');
    assert.equal(read('io.weight'), 'default 4950');
    assert.equal(fs.readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8'), '+cpuset +cpu +io +memory +pids');
    cg.apply({ memorySwapLimit: -1, pidsLimit: 0 });
    assert.equal(read('memory.swap.max'), 'max');
    assert.equal(read('pids.max'), 'max');
    fs.writeFileSync(path.join(root, 'tsc-compose', 'c3', 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    assert.equal(cg.oomKilled(), true);
  });
});
