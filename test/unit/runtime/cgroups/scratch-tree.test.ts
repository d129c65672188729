/**
 * The managers against scratch trees shaped like cgroup file systems: the
 * exact contents written to each controller file, controller delegation in
 * v2, cpuset inheritance in v1, the hybrid split, warnings and errors when a
 * file is missing, and where the device policy goes. The test plays the
 * kernel's part by creating the files a kernel would show in each directory
 * (cgroupfs files cannot be created, so the managers never create them
 * either); a scratch directory cannot hold an eBPF program, so the device
 * program a manager would attach is recorded and run by the interpreter
 * (test/root/runtime/cgroups/devices.test.ts attaches it for real).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCgroupManager } from '../../../../src/runtime/cgroups/manager.js';
import type { DeviceFilterInstaller } from '../../../../src/runtime/cgroups/device-programs.js';
import { deviceProgram } from '../../../../src/runtime/devices/ebpf.js';
import { SyscallError, TscComposeError } from '../../../../src/errors/index.js';
import { ERRNO } from '../../../../src/errors/errno.js';
import { runDeviceProgram, type DeviceAccess } from '../../../support/ebpf.js';

const MiB = 1024 * 1024;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-cg-scratch-'));

/** What the kernel would put in a new directory: each file with its default content. */
function kernelDir(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
}

const read = (file: string): string => fs.readFileSync(file, 'utf8');

/** What a manager asked of the device filter, in order; `allows` runs the last program attached to a directory. */
function recordingFilter(): DeviceFilterInstaller & { calls: string[]; allows(dir: string, q: DeviceAccess): boolean } {
  const attached = new Map<string, Buffer>();
  const calls: string[] = [];
  return {
    calls,
    replace(dir, policy) {
      calls.push(`replace ${dir}`);
      attached.set(dir, deviceProgram(policy));
    },
    detachAll(dir) {
      calls.push(`detach ${dir}`);
      attached.delete(dir);
    },
    allows(dir, q) {
      const program = attached.get(dir);
      assert.ok(program, `a device program on ${dir}`);
      return runDeviceProgram(program, q).result === 1;
    },
  };
}

