/**
 * cgroup v2: one directory per container under one tree. Controllers must be
 * switched on in cgroup.subtree_control of every ancestor before their files
 * appear in the container's directory; the core files (cgroup.procs,
 * cgroup.freeze, cgroup.kill, cgroup.events) are always there. There is no
 * device controller: the device policy is an eBPF program attached to the
 * directory (device-programs.ts). The UnifiedGroup half of this module is
 * also what the hybrid layout uses.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as path from 'node:path';
import { TscComposeError } from '../../errors/index.js';
import {
  codeOf, executePlan, mkdirAll, parseKeyed, parseLimit, readCgroupFile, readProcsRecursive, removeCgroupTree,
  removeEmptyAncestors, signalAll, writeCgroupFile, exists,
} from './cgroupfs.js';
import type { CgroupApplyResult, CgroupManager, CgroupStats } from './interface.js';
import type { DeviceFilterInstaller } from './device-programs.js';
import { controllersOf, devicePolicyOf, translateV2, type CgroupResources } from './resources.js';

/**
 * Controllers switched on for every container, so that stats work and limits
 * can be applied later. cpuset and hugetlb are switched on only when a
 * container asks for them.
 */
export const V2_CORE_CONTROLLERS = ['cpu', 'io', 'memory', 'pids'] as const;

const words = (text: string | undefined): string[] => (text ?? '').trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^\+/, ''));

/**
 * Switches controllers on from the tree's root down to `parentDir` (made if
 * missing), wherever the level offers them and they are not on already.
 * Returns the controllers that reach the children of `parentDir`. A level
 * refusing one (EBUSY: it holds processes itself) leaves it off: applying a
 * limit that needs it then fails by the missing file, naming it.
 */
export async function enableControllers(root: string, parentDir: string, wanted: readonly string[]): Promise<Set<string>> {
  const rel = path.relative(root, parentDir);
  const levels = [root];
  if (rel !== '') for (const part of rel.split(path.sep)) levels.push(path.join(levels[levels.length - 1] as string, part));
  let inherited: Set<string> | undefined;
  for (const level of levels) {
    if (level !== root) await mkdirAll(level);
    const listed = await readCgroupFile(path.join(level, 'cgroup.controllers'));
    // A scratch tree has no kernel to fill cgroup.controllers in: what the level above delegates is what it offers.
    const available = listed !== undefined ? new Set(words(listed)) : (inherited ?? new Set<string>());
    const on = new Set(words(await readCgroupFile(path.join(level, 'cgroup.subtree_control'))));
    const missing = wanted.filter((c) => available.has(c) && !on.has(c));
    if (missing.length > 0) {
      const control = path.join(level, 'cgroup.subtree_control');
      try {
        await writeCgroupFile(control, missing.map((c) => `+${c}`).join(' '));
        for (const c of missing) on.add(c);
      } catch {
        // One refused controller fails the whole write: take them one by one.
        for (const c of missing) {
          try {
            await writeCgroupFile(control, `+${c}`);
            on.add(c);
          } catch {
            // stays off; see above
          }
        }
      }
    }
    inherited = on;
  }
  return inherited ?? new Set();
}

/**
 * Detaches a cgroup's device programs once its processes are gone (never
 * before: that would open the wall while something still runs inside). A
 * failure is not reported: the directory is removed next, and removing a
 * cgroup releases whatever programs it still held (cgroup_bpf_offline), so
 * nothing is left behind either way.
 */
export function detachDeviceFilterQuietly(filter: DeviceFilterInstaller, dir: string): void {
  try {
    filter.detachAll(dir);
  } catch {
    // see above
  }
}

/** The core files of one cgroup2 directory: placement, freeze, kill, events. */
export class UnifiedGroup {
  constructor(readonly dir: string, private readonly timeoutMs: number) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  async events(): Promise<Map<string, number>> {
    return parseKeyed(await readCgroupFile(this.file('cgroup.events')));
  }

  canFreeze(): Promise<boolean> {
    return exists(this.file('cgroup.freeze'));
  }

  canKill(): Promise<boolean> {
    return exists(this.file('cgroup.kill'));
  }

  async freeze(): Promise<void> {
    await writeCgroupFile(this.file('cgroup.freeze'), '1');
    const deadline = Date.now() + this.timeoutMs;
    while ((await this.events()).get('frozen') !== 1) {
      if (Date.now() >= deadline) {
        await writeCgroupFile(this.file('cgroup.freeze'), '0');
        throw new TscComposeError('TSC_CGROUP_FREEZE', `cgroup ${this.dir} did not freeze within ${this.timeoutMs} ms`);
      }
      await sleep(5);
    }
  }

  /** Thaws if frozen; nothing to do for a group without the freeze file (gone, or an old kernel). */
  async thaw(): Promise<void> {
    if (!(await this.canFreeze())) return;
    await writeCgroupFile(this.file('cgroup.freeze'), '0');
    const deadline = Date.now() + this.timeoutMs;
    while ((await this.events()).get('frozen') === 1 && Date.now() < deadline) await sleep(5);
  }

