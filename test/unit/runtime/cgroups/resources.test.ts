/** CgroupResources → the files each cgroup version gets, and what is refused before any write. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpuWeightFromShares, devicePolicyOf, ioWeightFromBlkioWeight, translateV1, translateV2, validateCgroupResources, type CgroupPlan, type CgroupResources,
} from '../../../../src/runtime/cgroups/resources.js';
import { TscComposeError } from '../../../../src/errors/index.js';

const MiB = 1024 * 1024;

/** controller/file=value for the first candidate of each write, in write order. */
function flat(plan: CgroupPlan): string[] {
  return plan.groups.flatMap((g) => g.writes.map((w) => `${g.controller}/${w.candidates[0]?.file}=${w.candidates[0]?.value}`));
}

function rejects(r: CgroupResources, resource: string): void {
  assert.throws(() => validateCgroupResources(r), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_RESOURCES' && e.message.startsWith(`${resource}:`));
}

describe('cgroup resource translation', () => {
  const all: CgroupResources = {
    memoryLimit: 512 * MiB, memorySwapLimit: 1024 * MiB, memoryReservation: 256 * MiB,
    cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1', cpusetMems: '0', pidsLimit: 100, blkioWeight: 500,
    hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
  };

  it('v1: one file per knob, memory+swap as the total', () => {
    assert.deepEqual(flat(translateV1(all)), [
      `memory/memory.limit_in_bytes=${512 * MiB}`,
      `memory/memory.memsw.limit_in_bytes=${1024 * MiB}`,
      `memory/memory.soft_limit_in_bytes=${256 * MiB}`,
      'cpu/cpu.cfs_period_us=100000',
      'cpu/cpu.cfs_quota_us=150000',
      'cpu/cpu.shares=512',
      'cpuset/cpuset.mems=0',
      'cpuset/cpuset.cpus=0-1',
      'pids/pids.max=100',
      'blkio/blkio.weight=500',
      `hugetlb/hugetlb.2MB.limit_in_bytes=${4 * MiB}`,
    ]);
    const plan = translateV1(all);
    // The ordered pairs the kernel cross-checks are retried in reverse on EINVAL.
    assert.deepEqual(plan.groups.filter((g) => g.reversible).map((g) => g.controller), ['memory', 'cpu']);
    // blkio.weight is CFQ's; BFQ spells it blkio.bfq.weight; neither is a warning, not an error.
    const blkio = plan.groups.find((g) => g.controller === 'blkio')?.writes[0];
    assert.deepEqual(blkio?.candidates.map((c) => c.file), ['blkio.weight', 'blkio.bfq.weight']);
    assert.equal(blkio?.ifMissing, 'warn');
    assert.equal(plan.groups.find((g) => g.controller === 'memory')?.writes[1]?.ifMissing, 'warn');
  });

  it('v2: swap alone, weights converted as runc does', () => {
    assert.deepEqual(flat(translateV2(all)), [
      `memory/memory.max=${512 * MiB}`,
      `memory/memory.swap.max=${512 * MiB}`,
      `memory/memory.low=${256 * MiB}`,
      'cpu/cpu.max=150000 100000',
      'cpu/cpu.weight=20',
      'cpuset/cpuset.mems=0',
      'cpuset/cpuset.cpus=0-1',
      'pids/pids.max=100',
      'io/io.bfq.weight=500',
      `hugetlb/hugetlb.2MB.max=${4 * MiB}`,
    ]);
    const io = translateV2(all).groups.find((g) => g.controller === 'io')?.writes[0];
    assert.deepEqual(io?.candidates, [{ file: 'io.bfq.weight', value: '500' }, { file: 'io.weight', value: 'default 4950' }]);
  });

  it('unlimited spellings: -1 and 0', () => {
    assert.deepEqual(flat(translateV1({ memoryLimit: -1, memorySwapLimit: -1, pidsLimit: 0, cpuQuota: -1 })), [
      'memory/memory.limit_in_bytes=-1', 'memory/memory.memsw.limit_in_bytes=-1', 'cpu/cpu.cfs_quota_us=-1', 'pids/pids.max=max',
    ]);
    assert.deepEqual(flat(translateV2({ memoryLimit: -1, memorySwapLimit: -1, pidsLimit: -1, cpuQuota: -1 })), [
      'memory/memory.max=max', 'memory/memory.swap.max=max', 'cpu/cpu.max=max', 'pids/pids.max=max',
    ]);
    // memswap 0 means "unset" (Docker), not "no swap"; memswap == memory means no swap.
    assert.deepEqual(flat(translateV2({ memoryLimit: 64 * MiB, memorySwapLimit: 0 })), [`memory/memory.max=${64 * MiB}`]);
    assert.deepEqual(flat(translateV2({ memoryLimit: 64 * MiB, memorySwapLimit: 64 * MiB })), [`memory/memory.max=${64 * MiB}`, 'memory/memory.swap.max=0']);
  });

  it('cpu bandwidth: quota/period as given, cpus over a custom period, period alone', () => {
    assert.deepEqual(flat(translateV2({ cpuQuota: 20000, cpuPeriod: 50000 })), ['cpu/cpu.max=20000 50000']);
    assert.deepEqual(flat(translateV2({ cpus: 0.5, cpuPeriod: 200000 })), ['cpu/cpu.max=100000 200000']);
    assert.deepEqual(flat(translateV2({ cpuPeriod: 50000 })), ['cpu/cpu.max=max 50000']);
    assert.deepEqual(flat(translateV2({ cpuQuota: 20000 })), ['cpu/cpu.max=20000']);
    assert.deepEqual(flat(translateV1({ cpuQuota: 20000 })), ['cpu/cpu.cfs_quota_us=20000']);
    assert.deepEqual(flat(translateV1({ cpus: 0.25 })), ['cpu/cpu.cfs_period_us=100000', 'cpu/cpu.cfs_quota_us=25000']);
  });

  it('weight conversions match runc', () => {
    assert.equal(cpuWeightFromShares(2), 1);
    assert.equal(cpuWeightFromShares(1024), 39);
    assert.equal(cpuWeightFromShares(262144), 10000);
    assert.equal(cpuWeightFromShares(1), 1, 'clamped to the v1 minimum');
    assert.equal(ioWeightFromBlkioWeight(10), 1);
    assert.equal(ioWeightFromBlkioWeight(500), 4950);
    assert.equal(ioWeightFromBlkioWeight(1000), 10000);
  });

  it('devices are not file writes of the plan (the managers apply them); the policy defaults to Docker\'s', () => {
    const devices = [{ allow: false, type: 'a' as const, access: 'rwm' }, { allow: true, type: 'c' as const, major: 1, minor: 3, access: 'rwm' }];
    assert.deepEqual(translateV1({ devices }).groups, []);
    assert.deepEqual(translateV2({ devices }), { groups: [], warnings: [] });
    assert.deepEqual(devicePolicyOf({ devices }), { defaultAllow: false, exceptions: [{ type: 'c', major: 1, minor: 3, access: 7 }] });
    const defaults = devicePolicyOf({});
    assert.equal(defaults.defaultAllow, false);
    assert.ok(defaults.exceptions.some((e) => e.type === 'c' && e.major === 136 && e.minor === undefined));
    assert.ok(!defaults.exceptions.some((e) => e.major === 10));
  });

  it('refuses what the kernel or Docker would refuse, naming the resource', () => {
    rejects({ memoryLimit: 0 }, 'memoryLimit');
    rejects({ memoryLimit: 1.5 }, 'memoryLimit');
    rejects({ memorySwapLimit: 64 * MiB }, 'memorySwapLimit');
    rejects({ memoryLimit: 64 * MiB, memorySwapLimit: 32 * MiB }, 'memorySwapLimit');
    rejects({ memoryLimit: 64 * MiB, memoryReservation: 128 * MiB }, 'memoryReservation');
    rejects({ cpus: 0 }, 'cpus');
    rejects({ cpus: 0.005 }, 'cpus');
    rejects({ cpus: 1, cpuQuota: 50000 }, 'cpus');
    rejects({ cpuQuota: 500 }, 'cpuQuota');
    rejects({ cpuPeriod: 2_000_000 }, 'cpuPeriod');
    rejects({ cpusetCpus: '0;1' }, 'cpusetCpus');
    rejects({ pidsLimit: -2 }, 'pidsLimit');
    rejects({ blkioWeight: 5 }, 'blkioWeight');
    rejects({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, 'hugepageLimits');
    rejects({ devices: [{ allow: false, type: 'a', access: 'rwm' }, { allow: true, type: 'c', access: 'x' }] }, 'devices');
    rejects({ devices: [] }, 'devices');
    rejects({ devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] }, 'devices');
    assert.throws(() => translateV2({ memorySwapLimit: 1 }), TscComposeError);
    validateCgroupResources({});
    validateCgroupResources({ memoryLimit: 64 * MiB, memorySwapLimit: -1, memoryReservation: 32 * MiB, cpus: 0.01, blkioWeight: 0, cpuShares: 0 });
  });
});
