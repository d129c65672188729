/**
 * The device filter of a cgroup2 directory: the eBPF program built from a
 * device policy, attached with BPF_F_ALLOW_MULTI (as runc and systemd do, so
 * a program an ancestor holds keeps running too: the kernel allows an access
 * only when every program on the way up allows it). The kernel keeps an
 * attached program alive without our descriptor, so nothing is remembered
 * here: the programs a directory holds are found again with BPF_PROG_QUERY,
 * which lets a restarted engine replace or detach what an earlier one
 * attached.
 */
import * as fs from 'node:fs';
import { SyscallError } from '../../errors/index.js';
import { ERRNO } from '../../errors/errno.js';
import {
  BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE, bpfProgAttach, bpfProgDetach, bpfProgGetFdById, bpfProgLoad, bpfProgQuery,
} from '../../sys/bpf.js';
import { DEVICE_PROGRAM_LICENSE, deviceProgram } from '../devices/ebpf.js';
import type { DevicePolicy } from '../devices/rules.js';
import { syscallError } from './cgroupfs.js';

/** How a manager puts a device policy on a cgroup2 directory; the kernel one below, or a recorder for scratch trees. */
export interface DeviceFilterInstaller {
  /**
   * Attaches a program for `policy`, then detaches every device program the
   * directory held before: between the two both run, so for that moment a
   * device must be allowed by the old and the new policy alike; never by
   * neither.
   */
  replace(dir: string, policy: DevicePolicy): void;
  /** Detaches every device program attached to the directory itself. */
  detachAll(dir: string): void;
}

function withDirectory<T>(dir: string, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    throw syscallError('open', dir, err);
  }
  try {
    return fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function detachIds(dirFd: number, ids: readonly number[], dir: string): void {
  for (const id of ids) {
    let progFd: number;
    try {
      progFd = bpfProgGetFdById(id);
    } catch (err) {
      // Detached and freed by someone else between the query and now.
      if (err instanceof SyscallError && err.errno === ERRNO.ENOENT) continue;
      throw err;
    }
    try {
      bpfProgDetach(dirFd, progFd, BPF_CGROUP_DEVICE, dir);
    } catch (err) {
      if (!(err instanceof SyscallError && err.errno === ERRNO.ENOENT)) throw err;
    } finally {
      fs.closeSync(progFd);
    }
  }
}

export const kernelDeviceFilter: DeviceFilterInstaller = {
  replace(dir, policy) {
    withDirectory(dir, (dirFd) => {
      const before = bpfProgQuery(dirFd, BPF_CGROUP_DEVICE, dir);
      const progFd = bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, deviceProgram(policy), DEVICE_PROGRAM_LICENSE, 'tsc_devices');
      try {
        bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, dir);
      } finally {
        // Attached, the kernel holds its own reference; not attached, this was the last one.
        fs.closeSync(progFd);
      }
      detachIds(dirFd, before, dir);
    });
  },
  detachAll(dir) {
    withDirectory(dir, (dirFd) => detachIds(dirFd, bpfProgQuery(dirFd, BPF_CGROUP_DEVICE, dir), dir));
  },
};
