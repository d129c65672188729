/**
 * The resource limits a container's cgroup can carry, in runtime terms (bytes,
 * microseconds, weights; no compose keys), and their translation into the
 * file writes each cgroup version understands. Translation is pure: the
 * managers decide where the files live and what a missing file means.
 */
import { TscComposeError } from '../../errors/index.js';
import { deviceRules } from '../devices/defaults.js';
import { devicePolicy, validateDeviceRules, type DevicePolicy, type DeviceRule } from '../devices/rules.js';

export interface HugepageLimit {
  /** The kernel's spelling of the page size: `2MB`, `1GB`, `64KB`. */
  pageSize: string;
  limit: number;
}

export interface CgroupResources {
  /** Bytes; -1 lifts the limit. */
  memoryLimit?: number | undefined;
  /** Memory plus swap, in bytes (Docker's --memory-swap); -1 is unlimited swap, 0 is the same as unset. */
  memorySwapLimit?: number | undefined;
  /** Soft limit in bytes: v1 memory.soft_limit_in_bytes, v2 memory.low. */
  memoryReservation?: number | undefined;
  /** CFS quota in microseconds per period; -1 lifts it. */
  cpuQuota?: number | undefined;
  /** CFS period in microseconds (1000..1000000). */
  cpuPeriod?: number | undefined;
  /**
   * Docker's --cpus, kept because it is a runtime notion too (NanoCpus):
   * quota = cpus × period, period 100000 µs unless cpuPeriod says otherwise.
   * Cannot be combined with cpuQuota.
   */
  cpus?: number | undefined;
  /** v1 cpu.shares (2..262144, 1024 is the default); v2 gets runc's weight conversion. 0 is unset. */
  cpuShares?: number | undefined;
  /** `0-3,5` */
  cpusetCpus?: string | undefined;
  cpusetMems?: string | undefined;
  /** > 0 limits; 0 or -1 is unlimited. */
  pidsLimit?: number | undefined;
  /** 10..1000; 0 is unset. Best effort: the I/O scheduler decides whether a weight file exists. */
  blkioWeight?: number | undefined;
  hugepageLimits?: HugepageLimit[] | undefined;
  /**
   * The container's device rules, in order, starting with an `a` rule
   * (deviceRules() in runtime/devices makes them from the compose keys).
   * Unlike every other field, unset does not mean "leave alone": it means
   * Docker's defaults (deviceRules({})), so that no container ever runs
   * without a device policy. A later apply must pass the same list again to
   * keep it. v1: devices.deny/devices.allow; v2: an eBPF device program on
   * the container's directory; hybrid: both.
   */
  devices?: DeviceRule[] | undefined;
}


/** One value for one knob, with the alternatives to try when a kernel spells it differently. */
export interface CgroupFileWrite {
  resource: keyof CgroupResources;
  /** The first candidate whose file exists is written. */
  candidates: ReadonlyArray<{ file: string; value: string }>;
  /** When no candidate exists: a limit that cannot be enforced is an error; a best-effort knob is a warning. */
  ifMissing: 'error' | 'warn';
  /** Said when ifMissing is 'warn' and nothing was written. */
  missingWarning?: string | undefined;
}

export interface CgroupWriteGroup {
  /** The controller owning the files, in the version's own naming (v1 `blkio` is v2 `io`). */
  controller: string;
  writes: CgroupFileWrite[];
  /**
   * The kernel checks each file of the pair against the current value of the
   * other (memsw ≥ memory; cfs quota against period), so the right order
   * depends on what is there now: when the first write is refused with
   * EINVAL, the group is retried in reverse order.
   */
  reversible?: boolean | undefined;
}

export interface CgroupWarning {
  resource: keyof CgroupResources;
  message: string;
}

export interface CgroupPlan {
  groups: CgroupWriteGroup[];
  warnings: CgroupWarning[];
}

/** The v1 controller that does a v2 controller's job (only where names differ). */
export const V2_TO_V1_CONTROLLER: Readonly<Record<string, string>> = { io: 'blkio' };

export const DEFAULT_CPU_PERIOD_US = 100_000;

function invalid(resource: keyof CgroupResources, message: string): TscComposeError {
  return new TscComposeError('TSC_CGROUP_RESOURCES', `${resource}: ${message}`);
}

