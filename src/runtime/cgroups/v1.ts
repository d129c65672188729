/**
 * cgroup v1 (and the hybrid layout): one directory per container in each
 * controller hierarchy it uses (co-mounted controllers share one), plus, in
 * the hybrid layout, one in the cgroup2 mount for the core features (see
 * manager.ts for why).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SyscallError, TscComposeError } from '../../errors/index.js';
import { V1_CONTROLLERS, type CgroupLayout } from './detect.js';
import {
  codeOf, executePlan, exists, mkdirAll, parseKeyed, parseLimit, readCgroupFile, readProcsRecursive, removeCgroupTree,
  removeEmptyAncestors, signalAll, syscallError, writeCgroupFile, writeCgroupLinesSync,
} from './cgroupfs.js';
import type { DeviceFilterInstaller } from './device-programs.js';
import { v1DeviceWrites } from './devices-v1.js';
import type { CgroupApplyResult, CgroupManager, CgroupStats } from './interface.js';
import { devicePolicyOf, translateV1, translateV2, V2_TO_V1_CONTROLLER, type CgroupPlan, type CgroupResources, type CgroupWarning } from './resources.js';
import { detachDeviceFilterQuietly, enableControllers, UnifiedGroup } from './v2.js';

interface Hierarchy {
  mount: string;
  /** The container's directory in this hierarchy. */
  dir: string;
  controllers: string[];
}

export class V1CgroupManager implements CgroupManager {
  readonly mode: 'v1' | 'hybrid';
  private readonly hierarchies: Hierarchy[] = [];
  private readonly byController = new Map<string, Hierarchy>();
  private readonly unified: { root: string; parentDir: string; group: UnifiedGroup } | undefined;

  constructor(
    layout: CgroupLayout,
    private readonly parent: string,
    private readonly name: string,
    private readonly timeoutMs: number,
    private readonly deviceFilter: DeviceFilterInstaller,
  ) {
    this.mode = layout.unified !== undefined ? 'hybrid' : 'v1';
    const byMount = new Map<string, Hierarchy>();
    for (const controller of V1_CONTROLLERS) {
      const mount = layout.v1.get(controller);
      if (mount === undefined) continue;
      let h = byMount.get(mount);
      if (!h) {
        h = { mount, dir: path.join(mount, parent, name), controllers: [] };
        byMount.set(mount, h);
        this.hierarchies.push(h);
      }
      h.controllers.push(controller);
      this.byController.set(controller, h);
    }
    if (layout.unified !== undefined) {
      const parentDir = path.join(layout.unified, parent);
      this.unified = { root: layout.unified, parentDir, group: new UnifiedGroup(path.join(parentDir, name), timeoutMs) };
    }
  }

  private dirOf(controller: string): string | undefined {
    return this.byController.get(controller)?.dir;
  }

  async create(): Promise<void> {
    for (const h of this.hierarchies) {
      await mkdirAll(h.dir);
      if (h.controllers.includes('cpuset')) await this.inheritCpuset(h);
    }
    if (this.unified) await mkdirAll(this.unified.group.dir);
  }

  /**
   * A new v1 cpuset starts with no CPUs and no memory nodes, and no task can
   * join it (ENOSPC): copy them down from each parent, top to bottom.
   */
  private async inheritCpuset(h: Hierarchy): Promise<void> {
    const chain: string[] = [];
    for (let d = h.dir; d !== h.mount && d.startsWith(h.mount + path.sep); d = path.dirname(d)) chain.unshift(d);
    for (const dir of chain) {
      for (const file of ['cpuset.mems', 'cpuset.cpus']) {
        const own = (await readCgroupFile(path.join(dir, file)))?.trim();
        if (own !== '') continue;
        const inherited = (await readCgroupFile(path.join(path.dirname(dir), file)))?.trim();
        if (inherited) await writeCgroupFile(path.join(dir, file), inherited);
      }
    }
  }

  async addProcess(pid: number): Promise<void> {
    for (const file of this.paths()) await writeCgroupFile(file, pid);
  }

  paths(): string[] {
    const out = this.hierarchies.map((h) => path.join(h.dir, 'cgroup.procs'));
    if (this.unified) out.push(path.join(this.unified.group.dir, 'cgroup.procs'));
    return out;
  }

