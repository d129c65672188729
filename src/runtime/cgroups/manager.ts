/**
 * Cgroups behind one interface, by file writes only. The layout is read from
 * /proc/self/mountinfo: cgroup v2 (unified), v1, or the hybrid layout (v1
 * controllers plus an empty cgroup2 at /sys/fs/cgroup/unified), where
 * resources go through the v1 controllers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TscComposeError } from '../../errors/index.js';

export interface CgroupResources {
  memoryLimit?: number | undefined;
  /** compose's memswap_limit: memory + swap; -1 is unlimited. */
  memorySwapLimit?: number | undefined;
  memoryReservation?: number | undefined;
  /** `cpus: 0.5` → quota 50000 per period 100000. */
  cpus?: number | undefined;
  cpuShares?: number | undefined;
  cpusetCpus?: string | undefined;
  pidsLimit?: number | undefined;
  blkioWeight?: number | undefined;
}

export interface CgroupStats {
  memoryBytes: number;
  pids: number;
  cpuUsageNs: number;
}

export interface CgroupManager {
  readonly version: 'v1' | 'v2';
  create(): void;
  addProcess(pid: number): void;
  apply(resources: CgroupResources): void;
  /** The cgroup.procs files a process must be written to, to join this cgroup. */
  procsFiles(): string[];
  pids(): number[];
  stats(): CgroupStats;
  oomKilled(): boolean;
  freeze(): void;
  thaw(): void;
  destroy(): Promise<void>;
}

export type CgroupLayout = { kind: 'v2'; root: string } | { kind: 'v1'; controllers: Map<string, string> };

/** Reads which hierarchies are mounted where. */
export function detectCgroupLayout(mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): CgroupLayout {
  const controllers = new Map<string, string>();
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4] as string;
    const [fstype, , options = ''] = right.split(' ');
    if (fstype === 'cgroup2') unified ??= mountPoint;
    if (fstype === 'cgroup') {
      for (const opt of options.split(',')) {
        if (['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'freezer', 'devices'].includes(opt) && !controllers.has(opt)) controllers.set(opt, mountPoint);
      }
    }
  }
  if (controllers.size > 0) return { kind: 'v1', controllers };
  if (unified) return { kind: 'v2', root: unified };
  throw new TscComposeError('TSC_CGROUPS', 'unavailable', 'no cgroup file system is mounted');
}