const KVM: DeviceAccess = { type: 'c', major: 10, minor: 232, access: 'rw' };
const NULL: DeviceAccess = { type: 'c', major: 1, minor: 3, access: 'rw' };
const V1_DEVICES = { 'cgroup.procs': '', 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' };

const V2_LEAF = {
  'cgroup.procs': '', 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.freeze': '0', 'cgroup.kill': '',
  'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.low': '0\n', 'memory.current': '0\n', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
  'cpu.max': 'max 100000\n', 'cpu.weight': '100\n', 'cpu.stat': 'usage_usec 0\n', 'cpuset.cpus': '', 'cpuset.mems': '',
  'pids.max': 'max\n', 'pids.current': '0\n', 'io.weight': 'default 100\n',
};

describe('cgroup managers on a scratch tree', () => {
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('v2: delegates controllers from the root down, writes each file exactly', async () => {
    const root = path.join(scratch, 'v2');
    kernelDir(root, { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids\n', 'cgroup.subtree_control': '' });
    kernelDir(path.join(root, 'tsc-compose'), { 'cgroup.subtree_control': '' });
    const leaf = path.join(root, 'tsc-compose', 'c1');
    kernelDir(leaf, V2_LEAF);

    const filter = recordingFilter();
    const cg = createCgroupManager({ root, parent: 'tsc-compose', name: 'c1', deviceFilter: filter });
    assert.equal(cg.mode, 'v2');
    await cg.create();
    assert.equal(read(path.join(root, 'cgroup.subtree_control')), '+cpu +io +memory +pids');
    assert.equal(read(path.join(root, 'tsc-compose', 'cgroup.subtree_control')), '+cpu +io +memory +pids');
    assert.deepEqual(cg.paths(), [path.join(leaf, 'cgroup.procs')]);
    await cg.addProcess(4242);
    assert.equal(read(path.join(leaf, 'cgroup.procs')), '4242');

    // The root and parent already have the core controllers: asking for cpuset adds only that.
    fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), 'cpu io memory pids\n');
    fs.writeFileSync(path.join(root, 'tsc-compose', 'cgroup.subtree_control'), 'cpu io memory pids\n');
    const result = await cg.apply({
      memoryLimit: 512 * MiB, memorySwapLimit: 768 * MiB, memoryReservation: 128 * MiB, cpus: 1.5, cpuShares: 1024,
      cpusetCpus: '0', cpusetMems: '0', pidsLimit: 100, blkioWeight: 500,
    });
    assert.deepEqual(result.warnings, []);
    assert.equal(read(path.join(root, 'cgroup.subtree_control')), '+cpuset');
    assert.equal(read(path.join(root, 'tsc-compose', 'cgroup.subtree_control')), '+cpuset');
    assert.equal(read(path.join(leaf, 'memory.max')), String(512 * MiB));
    assert.equal(read(path.join(leaf, 'memory.swap.max')), String(256 * MiB));
    assert.equal(read(path.join(leaf, 'memory.low')), String(128 * MiB));
    assert.equal(read(path.join(leaf, 'cpu.max')), '150000 100000');
    assert.equal(read(path.join(leaf, 'cpu.weight')), '39');
    assert.equal(read(path.join(leaf, 'cpuset.cpus')), '0');
    assert.equal(read(path.join(leaf, 'cpuset.mems')), '0');
    assert.equal(read(path.join(leaf, 'pids.max')), '100');
    assert.equal(read(path.join(leaf, 'io.weight')), 'default 4950', 'no io.bfq.weight here: the io.weight scale');
    // No devices named: Docker's defaults, as an eBPF program on the container's directory.
    assert.deepEqual(filter.calls, [`replace ${leaf}`]);
    assert.equal(filter.allows(leaf, KVM), false);
    assert.equal(filter.allows(leaf, NULL), true);

    await cg.apply({ memoryLimit: -1, memorySwapLimit: -1, pidsLimit: 0, cpuQuota: -1, devices: [{ allow: true, type: 'a', access: 'rwm' }] });
    assert.deepEqual(filter.calls, [`replace ${leaf}`, `replace ${leaf}`]);
    assert.equal(filter.allows(leaf, KVM), true, 'the new policy replaced the old one');
    assert.equal(read(path.join(leaf, 'memory.max')), 'max');
    assert.equal(read(path.join(leaf, 'memory.swap.max')), 'max');
    assert.equal(read(path.join(leaf, 'pids.max')), 'max');
    assert.equal(read(path.join(leaf, 'cpu.max')), 'max');
  });

  it('v2: BFQ weight, missing swap file is a warning, missing controller an error', async () => {
    const root = path.join(scratch, 'v2b');
    kernelDir(root, { 'cgroup.controllers': 'memory\n', 'cgroup.subtree_control': 'memory\n' });
    const leaf = path.join(root, 'p', 'c2');
    kernelDir(path.join(root, 'p'), { 'cgroup.subtree_control': 'memory\n' });
    const { 'memory.swap.max': _swap, ...noSwap } = V2_LEAF;
    kernelDir(leaf, { ...noSwap, 'io.bfq.weight': 'default 100\n' });
    const cg = createCgroupManager({ root, parent: 'p', name: 'c2', deviceFilter: recordingFilter() });
    await cg.create();
    const { warnings } = await cg.apply({ memoryLimit: 64 * MiB, memorySwapLimit: 128 * MiB, blkioWeight: 300 });
    assert.deepEqual(warnings.map((w) => w.resource), ['memorySwapLimit']);
    assert.equal(read(path.join(leaf, 'memory.max')), String(64 * MiB));
    assert.equal(read(path.join(leaf, 'io.bfq.weight')), '300');
    await assert.rejects(cg.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 2 * MiB }] }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_CONTROLLER_MISSING' && /hugetlb\.2MB\.max/.test(e.message));
    await assert.rejects(cg.apply({ memoryReservation: -5 }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_RESOURCES');
  });

  it('v2: stats and OOM from the kernel files', async () => {
    const root = path.join(scratch, 'v2c');
    kernelDir(root, { 'cgroup.controllers': '', 'cgroup.subtree_control': '' });
    const leaf = path.join(root, 'p', 'c3');
    kernelDir(leaf, { ...V2_LEAF, 'cgroup.procs': '10\n11\n', 'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n', 'memory.current': '4096\n', 'memory.max': '8192\n', 'pids.current': '3\n', 'pids.max': '50\n' });
    kernelDir(path.join(leaf, 'nested'), { 'cgroup.procs': '12\n' });
    const cg = createCgroupManager({ root, parent: 'p', name: 'c3' });
    assert.deepEqual(await cg.stats(), { cpuUsageNs: 1_500_000, memoryBytes: 4096, memoryLimitBytes: 8192, pids: 3, pidsLimit: 50 });
    assert.deepEqual((await cg.pids()).sort(), [10, 11, 12]);
    assert.equal(await cg.oomKilled(), false);
    fs.writeFileSync(path.join(leaf, 'memory.events'), 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n');
    assert.equal(await cg.oomKilled(), true);
    fs.writeFileSync(path.join(leaf, 'memory.max'), 'max\n');
    fs.writeFileSync(path.join(leaf, 'pids.max'), 'max\n');
    const s = await cg.stats();
    assert.equal(s.memoryLimitBytes, Number.POSITIVE_INFINITY);
    assert.equal(s.pidsLimit, undefined);
  });

  it('v1: a directory per hierarchy, cpuset copied down, memsw missing is a warning', async () => {
    const root = path.join(scratch, 'v1');
    kernelDir(path.join(root, 'cpuset'), { 'cpuset.cpus': '0-3\n', 'cpuset.mems': '0\n' });
    const v1Leaf = {
      memory: { 'cgroup.procs': '', 'memory.limit_in_bytes': '9223372036854771712\n', 'memory.soft_limit_in_bytes': '9223372036854771712\n', 'memory.usage_in_bytes': '1048576\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n' },
      'cpu,cpuacct': { 'cgroup.procs': '', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.shares': '1024\n', 'cpuacct.usage': '123456\n' },
      cpuset: { 'cgroup.procs': '', 'cpuset.cpus': '', 'cpuset.mems': '' },
      pids: { 'cgroup.procs': '', 'pids.max': 'max\n', 'pids.current': '0\n' },
      blkio: { 'cgroup.procs': '', 'blkio.bfq.weight': '100\n' },
      freezer: { 'cgroup.procs': '', 'freezer.state': 'THAWED\n' },
      devices: V1_DEVICES,
    };
    for (const [h, files] of Object.entries(v1Leaf)) {
      kernelDir(path.join(root, h, 'tsc-compose'), h === 'cpuset' ? { 'cpuset.cpus': '', 'cpuset.mems': '' } : {});
      kernelDir(path.join(root, h, 'tsc-compose', 'c4'), files);
    }
    const filter = recordingFilter();
    const cg = createCgroupManager({ root, parent: 'tsc-compose', name: 'c4', deviceFilter: filter });
    assert.equal(cg.mode, 'v1');
    assert.deepEqual(cg.paths(), ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'].map((h) => path.join(root, h, 'tsc-compose', 'c4', 'cgroup.procs')));
    await cg.create();
    assert.equal(read(path.join(root, 'cpuset', 'tsc-compose', 'cpuset.cpus')), '0-3');
    assert.equal(read(path.join(root, 'cpuset', 'tsc-compose', 'c4', 'cpuset.cpus')), '0-3');
    assert.equal(read(path.join(root, 'cpuset', 'tsc-compose', 'c4', 'cpuset.mems')), '0');

    const { warnings } = await cg.apply({ memoryLimit: 64 * MiB, memorySwapLimit: 128 * MiB, memoryReservation: 32 * MiB, cpus: 0.5, cpuShares: 256, pidsLimit: 10, blkioWeight: 300, cpusetCpus: '1' });
    assert.deepEqual(warnings.map((w) => w.resource), ['memorySwapLimit']);
    const leaf = (h: string, f: string): string => read(path.join(root, h, 'tsc-compose', 'c4', f));
    assert.equal(leaf('memory', 'memory.limit_in_bytes'), String(64 * MiB));
    assert.equal(leaf('memory', 'memory.soft_limit_in_bytes'), String(32 * MiB));
    assert.equal(leaf('cpu,cpuacct', 'cpu.cfs_period_us'), '100000');
    assert.equal(leaf('cpu,cpuacct', 'cpu.cfs_quota_us'), '50000');
    assert.equal(leaf('cpu,cpuacct', 'cpu.shares'), '256');
    assert.equal(leaf('pids', 'pids.max'), '10');
    assert.equal(leaf('blkio', 'blkio.bfq.weight'), '300');
    assert.equal(leaf('cpuset', 'cpuset.cpus'), '1');
    // The defaults, written whole to a cgroup that allowed everything: one write per rule, through one descriptor (a plain file keeps them all, end to end).
    assert.equal(leaf('devices', 'devices.deny'), 'a');
    assert.equal(leaf('devices', 'devices.allow'), ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm'].join(''));
    assert.deepEqual(filter.calls, [], 'no cgroup2 mount in pure v1: no program');

    assert.deepEqual(await cg.stats(), { cpuUsageNs: 123456, memoryBytes: 1048576, memoryLimitBytes: 64 * MiB, pids: 0, pidsLimit: 10 });
    assert.equal(await cg.oomKilled(), false);
    fs.writeFileSync(path.join(root, 'memory', 'tsc-compose', 'c4', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    assert.equal(await cg.oomKilled(), true);
    // Kernels before 4.13 have no oom_kill counter: under_oom is all there is.
    fs.writeFileSync(path.join(root, 'memory', 'tsc-compose', 'c4', 'memory.oom_control'), 'oom_kill_disable 1\nunder_oom 1\n');
    assert.equal(await cg.oomKilled(), true);

    await assert.rejects(cg.apply({ hugepageLimits: [{ pageSize: '2MB', limit: MiB }] }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_CONTROLLER_MISSING' && /hugetlb controller is not available/.test(e.message));

    // Pure v1 without a devices hierarchy cannot hold a device policy: refused, not skipped.
    fs.rmSync(path.join(root, 'devices'), { recursive: true });
    const noDevices = createCgroupManager({ root, parent: 'tsc-compose', name: 'c4', deviceFilter: filter });
    await assert.rejects(noDevices.apply({}), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_CONTROLLER_MISSING' && /devices cannot be enforced/.test(e.message));
  });

  it('hybrid: v1 controllers for resources, a controller bound to cgroup2 written there', async () => {
    const root = path.join(scratch, 'hybrid');
    kernelDir(path.join(root, 'memory', 'p', 'c5'), { 'cgroup.procs': '', 'memory.limit_in_bytes': '0\n' });
    kernelDir(path.join(root, 'unified'), { 'cgroup.controllers': 'hugetlb\n', 'cgroup.subtree_control': '' });
    kernelDir(path.join(root, 'unified', 'p'), { 'cgroup.subtree_control': '' });
    kernelDir(path.join(root, 'unified', 'p', 'c5'), { 'cgroup.procs': '', 'hugetlb.2MB.max': 'max\n' });
    const filter = recordingFilter();
    const cg = createCgroupManager({ root, parent: 'p', name: 'c5', deviceFilter: filter });
    assert.equal(cg.mode, 'hybrid');
    assert.deepEqual(cg.paths(), [path.join(root, 'memory', 'p', 'c5', 'cgroup.procs'), path.join(root, 'unified', 'p', 'c5', 'cgroup.procs')]);
    await cg.create();
    // Nothing is switched on in cgroup2 until a limit needs it.
    assert.equal(read(path.join(root, 'unified', 'cgroup.subtree_control')), '');
    await cg.apply({ memoryLimit: 32 * MiB, hugepageLimits: [{ pageSize: '2MB', limit: 8 * MiB }] });
    assert.equal(read(path.join(root, 'memory', 'p', 'c5', 'memory.limit_in_bytes')), String(32 * MiB));
    assert.equal(read(path.join(root, 'unified', 'cgroup.subtree_control')), '+hugetlb');
    assert.equal(read(path.join(root, 'unified', 'p', 'cgroup.subtree_control')), '+hugetlb');
    assert.equal(read(path.join(root, 'unified', 'p', 'c5', 'hugetlb.2MB.max')), String(8 * MiB));
    // No v1 devices hierarchy in this tree: the program on the cgroup2 group is the device wall.
    const group = path.join(root, 'unified', 'p', 'c5');
    assert.deepEqual(filter.calls, [`replace ${group}`]);
    assert.equal(filter.allows(group, KVM), false);
    await cg.addProcess(77);
    assert.equal(read(path.join(root, 'memory', 'p', 'c5', 'cgroup.procs')), '77');
    assert.equal(read(path.join(root, 'unified', 'p', 'c5', 'cgroup.procs')), '77');
  });

  it('hybrid: a device program the kernel refuses is a warning while the v1 devices controller holds, an error otherwise', async () => {
    const root = path.join(scratch, 'hybrid-devices');
    kernelDir(path.join(root, 'devices', 'p', 'c6'), V1_DEVICES);
    kernelDir(path.join(root, 'unified'), { 'cgroup.controllers': '', 'cgroup.subtree_control': '' });
    kernelDir(path.join(root, 'unified', 'p', 'c6'), { 'cgroup.procs': '' });
    const refusing: DeviceFilterInstaller = {
      replace() {
        throw new SyscallError('bpf', ERRNO.EPERM, 'BPF_PROG_LOAD (type 15, 40 instructions)');
      },
      detachAll() {
        throw new SyscallError('bpf', ERRNO.EPERM, 'BPF_PROG_QUERY');
      },
    };
    const cg = createCgroupManager({ root, parent: 'p', name: 'c6', deviceFilter: refusing });
    const { warnings } = await cg.apply({});
    assert.deepEqual(warnings.map((w) => w.resource), ['devices']);
    assert.match(warnings[0]?.message ?? '', /EPERM.*the v1 devices controller alone enforces/);
    assert.equal(read(path.join(root, 'devices', 'p', 'c6', 'devices.deny')), 'a');

    const v2Root = path.join(scratch, 'v2-devices');
    kernelDir(v2Root, { 'cgroup.controllers': '', 'cgroup.subtree_control': '' });
    kernelDir(path.join(v2Root, 'p', 'c7'), V2_LEAF);
    const v2 = createCgroupManager({ root: v2Root, parent: 'p', name: 'c7', deviceFilter: refusing });
    await assert.rejects(v2.apply({}), (e: unknown) => e instanceof SyscallError && e.errnoName === 'EPERM', 'v2: the program is the only wall');
  });

  it('forced modes and bad names', () => {
    const root = path.join(scratch, 'hybrid');
    assert.equal(createCgroupManager({ root, mode: 'v1', parent: 'p', name: 'x' }).mode, 'v1');
    assert.equal(createCgroupManager({ root, mode: 'v1', parent: 'p', name: 'x' }).paths().length, 1);
    assert.equal(createCgroupManager({ root, mode: 'v2', parent: 'p', name: 'x' }).mode, 'v2');
    assert.throws(() => createCgroupManager({ root: path.join(scratch, 'v2'), mode: 'v1', parent: 'p', name: 'x' }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_MODE');
    for (const [parent, name] of [['../etc', 'x'], ['p', 'a/b'], ['', 'x'], ['p', '..'], ['/abs', 'x']]) {
      assert.throws(() => createCgroupManager({ root, parent: parent as string, name: name as string }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_NAME');
    }
    assert.deepEqual(createCgroupManager({ root, parent: 'a/b', name: 'x', mode: 'v1' }).paths(), [path.join(root, 'memory', 'a', 'b', 'x', 'cgroup.procs')]);
  });
});
