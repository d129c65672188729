/**
 * Host device nodes a container is given (`devices:`, or every one with
 * `privileged: true`): each resolved to its type, numbers, mode and owner on
 * the host, so the container gets a node with the same identity in its /dev
 * and the device cgroup allows exactly it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TscComposeError } from '../../errors/index.js';

export interface HostDevice {
  /** Where it appears in the container. */
  path: string;
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** The node's permission bits on the host. */
  fileMode: number;
  uid: number;
  gid: number;
  /** What the device cgroup allows on it: r, w, m (Docker's default rwm). */
  permissions: string;
}

/** Linux's dev_t split (the glibc encoding: 12-bit major and 20-bit minor, extended). */
function numbersOf(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

function nodeOf(hostPath: string, containerPath: string, permissions: string): HostDevice | undefined {
  const st = fs.lstatSync(hostPath, { bigint: true });
  const type = st.isBlockDevice() ? 'b' : st.isCharacterDevice() ? 'c' : undefined;
  if (!type) return undefined;
  return { path: containerPath, type, ...numbersOf(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), permissions };
}

/** `/dev/x`, `/dev/x:/dev/y`, `/dev/x:/dev/y:rwm` as compose's long form gives them. */
export interface DeviceMappingInput {
  source: string;
  target?: string | undefined;
  permissions?: string | undefined;
}

/** A CDI name (`vendor.com/class=name`): resolved through the Container Device Interface, which is not here yet. */
function isCdiName(source: string): boolean {
  return /^[a-z0-9.-]+\/[a-zA-Z0-9_.-]+=[a-zA-Z0-9_.:-]+$/.test(source);
}

/**
 * The device nodes `devices:` names. A directory gives every device node
 * below it, at the same place under the target (as Docker does for /dev/snd).
 * A missing path, one that is not a device, bad permissions and CDI names
 * are errors naming the service.
 */
export function mappedDevices(mappings: readonly DeviceMappingInput[] | undefined, service: string): HostDevice[] {
  const out: HostDevice[] = [];
  for (const m of mappings ?? []) {
    const where = `devices: "${m.source}"`;
    if (isCdiName(m.source)) throw new TscComposeError('TSC_DEVICE_UNSUPPORTED', `${where}: CDI device names are not supported yet`, { service });
    const permissions = m.permissions ?? 'rwm';
    if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions)) throw new TscComposeError('TSC_DEVICE_INVALID', `${where}: permissions "${permissions}" must be made of r, w and m`, { service });
    if (!path.isAbsolute(m.source)) throw new TscComposeError('TSC_DEVICE_INVALID', `${where}: the host path must be absolute`, { service });
    const target = m.target ?? m.source;
    if (!path.isAbsolute(target)) throw new TscComposeError('TSC_DEVICE_INVALID', `${where}: the container path "${target}" must be absolute`, { service });
    let st: fs.Stats;
    try {
      st = fs.statSync(m.source);
    } catch {
      throw new TscComposeError('TSC_DEVICE_NOT_FOUND', `${where}: no such device on the host`, { service });
    }
    if (st.isDirectory()) {
      for (const entry of fs.readdirSync(m.source, { recursive: true, encoding: 'utf8' })) {
        const node = nodeOf(path.join(m.source, entry), path.join(target, entry), permissions);
        if (node) out.push(node);
      }
      continue;
    }
    const node = nodeOf(fs.realpathSync(m.source), target, permissions);
    if (!node) throw new TscComposeError('TSC_DEVICE_INVALID', `${where}: not a character or block device`, { service });
    out.push(node);
  }
  return out;
}

/** Mounted under /dev in every container already, or not devices at all: a privileged container keeps its own. */
const OWN_BELOW_DEV = new Set(['pts', 'shm', 'mqueue', 'hugepages', 'console', 'ptmx', 'null', 'zero', 'full', 'random', 'urandom', 'tty']);

/** Every device node of the host's /dev, for `privileged: true` (as Docker gives it the host's devices). */
export function allHostDevices(devDir = '/dev'): HostDevice[] {
  const out: HostDevice[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(devDir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && OWN_BELOW_DEV.has(e.name)) continue;
      if (e.isDirectory()) walk(child);
      else if (e.isBlockDevice() || e.isCharacterDevice()) {
        try {
          const node = nodeOf(path.join(devDir, child), `/dev/${child}`, 'rwm');
          if (node) out.push(node);
        } catch {
          // gone meanwhile
        }
      }
    }
  };
  walk('');
  return out;
}
