/**
 * Containers for the process-boundary tests: a busybox rootfs as the one
 * image layer, a Docker-like ProcessSpec per container, and a cleanup that
 * kills whatever is still running and removes every directory, also when a
 * test failed half way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeBusyboxRootfs } from './busybox.js';
import type { BusyboxRootfs } from './busybox.js';
import { isLiveProcess } from '../../src/sys/process.js';
import { capabilitySets, spawnContainerProcess, readLogs, waitForExit, readPidFile } from '../../src/runtime/process/index.js';
import type { ContainerProcess, ExitStatus, LogEntry, ProcessSpec, SpawnHooks, SpawnOptions } from '../../src/runtime/process/index.js';

export const MASKED_PATHS = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface ProcessFixture {
  /** Temporary directory holding every container's files. */
  root: string;
  rootfs: BusyboxRootfs;
  spec(args: string[], overrides?: Partial<ProcessSpec>): ProcessSpec;
  start(spec: ProcessSpec, hooks?: SpawnHooks, options?: SpawnOptions): Promise<ContainerProcess>;
  /** Starts, waits for the exit, and returns the status and the log. */
  run(args: string[], overrides?: Partial<ProcessSpec>): Promise<{ status: ExitStatus; stdout: string; stderr: string; entries: LogEntry[]; spec: ProcessSpec }>;
  logs(spec: ProcessSpec): Promise<LogEntry[]>;
  cleanup(): Promise<void>;
}

export function textOf(entries: LogEntry[], stream: 'stdout' | 'stderr'): string {
  return entries
    .filter((e) => e.stream === stream)
    .map((e) => (e.partial ? e.line : `${e.line}\n`))
    .join('');
}

export function dockerLikeSpec(dir: string, lower: string, args: string[]): ProcessSpec {
  const node = (name: string, major: number, minor: number) => ({ kind: 'mknod' as const, path: `/dev/${name}`, type: 'c' as const, major, minor, fileMode: 0o666 });
  return {
    namespaces: { pid: 'new', mnt: 'new', uts: 'new', ipc: 'new', net: 'new', cgroup: 'new' },
    rootfs: { type: 'overlay', lowerdirs: [lower], upperdir: path.join(dir, 'upper'), workdir: path.join(dir, 'work'), target: path.join(dir, 'rootfs') },
    mounts: [
      { source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'noexec', 'nodev'], mkdir: 'dir' },
      { source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: ['nosuid', 'strictatime'], data: 'mode=755,size=65536k', mkdir: 'dir' },
      { source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: ['nosuid', 'noexec'], data: 'newinstance,ptmxmode=0666,mode=0620,gid=5', mkdir: 'dir' },
      { source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: ['nosuid', 'noexec', 'nodev'], data: 'mode=1777,size=65536k', mkdir: 'dir' },
      { source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: ['nosuid', 'noexec', 'nodev'], mkdir: 'dir' },
      { source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: ['nosuid', 'noexec', 'nodev', 'ro'], mkdir: 'dir' },
    ],
    devices: [node('null', 1, 3), node('zero', 1, 5), node('full', 1, 7), node('random', 1, 8), node('urandom', 1, 9), node('tty', 5, 0)],
    symlinks: [
      { target: '/proc/self/fd', link: '/dev/fd' },
      { target: '/proc/self/fd/0', link: '/dev/stdin' },
      { target: '/proc/self/fd/1', link: '/dev/stdout' },
      { target: '/proc/self/fd/2', link: '/dev/stderr' },
      { target: 'pts/ptmx', link: '/dev/ptmx' },
    ],
    maskedPaths: MASKED_PATHS,
    readonlyPaths: READONLY_PATHS,
    hostname: 'box',
    capabilities: capabilitySets(),
    noNewPrivileges: true,
    user: { uid: 0, gid: 0 },
    cwd: '/',
    env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    args,
    logFile: path.join(dir, 'container.log'),
    statusFile: path.join(dir, 'run', 'status'),
    stateDir: path.join(dir, 'run'),
  };
}

async function killAndWait(spec: ProcessSpec): Promise<void> {
  const pids = readPidFile(path.join(spec.stateDir, 'pid'));
  if (!pids) return;
  if (isLiveProcess(pids.containerPid)) {
    try {
      process.kill(pids.containerPid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await waitForExit(spec.statusFile, { monitorPid: pids.monitorPid, timeoutMs: 5000 });
  for (let i = 0; i < 200 && isLiveProcess(pids.monitorPid); i++) await sleep(10);
}

export async function processFixture(): Promise<ProcessFixture> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-proc-'));
  let rootfs: BusyboxRootfs;
  try {
    rootfs = makeBusyboxRootfs();
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const made: ProcessSpec[] = [];
  const fx: ProcessFixture = {
    root,
    rootfs,
    spec(args, overrides = {}) {
      const dir = path.join(root, `c${randomBytes(5).toString('hex')}`);
      for (const d of ['upper', 'work', 'rootfs', 'run']) fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
      const spec = { ...dockerLikeSpec(dir, rootfs.dir, args), ...overrides };
      made.push(spec);
      return spec;
    },
    start(spec, hooks, options) {
      return spawnContainerProcess(spec, hooks, options);
    },
    async logs(spec) {
      const entries: LogEntry[] = [];
      for await (const e of readLogs(spec.logFile)) entries.push(e);
      return entries;
    },
    async run(args, overrides) {
      const spec = fx.spec(args, overrides);
      const started = await fx.start(spec);
      const status = await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 20_000 });
      if (!status) throw new Error(`no exit status for ${args.join(' ')}`);
      await started.waitMonitorExit();
      const entries = await fx.logs(spec);
      return { status, stdout: textOf(entries, 'stdout'), stderr: textOf(entries, 'stderr'), entries, spec };
    },
    async cleanup() {
      for (const spec of made) await killAndWait(spec);
      rootfs.remove();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return fx;
}
