/** What every cgroup backend (v1 with the hybrid layout, v2) offers a container; created by manager.ts. */
import type { CgroupMode } from './detect.js';
import type { CgroupResources, CgroupWarning } from './resources.js';

export interface CgroupStats {
  /** CPU time of every process in the cgroup, in nanoseconds. */
  cpuUsageNs: number;
  /** Memory charged to the cgroup, page cache included (v1 usage_in_bytes, v2 memory.current). */
  memoryBytes: number;
  /** Infinity when unlimited. */
  memoryLimitBytes: number;
  /** Tasks counted by the pids controller (threads count), or the number of processes without it. */
  pids: number;
  /** Undefined when unlimited or without the pids controller. */
  pidsLimit?: number | undefined;
}

export interface CgroupApplyResult {
  /** Limits that were asked for but that this host cannot apply (swap accounting off, no I/O weight file, ...). */
  warnings: CgroupWarning[];
}

export interface CgroupManager {
  readonly mode: CgroupMode;
  /** Makes the cgroup in every hierarchy it needs. Idempotent. */
  create(): Promise<void>;
  /** Moves a process (and so, later, its children) into the cgroup in every hierarchy. */
  addProcess(pid: number): Promise<void>;
  /**
   * Validates, then installs the device policy (the defaults when
   * `resources.devices` is unset) and writes the limits; can be called again
   * on a running container.
   */
  apply(resources: CgroupResources): Promise<CgroupApplyResult>;
  stats(): Promise<CgroupStats>;
  /** Resolves once every process is frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /**
   * Signals every process in the cgroup. SIGKILL (the default) is repeated
   * until the cgroup is empty (cgroup.kill where present); other signals are
   * delivered once to each process.
   */
  killAll(signal?: NodeJS.Signals | number): Promise<void>;
  /** Whether the kernel's OOM killer killed a process in this cgroup. */
  oomKilled(): Promise<boolean>;
  /** Processes in the cgroup and in any cgroup nested below it. */
  pids(): Promise<number[]>;
  /**
   * Kills whatever is left, detaches the device programs once nothing runs,
   * waits while the kernel says EBUSY (a process not yet reaped), then
   * removes the container's directory in every hierarchy, and the parent
   * when no other container is left in it.
   */
  destroy(): Promise<void>;
  /** The cgroup.procs files a process writes its pid to, to join this cgroup (e.g. for exec). */
  paths(): string[];
}