  /**
   * The device policy goes to the v1 devices controller and, in the hybrid
   * layout, also to the cgroup2 group as an eBPF program: the kernel asks
   * both (the program first) on every open and mknod of a device node, so
   * each wall holds on its own.
   */
  private applyDevices(resources: CgroupResources): CgroupWarning[] {
    const policy = devicePolicyOf(resources);
    const dir = this.dirOf('devices');
    if (dir === undefined && !this.unified) {
      throw new TscComposeError('TSC_CGROUP_CONTROLLER_MISSING', 'devices cannot be enforced: there is no v1 devices hierarchy and no cgroup2 mount for a device program');
    }
    if (dir !== undefined) {
      let list: string;
      try {
        list = fs.readFileSync(path.join(dir, 'devices.list'), 'utf8');
      } catch (err) {
        if (codeOf(err) === 'ENOENT') throw new TscComposeError('TSC_CGROUP_CONTROLLER_MISSING', `devices cannot be enforced: ${path.join(dir, 'devices.list')} does not exist`);
        throw syscallError('read', path.join(dir, 'devices.list'), err);
      }
      for (const w of v1DeviceWrites(list, policy)) writeCgroupLinesSync(path.join(dir, w.file), w.values);
    }
    if (!this.unified) return [];
    try {
      this.deviceFilter.replace(this.unified.group.dir, policy);
    } catch (err) {
      // The second wall is down (no bpf(2) for us here: a kernel without CONFIG_CGROUP_BPF, a sandbox refusing it); the first holds.
      if (dir === undefined || !(err instanceof SyscallError)) throw err;
      return [{ resource: 'devices', message: `the eBPF device program could not be attached to ${this.unified.group.dir} (${err.message}): the v1 devices controller alone enforces the device rules` }];
    }
    return [];
  }

  async apply(resources: CgroupResources): Promise<CgroupApplyResult> {
    const v1 = translateV1(resources);
    const warnings: CgroupWarning[] = [...this.applyDevices(resources), ...v1.warnings];
    const onV1: CgroupPlan = { groups: [], warnings: [] };
    const onUnified: CgroupPlan = { groups: [], warnings: [] };
    // A controller absent from v1 may live on the cgroup2 mount (the host bound it there): use its v2 files.
    const v2Groups = this.unified ? translateV2(resources).groups : [];
    const unifiedOffers = this.unified ? new Set(((await readCgroupFile(path.join(this.unified.root, 'cgroup.controllers'))) ?? '').trim().split(/\s+/)) : new Set<string>();
    const movedToUnified = new Set<string>();
    for (const g of v2Groups) {
      const v1Name = V2_TO_V1_CONTROLLER[g.controller] ?? g.controller;
      if (!this.byController.has(v1Name) && unifiedOffers.has(g.controller)) {
        onUnified.groups.push(g);
        movedToUnified.add(v1Name);
      }
    }
    for (const g of v1.groups) if (!movedToUnified.has(g.controller)) onV1.groups.push(g);
    warnings.push(...(await executePlan(onV1, (c) => this.dirOf(c))));
    if (this.unified && onUnified.groups.length > 0) {
      const { root, parentDir, group } = this.unified;
      await enableControllers(root, parentDir, onUnified.groups.map((g) => g.controller));
      warnings.push(...(await executePlan(onUnified, () => group.dir)));
    }
    return { warnings };
  }

  /** Every directory of this container, in each hierarchy. */
  private allDirs(): string[] {
    const dirs = this.hierarchies.map((h) => h.dir);
    if (this.unified) dirs.push(this.unified.group.dir);
    return dirs;
  }

  /** The union over all hierarchies: a process half-placed (one write failed) still counts. */
  async pids(): Promise<number[]> {
    const all = new Set<number>();
    for (const pids of await Promise.all(this.allDirs().map((dir) => readProcsRecursive(dir)))) for (const pid of pids) all.add(pid);
    return [...all].sort((a, b) => a - b);
  }

  async stats(): Promise<CgroupStats> {
    const mem = this.dirOf('memory');
    const acct = this.dirOf('cpuacct');
    const pidsDir = this.dirOf('pids');
    let cpuUsageNs = acct ? parseLimit(await readCgroupFile(path.join(acct, 'cpuacct.usage'))) : undefined;
    if (cpuUsageNs === undefined && this.unified) {
      // cgroup2 keeps CPU time (cpu.stat usage_usec) even with no controller attached.
      const usec = parseKeyed(await readCgroupFile(path.join(this.unified.group.dir, 'cpu.stat'))).get('usage_usec');
      if (usec !== undefined) cpuUsageNs = usec * 1000;
    }
    const pidsCurrent = pidsDir ? parseLimit(await readCgroupFile(path.join(pidsDir, 'pids.current'))) : undefined;
    const pidsMax = pidsDir ? parseLimit(await readCgroupFile(path.join(pidsDir, 'pids.max'))) : undefined;
    return {
      cpuUsageNs: cpuUsageNs ?? 0,
      memoryBytes: (mem ? parseLimit(await readCgroupFile(path.join(mem, 'memory.usage_in_bytes'))) : undefined) ?? 0,
      memoryLimitBytes: (mem ? parseLimit(await readCgroupFile(path.join(mem, 'memory.limit_in_bytes'))) : undefined) ?? Number.POSITIVE_INFINITY,
      pids: pidsCurrent ?? (await this.pids()).length,
      pidsLimit: pidsMax === undefined || pidsMax === Number.POSITIVE_INFINITY ? undefined : pidsMax,
    };
  }