function write(file: string, value: string | number): void {
  try {
    fs.writeFileSync(file, String(value));
  } catch (err) {
    throw new TscComposeError('TSC_CGROUP_WRITE', 'internal', `failed to write ${value} to ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, { cause: err });
  }
}

function readNumber(file: string): number {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text === 'max' ? Number.POSITIVE_INFINITY : Number(text.split(/\s+/)[0]);
  } catch {
    return 0;
  }
}

function readPids(file: string): number[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function removeDir(dir: string, pidsOf: () => number[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw err;
      for (const pid of pidsOf()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sleep(20);
    }
  }
  throw new TscComposeError('TSC_CGROUP_BUSY', 'internal', `cgroup ${dir} is still busy after its processes were killed`);
}

/** The shared parent goes with its last container (another container may still be in it). */
function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // still in use, or already gone
  }
}

class V1Manager implements CgroupManager {
  readonly version = 'v1' as const;
  private readonly dirs = new Map<string, string>();
  private readonly mounts: Map<string, string>;

  constructor(controllers: Map<string, string>, parent: string, name: string) {
    this.mounts = controllers;
    for (const [controller, mount] of controllers) this.dirs.set(controller, path.join(mount, parent, name));
  }

  private uniqueDirs(): string[] {
    return [...new Set(this.dirs.values())];
  }

  create(): void {
    for (const dir of this.uniqueDirs()) fs.mkdirSync(dir, { recursive: true });
    // cpuset children start empty: copy cpus and mems down from the hierarchy root or no task can join.
    const cpuset = this.dirs.get('cpuset');
    const mount = this.mounts.get('cpuset');
    if (cpuset && mount) {
      const chain: string[] = [];
      for (let d = cpuset; d !== mount && d.startsWith(mount); d = path.dirname(d)) chain.unshift(d);
      for (const d of chain) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (fs.readFileSync(path.join(d, f), 'utf8').trim() === '') write(path.join(d, f), fs.readFileSync(path.join(path.dirname(d), f), 'utf8').trim());
        }
      }
    }
  }

  addProcess(pid: number): void {
    for (const file of this.procsFiles()) write(file, pid);
  }

  procsFiles(): string[] {
    return this.uniqueDirs().map((d) => path.join(d, 'cgroup.procs'));
  }

  apply(r: CgroupResources): void {
    const mem = this.dirs.get('memory');
    if (mem) {
      if (r.memoryLimit !== undefined) write(path.join(mem, 'memory.limit_in_bytes'), r.memoryLimit);
      if (r.memoryReservation !== undefined) write(path.join(mem, 'memory.soft_limit_in_bytes'), r.memoryReservation);
      const memsw = path.join(mem, 'memory.memsw.limit_in_bytes');
      if (fs.existsSync(memsw) && r.memorySwapLimit !== undefined) write(memsw, r.memorySwapLimit === -1 ? -1 : r.memorySwapLimit);
    }
    const cpu = this.dirs.get('cpu');
    if (cpu) {
      if (r.cpus !== undefined && r.cpus > 0) {
        write(path.join(cpu, 'cpu.cfs_period_us'), 100_000);
        write(path.join(cpu, 'cpu.cfs_quota_us'), Math.round(r.cpus * 100_000));
      }
      if (r.cpuShares !== undefined) write(path.join(cpu, 'cpu.shares'), r.cpuShares);
    }
    const cpuset = this.dirs.get('cpuset');
    if (cpuset && r.cpusetCpus) write(path.join(cpuset, 'cpuset.cpus'), r.cpusetCpus);
    const pids = this.dirs.get('pids');
    if (pids && r.pidsLimit !== undefined) write(path.join(pids, 'pids.max'), r.pidsLimit > 0 ? r.pidsLimit : 'max');
    const blkio = this.dirs.get('blkio');
    if (blkio && r.blkioWeight !== undefined && fs.existsSync(path.join(blkio, 'blkio.weight'))) write(path.join(blkio, 'blkio.weight'), r.blkioWeight);
  }

  pids(): number[] {
    const dir = this.dirs.get('pids') ?? this.dirs.get('memory') ?? this.uniqueDirs()[0];
    return dir ? readPids(path.join(dir, 'cgroup.procs')) : [];
  }

  stats(): CgroupStats {
    const mem = this.dirs.get('memory');
    const acct = this.dirs.get('cpuacct');
    return {
      memoryBytes: mem ? readNumber(path.join(mem, 'memory.usage_in_bytes')) : 0,
      pids: this.pids().length,
      cpuUsageNs: acct ? readNumber(path.join(acct, 'cpuacct.usage')) : 0,
    };
  }

  oomKilled(): boolean {
    const mem = this.dirs.get('memory');
    if (!mem) return false;
    try {
      const m = /oom_kill (\d+)/.exec(fs.readFileSync(path.join(mem, 'memory.oom_control'), 'utf8'));
      return m !== null && Number(m[1]) > 0;
    } catch {
      return false;
    }
  }

  freeze(): void {
    const f = this.dirs.get('freezer');
    if (f) write(path.join(f, 'freezer.state'), 'FROZEN');
  }

  thaw(): void {
    const f = this.dirs.get('freezer');
    if (f && fs.existsSync(f)) write(path.join(f, 'freezer.state'), 'THAWED');
  }

  async destroy(): Promise<void> {
    this.thaw();
    for (const dir of this.uniqueDirs()) {
      await removeDir(dir, () => readPids(path.join(dir, 'cgroup.procs')));
      removeIfEmpty(path.dirname(dir));
    }
  }
}

class V2Manager implements CgroupManager {
  readonly version = 'v2' as const;
  private readonly dir: string;

  constructor(private readonly root: string, private readonly parent: string, name: string) {
    this.dir = path.join(root, parent, name);
  }

  create(): void {
    const parentDir = path.join(this.root, this.parent);
    fs.mkdirSync(parentDir, { recursive: true });
    // Delegate every available controller down to the container's cgroup.
    const available = fs.readFileSync(path.join(this.root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const dir of [this.root, parentDir]) {
      const wanted = available.filter((c) => ['cpu', 'memory', 'pids', 'io', 'cpuset'].includes(c));
      if (wanted.length > 0) {
        try {
          fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
        } catch {
          // A controller may be busy at the root (e.g. a process there); resources then stay unlimited.
        }
      }
    }
    fs.mkdirSync(this.dir, { recursive: true });
  }

  addProcess(pid: number): void {
    write(path.join(this.dir, 'cgroup.procs'), pid);
  }

  procsFiles(): string[] {
    return [path.join(this.dir, 'cgroup.procs')];
  }

  apply(r: CgroupResources): void {
    const set = (file: string, value: string | number): void => write(path.join(this.dir, file), value);
    if (r.memoryLimit !== undefined) set('memory.max', r.memoryLimit);
    if (r.memoryReservation !== undefined) set('memory.low', r.memoryReservation);
    if (r.memorySwapLimit !== undefined) {
      set('memory.swap.max', r.memorySwapLimit === -1 ? 'max' : Math.max(0, r.memorySwapLimit - (r.memoryLimit ?? 0)));
    }
    if (r.cpus !== undefined && r.cpus > 0) set('cpu.max', `${Math.round(r.cpus * 100_000)} 100000`);
    // runc's conversion of cpu.shares (2..262144) to cpu.weight (1..10000).
    if (r.cpuShares !== undefined) set('cpu.weight', 1 + Math.floor(((r.cpuShares - 2) * 9999) / 262142));
    if (r.cpusetCpus) set('cpuset.cpus', r.cpusetCpus);
    if (r.pidsLimit !== undefined) set('pids.max', r.pidsLimit > 0 ? r.pidsLimit : 'max');
    if (r.blkioWeight !== undefined) set('io.weight', `default ${1 + Math.floor(((r.blkioWeight - 10) * 9999) / 990)}`);
  }

  pids(): number[] {
    return readPids(path.join(this.dir, 'cgroup.procs'));
  }

  stats(): CgroupStats {
    const usage = /usage_usec (\d+)/.exec(fs.existsSync(path.join(this.dir, 'cpu.stat')) ? fs.readFileSync(path.join(this.dir, 'cpu.stat'), 'utf8') : '');
    return {
      memoryBytes: readNumber(path.join(this.dir, 'memory.current')),
      pids: this.pids().length,
      cpuUsageNs: usage ? Number(usage[1]) * 1000 : 0,
    };
  }

  oomKilled(): boolean {
    try {
      const m = /oom_kill (\d+)/.exec(fs.readFileSync(path.join(this.dir, 'memory.events'), 'utf8'));
      return m !== null && Number(m[1]) > 0;
    } catch {
      return false;
    }
  }

  freeze(): void {
    write(path.join(this.dir, 'cgroup.freeze'), 1);
  }

  thaw(): void {
    if (fs.existsSync(path.join(this.dir, 'cgroup.freeze'))) write(path.join(this.dir, 'cgroup.freeze'), 0);
  }

  async destroy(): Promise<void> {
    if (!fs.existsSync(this.dir)) return;
    this.thaw();
    const kill = path.join(this.dir, 'cgroup.kill');
    if (fs.existsSync(kill) && this.pids().length > 0) write(kill, 1);
    await removeDir(this.dir, () => this.pids());
    removeIfEmpty(path.dirname(this.dir));
  }
}

export function createCgroupManager(opts: { parent: string; name: string; layout?: CgroupLayout }): CgroupManager {
  const layout = opts.layout ?? detectCgroupLayout();
  return layout.kind === 'v1' ? new V1Manager(layout.controllers, opts.parent, opts.name) : new V2Manager(layout.root, opts.parent, opts.name);
}