const isInt = (n: number): boolean => Number.isSafeInteger(n);
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Rejects values no kernel accepts, and combinations Docker refuses, before anything is written. */
export function validateCgroupResources(r: CgroupResources): void {
  const { memoryLimit, memorySwapLimit, memoryReservation } = r;
  if (memoryLimit !== undefined && (!isInt(memoryLimit) || (memoryLimit <= 0 && memoryLimit !== -1))) {
    throw invalid('memoryLimit', `must be a positive number of bytes or -1 (unlimited), got ${memoryLimit}`);
  }
  if (memorySwapLimit !== undefined) {
    if (!isInt(memorySwapLimit) || memorySwapLimit < -1) throw invalid('memorySwapLimit', `must be bytes of memory plus swap, 0 (unset) or -1 (unlimited), got ${memorySwapLimit}`);
    if (memorySwapLimit > 0) {
      if (memoryLimit === undefined || memoryLimit === -1) throw invalid('memorySwapLimit', 'a memory+swap limit needs a memory limit as well');
      if (memorySwapLimit < memoryLimit) throw invalid('memorySwapLimit', `memory+swap (${memorySwapLimit}) must be at least the memory limit (${memoryLimit})`);
    }
  }
  if (memoryReservation !== undefined) {
    if (!isInt(memoryReservation) || memoryReservation < 0) throw invalid('memoryReservation', `must be a number of bytes, got ${memoryReservation}`);
    if (memoryLimit !== undefined && memoryLimit > 0 && memoryReservation > memoryLimit) {
      throw invalid('memoryReservation', `the reservation (${memoryReservation}) cannot exceed the memory limit (${memoryLimit})`);
    }
  }
  if (r.cpus !== undefined) {
    if (!Number.isFinite(r.cpus) || r.cpus <= 0) throw invalid('cpus', `must be a positive number of CPUs, got ${r.cpus}`);
    if (r.cpuQuota !== undefined) throw invalid('cpus', 'cannot be combined with cpuQuota (both set the CFS quota)');
  }
  if (r.cpuQuota !== undefined && (!isInt(r.cpuQuota) || (r.cpuQuota < 1000 && r.cpuQuota !== -1))) {
    throw invalid('cpuQuota', `must be at least 1000 µs or -1 (unlimited), got ${r.cpuQuota}`);
  }
  if (r.cpuPeriod !== undefined && (!isInt(r.cpuPeriod) || r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000)) {
    throw invalid('cpuPeriod', `must be between 1000 and 1000000 µs, got ${r.cpuPeriod}`);
  }
  if (r.cpus !== undefined && Math.round(r.cpus * (r.cpuPeriod ?? DEFAULT_CPU_PERIOD_US)) < 1000) {
    throw invalid('cpus', `${r.cpus} CPUs is below the kernel's minimum quota of 1 ms per period`);
  }
  if (r.cpuShares !== undefined && (!isInt(r.cpuShares) || r.cpuShares < 0)) throw invalid('cpuShares', `must be a non-negative integer, got ${r.cpuShares}`);
  if (r.cpusetCpus !== undefined && !CPU_LIST.test(r.cpusetCpus)) throw invalid('cpusetCpus', `"${r.cpusetCpus}" is not a CPU list like 0-3,5`);
  if (r.cpusetMems !== undefined && !CPU_LIST.test(r.cpusetMems)) throw invalid('cpusetMems', `"${r.cpusetMems}" is not a memory-node list like 0-1`);
  if (r.pidsLimit !== undefined && (!isInt(r.pidsLimit) || r.pidsLimit < -1)) throw invalid('pidsLimit', `must be a positive integer, 0 or -1 (unlimited), got ${r.pidsLimit}`);
  if (r.blkioWeight !== undefined && (!isInt(r.blkioWeight) || (r.blkioWeight !== 0 && (r.blkioWeight < 10 || r.blkioWeight > 1000)))) {
    throw invalid('blkioWeight', `must be between 10 and 1000, got ${r.blkioWeight}`);
  }
  for (const h of r.hugepageLimits ?? []) {
    if (!/^\d+[KMG]B$/.test(h.pageSize)) throw invalid('hugepageLimits', `"${h.pageSize}" is not a page size like 2MB`);
    if (!isInt(h.limit) || h.limit < 0) throw invalid('hugepageLimits', `limit for ${h.pageSize} must be a number of bytes, got ${h.limit}`);
  }
  if (r.devices !== undefined) validateDeviceRules(r.devices);
}

/** runc's mapping of cpu.shares (2..262144) onto cpu.weight (1..10000): 1024 → 39. */
export function cpuWeightFromShares(shares: number): number {
  const clamped = Math.min(262_144, Math.max(2, shares));
  return 1 + Math.floor(((clamped - 2) * 9999) / 262_142);
}