  /**
   * v1 counts OOM kills in memory.oom_control (`oom_kill`, Linux 4.13+), not
   * in memory.failcnt (which counts every time usage hit the limit, reclaim
   * included). Older kernels only say `under_oom`.
   */
  async oomKilled(): Promise<boolean> {
    const mem = this.dirOf('memory');
    if (!mem) return false;
    const control = parseKeyed(await readCgroupFile(path.join(mem, 'memory.oom_control')));
    const kills = control.get('oom_kill');
    return kills !== undefined ? kills > 0 : control.get('under_oom') === 1;
  }

  private async useUnifiedFreezer(): Promise<boolean> {
    return this.unified !== undefined && (await this.unified.group.canFreeze());
  }

  async freeze(): Promise<void> {
    if (await this.useUnifiedFreezer()) return (this.unified as { group: UnifiedGroup }).group.freeze();
    const freezer = this.dirOf('freezer');
    if (!freezer) throw new TscComposeError('TSC_CGROUP_NO_FREEZER', 'no freezer: neither a v1 freezer hierarchy nor cgroup.freeze on a cgroup2 mount');
    const state = path.join(freezer, 'freezer.state');
    const deadline = Date.now() + this.timeoutMs;
    // The v1 freezer can linger in FREEZING (a task in uninterruptible sleep); asking again nudges it, as runc does.
    for (;;) {
      await writeCgroupFile(state, 'FROZEN');
      if ((await readCgroupFile(state))?.trim() === 'FROZEN') return;
      if (Date.now() >= deadline) {
        await writeCgroupFile(state, 'THAWED');
        throw new TscComposeError('TSC_CGROUP_FREEZE', `cgroup ${freezer} stayed FREEZING for ${this.timeoutMs} ms`);
      }
      await sleep(5);
    }
  }

  /** Thaws whichever freezer holds the group (both, if both were used). */
  async thaw(): Promise<void> {
    if (this.unified) await this.unified.group.thaw();
    const freezer = this.dirOf('freezer');
    if (!freezer) return;
    const state = path.join(freezer, 'freezer.state');
    const now = (await readCgroupFile(state))?.trim();
    if (now === undefined || now === 'THAWED') return;
    await writeCgroupFile(state, 'THAWED');
  }

  async killAll(signal: NodeJS.Signals | number = 'SIGKILL'): Promise<void> {
    if ((signal === 'SIGKILL' || signal === 9) && this.unified && (await this.unified.group.canKill())) {
      await this.unified.group.kill();
      // Only a process that never made it into the cgroup2 group (a failed addProcess) can be left: the loop below gets it.
      if ((await this.pids()).length === 0) return;
    }
    const canFreeze = (await this.useUnifiedFreezer()) || this.dirOf('freezer') !== undefined;
    await signalAll({
      signal,
      list: () => this.pids(),
      freeze: canFreeze ? () => this.freeze() : undefined,
      thaw: canFreeze ? () => this.thaw() : undefined,
      deadline: Date.now() + this.timeoutMs,
      what: `cgroup ${this.parent}/${this.name}`,
    });
  }

  async destroy(): Promise<void> {
    const dirs = [...this.hierarchies.map((h) => ({ dir: h.dir, root: h.mount }))];
    if (this.unified) dirs.push({ dir: this.unified.group.dir, root: this.unified.root });
    // One hierarchy per controller (a dozen on a hybrid host): each step runs on all of them at once.
    const found = await Promise.all(dirs.map(async (d) => ((await exists(d.dir)) ? d : undefined)));
    const present = found.filter((d): d is (typeof dirs)[number] => d !== undefined);
    if (present.length > 0) {
      try {
        await this.thaw();
      } catch (err) {
        if (codeOf((err as { cause?: unknown }).cause) !== 'ENOENT') throw err;
      }
      if ((await this.pids()).length > 0) await this.killAll('SIGKILL');
    }
    if (this.unified && present.some((d) => d.dir === this.unified?.group.dir)) detachDeviceFilterQuietly(this.deviceFilter, this.unified.group.dir);
    const deadline = Date.now() + this.timeoutMs;
    await Promise.all(
      present.map(({ dir }) =>
        removeCgroupTree(dir, {
          deadline,
          onBusy: async () => {
            if ((await this.pids()).length > 0) await this.killAll('SIGKILL');
          },
        }),
      ),
    );
    await Promise.all(dirs.map(({ dir, root }) => removeEmptyAncestors(path.dirname(dir), root)));
  }
}
