/**
 * A container's cgroup behind one interface, whatever the host mounts: cgroup
 * v2, v1, or the hybrid layout (v1 controllers plus a controller-less cgroup2
 * mount). Everything is done by writing files; no tool, no library.
 *
 * Hybrid layout, decided: resources go through the v1 controllers (that is
 * where the host put them), and the container is also placed in a group of
 * the cgroup2 mount, as runc does. That gives it the v2 core features: freeze
 * through cgroup.freeze (a frozen v2 group can still be SIGKILLed, unlike the
 * v1 freezer, and it cannot get stuck in FREEZING), kill through cgroup.kill
 * (atomic, no race with fork), and cgroup.events to see it empty. Where the
 * cgroup2 group lacks those files (older kernels), the v1 freezer and a
 * freeze-signal-thaw loop take over. A controller the host moved to cgroup2
 * while the rest stays on v1 (this machine: hugetlb) is written there.
 *
 * Devices, decided: every apply installs a device policy (Docker's defaults
 * unless CgroupResources.devices says otherwise). v1 writes it to the devices
 * controller; v2 attaches it as an eBPF device program to the container's
 * directory; the hybrid layout does both, because the kernel consults the
 * program of a task's cgroup2 group even when no cgroup2 controller is
 * enabled, and then the v1 controller: either alone keeps the wall up.
 *
 * The manager keeps no state beyond its paths: a new one made for the same
 * parent and name (e.g. by an engine restarted while the container ran) finds
 * and controls the same cgroup.
 */
import { TscComposeError } from '../../errors/index.js';
import { detectCgroupLayout, layoutOfTree, type CgroupLayout, type CgroupMode } from './detect.js';
import { kernelDeviceFilter, type DeviceFilterInstaller } from './device-programs.js';
import { V1CgroupManager } from './v1.js';
import { V2CgroupManager } from './v2.js';

export type { CgroupResources } from './resources.js';
export type { CgroupLayout, CgroupMode } from './detect.js';
export type { CgroupManager } from './interface.js';
import type { CgroupManager } from './interface.js';
export { detectCgroupLayout } from './detect.js';

export interface CgroupManagerOptions {
  /**
   * Where the cgroup file systems are, instead of what the host mounts: a
   * cgroup2 root (a directory with cgroup.controllers), or a directory of v1
   * hierarchies (`memory/`, `cpu,cpuacct/`, ... plus `unified/` for hybrid).
   * For tests against a scratch tree or one particular mount.
   */
  root?: string | undefined;
  /** Overrides the detected layout. */
  layout?: CgroupLayout | undefined;
  /**
   * Forces a mode the layout allows: 'v1' on a hybrid host ignores the cgroup2
   * mount; 'v2' on a hybrid host uses the cgroup2 mount alone.
   */
  mode?: CgroupMode | undefined;
  /** Directory under each hierarchy's root shared by the containers, e.g. `tsc-compose`. May be nested (`a/b`). */
  parent: string;
  /** The container's own directory. */
  name: string;
  /** How long destroy/killAll wait for processes to go, and freeze for them to stop (ms). */
  timeoutMs?: number | undefined;
  /**
   * Who puts the device program on cgroup2 directories: the kernel (bpf(2))
   * unless told otherwise. A scratch tree is not a cgroup file system, so
   * tests against one pass a recorder here.
   */
  deviceFilter?: DeviceFilterInstaller | undefined;
}

const SAFE_COMPONENT = /^[A-Za-z0-9_.:@-]+$/;

function checkName(what: string, value: string, allowSlash: boolean): void {
  const parts = allowSlash ? value.split('/') : [value];
  if (value === '' || parts.some((p) => !SAFE_COMPONENT.test(p) || p === '.' || p === '..')) {
    throw new TscComposeError('TSC_CGROUP_NAME', `cgroup ${what} "${value}" must be made of letters, digits and _.:@-${allowSlash ? ' (nested with /)' : ''}`);
  }
}

function resolveLayout(opts: CgroupManagerOptions): CgroupLayout {
  const layout = opts.layout ?? (opts.root !== undefined ? layoutOfTree(opts.root) : detectCgroupLayout());
  if (opts.mode === undefined || opts.mode === layout.mode) return layout;
  if (opts.mode === 'v1' && layout.v1.size > 0) return { mode: 'v1', v1: layout.v1 };
  if (opts.mode === 'v2' && layout.unified !== undefined) return { mode: 'v2', v1: new Map(), unified: layout.unified };
  throw new TscComposeError('TSC_CGROUP_MODE', `cgroup mode ${opts.mode} is not possible on a ${layout.mode} layout`);
}

export function createCgroupManager(opts: CgroupManagerOptions): CgroupManager {
  checkName('parent', opts.parent, true);
  checkName('name', opts.name, false);
  const layout = resolveLayout(opts);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deviceFilter = opts.deviceFilter ?? kernelDeviceFilter;
  if (layout.mode === 'v2') return new V2CgroupManager(layout.unified as string, opts.parent, opts.name, timeoutMs, deviceFilter);
  return new V1CgroupManager(layout, opts.parent, opts.name, timeoutMs, deviceFilter);
}
