/**
 * Containers for the process-boundary tests: a busybox rootfs as the one
 * image layer, each container's ProcessSpec made by the runtime's own
 * builder (containerProcessSpec, as Runtime.start makes it, without the
 * cgroup), started through spawnContainerProcess; and a cleanup that kills
 * whatever is still running and removes every directory, also when a test
 * failed half way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeBusyboxRootfs } from './busybox.js';
import type { BusyboxRootfs } from './busybox.js';
import { busyboxConfig } from './runtime-fixture.js';
import { isLiveProcess } from '../../src/sys/process.js';
import { Runtime, containerProcessSpec } from '../../src/runtime/container.js';
import type { ContainerConfig, ContainerIo } from '../../src/runtime/container.js';
import { stateLayout } from '../../src/state/roots.js';
import { DEFAULT_PATH } from '../../src/runtime/process-defaults.js';
import { spawnContainerProcess, readLogs, waitForExit, readPidFile, stateFiles } from '../../src/runtime/process/index.js';
import type { ContainerProcess, ExitStatus, LogEntry, ProcessSpec, SpawnHooks, SpawnOptions } from '../../src/runtime/process/index.js';

export interface ProcessFixture {
  /** Temporary directory holding every container's files. */
  root: string;
  rootfs: BusyboxRootfs;
  /** The ProcessSpec of a new busybox container (configuration `overrides` on the engine's defaults). */
  spec(args: string[], overrides?: Partial<ContainerConfig>, io?: ContainerIo): ProcessSpec;
  start(spec: ProcessSpec, hooks?: SpawnHooks, options?: SpawnOptions): Promise<ContainerProcess>;
  /** Starts, waits for the exit, and returns the status and the log. */
  run(args: string[], overrides?: Partial<ContainerConfig>, io?: ContainerIo): Promise<{ status: ExitStatus; stdout: string; stderr: string; entries: LogEntry[]; spec: ProcessSpec }>;
  logs(spec: ProcessSpec): Promise<LogEntry[]>;
  cleanup(): Promise<void>;
}

export function textOf(entries: LogEntry[], stream: 'stdout' | 'stderr'): string {
  return entries
    .filter((e) => e.stream === stream)
    .map((e) => (e.partial ? e.line : `${e.line}\n`))
    .join('');
}

async function killAndWait(spec: ProcessSpec): Promise<void> {
  const pids = readPidFile(stateFiles(spec.stateDir).pid);
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

export function processFixture(): Promise<ProcessFixture> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-proc-'));
  let rootfs: BusyboxRootfs;
  try {
    rootfs = makeBusyboxRootfs();
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const runtime = new Runtime(stateLayout({ dataRoot: root, runRoot: path.join(root, 'run') }));
  const made: ProcessSpec[] = [];
  const fx: ProcessFixture = {
    root,
    rootfs,
    spec(args, overrides = {}, io = {}) {
      const id = `c${randomBytes(5).toString('hex')}`;
      const config = busyboxConfig(root, id, { reference: 'busybox:test', lowerDirs: [rootfs.dir] }, args, { env: [`PATH=${DEFAULT_PATH}`, 'HOME=/root'], ...overrides });
      runtime.create(config);
      const spec = containerProcessSpec(config, runtime.paths(id), io);
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
    async run(args, overrides, io) {
      const spec = fx.spec(args, overrides, io);
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
  return Promise.resolve(fx);
}