/** runc's mapping of blkio.weight (10..1000) onto io.weight (1..10000): 500 → 4950. */
export function ioWeightFromBlkioWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** The CFS quota and period the resources ask for, or undefined for either left alone. */
export function cpuBandwidth(r: CgroupResources): { quota?: number; period?: number } {
  if (r.cpus !== undefined) {
    const period = r.cpuPeriod ?? DEFAULT_CPU_PERIOD_US;
    return { quota: Math.round(r.cpus * period), period };
  }
  const out: { quota?: number; period?: number } = {};
  if (r.cpuQuota !== undefined) out.quota = r.cpuQuota;
  if (r.cpuPeriod !== undefined) out.period = r.cpuPeriod;
  return out;
}

const one = (file: string, value: string | number): Array<{ file: string; value: string }> => [{ file, value: String(value) }];

const SWAP_WARNING = 'the kernel does not account swap here (swapaccount off or no swap controller): memory is limited without a swap limit';
const BLKIO_WARNING = 'no I/O weight file here (the block scheduler is not CFQ/BFQ): the weight is not applied';

/** The v1 files, per controller hierarchy. */
export function translateV1(r: CgroupResources): CgroupPlan {
  validateCgroupResources(r);
  const groups: CgroupWriteGroup[] = [];
  const warnings: CgroupWarning[] = [];

  const memoryPair: CgroupFileWrite[] = [];
  if (r.memoryLimit !== undefined) memoryPair.push({ resource: 'memoryLimit', candidates: one('memory.limit_in_bytes', r.memoryLimit), ifMissing: 'error' });
  if (r.memorySwapLimit !== undefined && r.memorySwapLimit !== 0) {
    memoryPair.push({ resource: 'memorySwapLimit', candidates: one('memory.memsw.limit_in_bytes', r.memorySwapLimit), ifMissing: 'warn', missingWarning: SWAP_WARNING });
  }
  if (memoryPair.length > 0) groups.push({ controller: 'memory', writes: memoryPair, reversible: true });
  if (r.memoryReservation !== undefined) {
    groups.push({ controller: 'memory', writes: [{ resource: 'memoryReservation', candidates: one('memory.soft_limit_in_bytes', r.memoryReservation), ifMissing: 'error' }] });
  }

  const { quota, period } = cpuBandwidth(r);
  const bandwidth: CgroupFileWrite[] = [];
  const cpuResource = r.cpus !== undefined ? 'cpus' : 'cpuQuota';
  if (period !== undefined) bandwidth.push({ resource: r.cpus !== undefined ? 'cpus' : 'cpuPeriod', candidates: one('cpu.cfs_period_us', period), ifMissing: 'error' });
  if (quota !== undefined) bandwidth.push({ resource: cpuResource, candidates: one('cpu.cfs_quota_us', quota), ifMissing: 'error' });
  if (bandwidth.length > 0) groups.push({ controller: 'cpu', writes: bandwidth, reversible: true });
  if (r.cpuShares !== undefined && r.cpuShares !== 0) {
    groups.push({ controller: 'cpu', writes: [{ resource: 'cpuShares', candidates: one('cpu.shares', r.cpuShares), ifMissing: 'error' }] });
  }

  const cpuset: CgroupFileWrite[] = [];
  if (r.cpusetMems !== undefined) cpuset.push({ resource: 'cpusetMems', candidates: one('cpuset.mems', r.cpusetMems), ifMissing: 'error' });
  if (r.cpusetCpus !== undefined) cpuset.push({ resource: 'cpusetCpus', candidates: one('cpuset.cpus', r.cpusetCpus), ifMissing: 'error' });
  if (cpuset.length > 0) groups.push({ controller: 'cpuset', writes: cpuset });

  if (r.pidsLimit !== undefined) {
    groups.push({ controller: 'pids', writes: [{ resource: 'pidsLimit', candidates: one('pids.max', r.pidsLimit > 0 ? r.pidsLimit : 'max'), ifMissing: 'error' }] });
  }

  if (r.blkioWeight !== undefined && r.blkioWeight !== 0) {
    const w = String(r.blkioWeight);
    groups.push({
      controller: 'blkio',
      writes: [{ resource: 'blkioWeight', candidates: [{ file: 'blkio.weight', value: w }, { file: 'blkio.bfq.weight', value: w }], ifMissing: 'warn', missingWarning: BLKIO_WARNING }],
    });
  }

  if (r.hugepageLimits && r.hugepageLimits.length > 0) {
    groups.push({
      controller: 'hugetlb',
      writes: r.hugepageLimits.map((h) => ({ resource: 'hugepageLimits' as const, candidates: one(`hugetlb.${h.pageSize}.limit_in_bytes`, h.limit), ifMissing: 'error' as const })),
    });
  }

  return { groups, warnings };
}

