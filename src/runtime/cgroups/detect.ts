/**
 * Which cgroup hierarchies the host mounts, and where. Three layouts exist in
 * the wild: pure v1 (one hierarchy per controller or per co-mounted group),
 * pure v2 (one unified hierarchy), and the "hybrid" layout systemd used for
 * years: v1 controller hierarchies plus a cgroup2 mount (usually
 * /sys/fs/cgroup/unified) that only tracks processes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TscComposeError } from '../../errors/index.js';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 controller name → mount point of its hierarchy (co-mounted controllers share one). Empty in v2 mode. */
  v1: Map<string, string>;
  /** The cgroup2 mount point: the whole tree in v2 mode, the process-tracking tree in hybrid mode. */
  unified?: string | undefined;
}

/**
 * The v1 controllers a container cgroup uses. Named hierarchies
 * (`name=systemd`) belong to the init system and are deliberately absent.
 */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb'] as const;

/** mountinfo and /proc/mounts escape space, tab, newline and backslash as octal. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

interface CgroupMount {
  mountPoint: string;
  fstype: 'cgroup' | 'cgroup2';
  superOptions: string[];
}

function parseMountinfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> [optional fields...] - <fstype> <source> <super options>"
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const fstype = right[0];
    const mountPoint = left[4];
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || mountPoint === undefined) continue;
    out.push({ mountPoint: unescapeMountField(mountPoint), fstype, superOptions: (right[2] ?? '').split(',') });
  }
  return out;
}

function parseProcMounts(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    // "<source> <mount point> <fstype> <options> <dump> <pass>"
    const [, mountPoint, fstype, options = ''] = line.split(' ');
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || mountPoint === undefined) continue;
    out.push({ mountPoint: unescapeMountField(mountPoint), fstype, superOptions: options.split(',') });
  }
  return out;
}

function layoutFromMounts(mounts: CgroupMount[]): CgroupLayout {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const m of mounts) {
    if (m.fstype === 'cgroup2') {
      // A bind mount of the same tree may appear later: the first one wins.
      unified ??= m.mountPoint;
      continue;
    }
    for (const opt of m.superOptions) {
      if ((V1_CONTROLLERS as readonly string[]).includes(opt) && !v1.has(opt)) v1.set(opt, m.mountPoint);
    }
  }
  if (v1.size > 0) return { mode: unified !== undefined ? 'hybrid' : 'v1', v1, unified };
  if (unified !== undefined) return { mode: 'v2', v1, unified };
  throw new TscComposeError('TSC_CGROUPS_UNAVAILABLE', 'no cgroup file system is mounted (neither cgroup v1 controllers nor cgroup2)');
}

/**
 * The host's cgroup layout. Reads /proc/self/mountinfo, falling back to
 * /proc/mounts; either text can be given instead (for tests).
 */
export function detectCgroupLayout(source: { mountinfo?: string; mounts?: string } = {}): CgroupLayout {
  if (source.mountinfo !== undefined) return layoutFromMounts(parseMountinfo(source.mountinfo));
  if (source.mounts !== undefined) return layoutFromMounts(parseProcMounts(source.mounts));
  let mountinfo: string | undefined;
  try {
    mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    // Some sandboxes hide mountinfo but not mounts.
  }
  if (mountinfo !== undefined) return layoutFromMounts(parseMountinfo(mountinfo));
  return layoutFromMounts(parseProcMounts(fs.readFileSync('/proc/mounts', 'utf8')));
}

/**
 * The layout of a directory tree shaped like a cgroup mount area, for tests
 * against a scratch tree (or a cgroup2 mount given directly): a directory
 * holding `cgroup.controllers` is a v2 root; otherwise each subdirectory named
 * after controllers (`memory`, `cpu,cpuacct`) is a v1 hierarchy, and a
 * subdirectory holding `cgroup.controllers` (e.g. `unified`) makes it hybrid.
 */
export function layoutOfTree(root: string): CgroupLayout {
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) return { mode: 'v2', v1: new Map(), unified: root };
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch (err) {
    throw new TscComposeError('TSC_CGROUPS_UNAVAILABLE', `cgroup root ${root} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    if (fs.existsSync(path.join(dir, 'cgroup.controllers'))) {
      unified ??= dir;
      continue;
    }
    for (const controller of entry.name.split(',')) {
      if ((V1_CONTROLLERS as readonly string[]).includes(controller) && !v1.has(controller)) v1.set(controller, dir);
    }
  }
  if (v1.size > 0) return { mode: unified !== undefined ? 'hybrid' : 'v1', v1, unified };
  throw new TscComposeError('TSC_CGROUPS_UNAVAILABLE', `${root} holds neither a cgroup2 tree nor v1 controller hierarchies`);
}