  /** cgroup.kill: SIGKILL to every process below, atomically with respect to fork; then waits for the group to empty. */
  async kill(): Promise<void> {
    await writeCgroupFile(this.file('cgroup.kill'), '1');
    const deadline = Date.now() + this.timeoutMs;
    while ((await this.events()).get('populated') === 1 || (await readProcsRecursive(this.dir)).length > 0) {
      if (Date.now() >= deadline) {
        throw new TscComposeError('TSC_CGROUP_BUSY', `processes ${(await readProcsRecursive(this.dir)).join(', ')} in ${this.dir} survived cgroup.kill`);
      }
      await sleep(5);
    }
  }
}

export class V2CgroupManager implements CgroupManager {
  readonly mode = 'v2' as const;
  private readonly parentDir: string;
  private readonly dir: string;
  private readonly group: UnifiedGroup;

  constructor(
    private readonly root: string,
    parent: string,
    name: string,
    private readonly timeoutMs: number,
    private readonly deviceFilter: DeviceFilterInstaller,
  ) {
    this.parentDir = path.join(root, parent);
    this.dir = path.join(this.parentDir, name);
    this.group = new UnifiedGroup(this.dir, timeoutMs);
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  async create(): Promise<void> {
    await enableControllers(this.root, this.parentDir, V2_CORE_CONTROLLERS);
    await mkdirAll(this.dir);
  }

  async addProcess(pid: number): Promise<void> {
    await writeCgroupFile(this.file('cgroup.procs'), pid);
  }

  paths(): string[] {
    return [this.file('cgroup.procs')];
  }

  async apply(resources: CgroupResources): Promise<CgroupApplyResult> {
    const plan = translateV2(resources);
    // cgroup v2 has no device controller: the eBPF program is the device cgroup.
    this.deviceFilter.replace(this.dir, devicePolicyOf(resources));
    await enableControllers(this.root, this.parentDir, controllersOf(plan));
    return { warnings: await executePlan(plan, () => this.dir) };
  }

  pids(): Promise<number[]> {
    return readProcsRecursive(this.dir);
  }

  async stats(): Promise<CgroupStats> {
    const cpu = parseKeyed(await readCgroupFile(this.file('cpu.stat')));
    const pidsCurrent = parseLimit(await readCgroupFile(this.file('pids.current')));
    const pidsMax = parseLimit(await readCgroupFile(this.file('pids.max')));
    return {
      cpuUsageNs: (cpu.get('usage_usec') ?? 0) * 1000,
      memoryBytes: parseLimit(await readCgroupFile(this.file('memory.current'))) ?? 0,
      memoryLimitBytes: parseLimit(await readCgroupFile(this.file('memory.max'))) ?? Number.POSITIVE_INFINITY,
      pids: pidsCurrent ?? (await this.pids()).length,
      pidsLimit: pidsMax === undefined || pidsMax === Number.POSITIVE_INFINITY ? undefined : pidsMax,
    };
  }

  async oomKilled(): Promise<boolean> {
    return (parseKeyed(await readCgroupFile(this.file('memory.events'))).get('oom_kill') ?? 0) > 0;
  }

  async freeze(): Promise<void> {
    if (!(await this.group.canFreeze())) {
      throw new TscComposeError('TSC_CGROUP_NO_FREEZER', `${this.file('cgroup.freeze')} does not exist (the v2 freezer needs Linux 5.2)`);
    }
    await this.group.freeze();
  }

  thaw(): Promise<void> {
    return this.group.thaw();
  }

  async killAll(signal: NodeJS.Signals | number = 'SIGKILL'): Promise<void> {
    if ((signal === 'SIGKILL' || signal === 9) && (await this.group.canKill())) return this.group.kill();
    const canFreeze = await this.group.canFreeze();
    await signalAll({
      signal,
      list: () => this.pids(),
      freeze: canFreeze ? () => this.group.freeze() : undefined,
      thaw: canFreeze ? () => this.group.thaw() : undefined,
      deadline: Date.now() + this.timeoutMs,
      what: this.dir,
    });
  }

  async destroy(): Promise<void> {
    if (!(await exists(this.dir))) {
      await removeEmptyAncestors(this.parentDir, this.root);
      return;
    }
    try {
      await this.thaw();
    } catch (err) {
      if (codeOf((err as { cause?: unknown }).cause) !== 'ENOENT') throw err;
    }
    if ((await this.pids()).length > 0) await this.killAll('SIGKILL');
    detachDeviceFilterQuietly(this.deviceFilter, this.dir);
    await removeCgroupTree(this.dir, {
      deadline: Date.now() + this.timeoutMs,
      onBusy: async () => {
        if ((await this.pids()).length > 0) await this.killAll('SIGKILL');
      },
    });
    await removeEmptyAncestors(this.parentDir, this.root);
  }
}