/** The v2 files, all in the one cgroup directory. */
export function translateV2(r: CgroupResources): CgroupPlan {
  validateCgroupResources(r);
  const groups: CgroupWriteGroup[] = [];
  const warnings: CgroupWarning[] = [];

  const memory: CgroupFileWrite[] = [];
  if (r.memoryLimit !== undefined) memory.push({ resource: 'memoryLimit', candidates: one('memory.max', r.memoryLimit === -1 ? 'max' : r.memoryLimit), ifMissing: 'error' });
  if (r.memorySwapLimit !== undefined && r.memorySwapLimit !== 0) {
    // v2 limits swap alone; compose and Docker speak of memory+swap.
    const swap = r.memorySwapLimit === -1 ? 'max' : r.memorySwapLimit - (r.memoryLimit as number);
    memory.push({ resource: 'memorySwapLimit', candidates: one('memory.swap.max', swap), ifMissing: 'warn', missingWarning: SWAP_WARNING });
  }
  if (r.memoryReservation !== undefined) memory.push({ resource: 'memoryReservation', candidates: one('memory.low', r.memoryReservation), ifMissing: 'error' });
  if (memory.length > 0) groups.push({ controller: 'memory', writes: memory });

  const cpu: CgroupFileWrite[] = [];
  const { quota, period } = cpuBandwidth(r);
  if (quota !== undefined || period !== undefined) {
    const q = quota === undefined || quota === -1 ? 'max' : String(quota);
    cpu.push({ resource: r.cpus !== undefined ? 'cpus' : quota !== undefined ? 'cpuQuota' : 'cpuPeriod', candidates: one('cpu.max', period === undefined ? q : `${q} ${period}`), ifMissing: 'error' });
  }
  if (r.cpuShares !== undefined && r.cpuShares !== 0) cpu.push({ resource: 'cpuShares', candidates: one('cpu.weight', cpuWeightFromShares(r.cpuShares)), ifMissing: 'error' });
  if (cpu.length > 0) groups.push({ controller: 'cpu', writes: cpu });

  const cpuset: CgroupFileWrite[] = [];
  if (r.cpusetMems !== undefined) cpuset.push({ resource: 'cpusetMems', candidates: one('cpuset.mems', r.cpusetMems), ifMissing: 'error' });
  if (r.cpusetCpus !== undefined) cpuset.push({ resource: 'cpusetCpus', candidates: one('cpuset.cpus', r.cpusetCpus), ifMissing: 'error' });
  if (cpuset.length > 0) groups.push({ controller: 'cpuset', writes: cpuset });

  if (r.pidsLimit !== undefined) {
    groups.push({ controller: 'pids', writes: [{ resource: 'pidsLimit', candidates: one('pids.max', r.pidsLimit > 0 ? r.pidsLimit : 'max'), ifMissing: 'error' }] });
  }

  if (r.blkioWeight !== undefined && r.blkioWeight !== 0) {
    // BFQ takes the v1 scale as is; io.weight (the cost model) has its own 1..10000 scale.
    groups.push({
      controller: 'io',
      writes: [{
        resource: 'blkioWeight',
        candidates: [{ file: 'io.bfq.weight', value: String(r.blkioWeight) }, { file: 'io.weight', value: `default ${ioWeightFromBlkioWeight(r.blkioWeight)}` }],
        ifMissing: 'warn',
        missingWarning: BLKIO_WARNING,
      }],
    });
  }

  if (r.hugepageLimits && r.hugepageLimits.length > 0) {
    groups.push({
      controller: 'hugetlb',
      writes: r.hugepageLimits.map((h) => ({ resource: 'hugepageLimits' as const, candidates: one(`hugetlb.${h.pageSize}.max`, h.limit), ifMissing: 'error' as const })),
    });
  }

  return { groups, warnings };
}

/** The device policy the resources ask for: their rules, or Docker's defaults when they name none. */
export function devicePolicyOf(r: CgroupResources): DevicePolicy {
  return devicePolicy(r.devices ?? deviceRules());
}

/** Controllers a plan needs, in the version's naming. */
export function controllersOf(plan: CgroupPlan): string[] {
  return [...new Set(plan.groups.map((g) => g.controller))];
}
