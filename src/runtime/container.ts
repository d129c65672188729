/**
 * A container: runtime-level configuration (no compose knowledge) turned into
 * a shim spec with Docker's defaults (/dev, /proc masks, read-only /sys,
 * capability set), its cgroup, its files on disk, and its lifecycle.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TscComposeError } from '../errors/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLiveProcess } from '../sys/process.js';
import { readJsonFile, writeJsonAtomic } from '../util/atomic-file.js';
import type { CgroupResources } from './cgroups/manager.js';
import { createCgroupManager } from './cgroups/manager.js';
import { MS } from './process/spec.js';
import type { ContainerSpec, MountDirective, NamespaceKind } from './process/spec.js';
import { execInContainer, readExitStatus, spawnContainer } from './process/shim.js';
import type { ExitStatus } from './process/shim.js';
import type { StateLayout } from '../state/roots.js';
import * as os from 'node:os';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { encodeExecSpec } from './process/spec.js';
import { executorCommand } from './process/shim.js';
import { parseShimReply, protocolError, startFailure } from './process/protocol.js';

export type NamespaceMode = 'private' | 'host' | { path: string };

export interface UserMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path for bind and volume mounts. */
  source?: string;
  target: string;
  readOnly?: boolean;
  propagation?: string;
  tmpfsSize?: number;
  tmpfsMode?: number;
}

export interface ContainerConfig {
  id: string;
  name: string;
  labels: Record<string, string>;
  image: { reference: string; lowerDirs: string[] };
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  domainname?: string | undefined;
  mounts: UserMount[];
  readOnlyRootfs: boolean;
  init?: boolean | undefined;
  shmSize?: number | undefined;
  namespaces: { net: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode; uts: NamespaceMode };
  resources: CgroupResources;
  capabilities: bigint;
  noNewPrivileges: boolean;
  ulimits: Array<{ name: string; soft: number; hard: number }>;
  sysctls: Record<string, string>;
  oomScoreAdj?: number | undefined;
  privileged: boolean;
  stopSignal: string;
  stopTimeoutMs: number;
  files: { hosts: string; hostname: string; resolvConf: string };
}

export interface ContainerState {
  id: string;
  pid: number;
  monitorPid: number;
  startedAt: string;
}

const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const CGROUP_PARENT = 'tsc-compose';

export class ContainerPaths {
  readonly dataDir: string;
  readonly runDir: string;
  constructor(layout: StateLayout, id: string) {
    this.dataDir = path.join(layout.containers, id);
    this.runDir = path.join(layout.runContainers, id);
  }
  get upper(): string { return path.join(this.dataDir, 'upper'); }
  get work(): string { return path.join(this.dataDir, 'work'); }
  get rootfs(): string { return path.join(this.dataDir, 'rootfs'); }
  get config(): string { return path.join(this.dataDir, 'config.json'); }
  get log(): string { return path.join(this.dataDir, 'container.log'); }
  get state(): string { return path.join(this.runDir, 'state.json'); }
  get status(): string { return path.join(this.runDir, 'status'); }
  get pidFile(): string { return path.join(this.runDir, 'pid'); }
  get spec(): string { return path.join(this.runDir, 'spec'); }
  get shimLog(): string { return path.join(this.runDir, 'shim.log'); }
  /** hostname, hosts, resolv.conf: kept with the container (a reboot empties the run directory). */
  get etc(): string { return path.join(this.dataDir, 'etc'); }
}

function namespaceDirectives(config: ContainerConfig): { create: NamespaceKind[]; join: Array<{ kind: NamespaceKind; path: string }> } {
  const create: NamespaceKind[] = ['mnt', 'cgroup'];
  const join: Array<{ kind: NamespaceKind; path: string }> = [];
  for (const kind of ['net', 'pid', 'ipc', 'uts'] as const) {
    const mode = config.namespaces[kind];
    if (mode === 'private') create.push(kind);
    else if (mode !== 'host') join.push({ kind, path: mode.path });
  }
  return { create, join };
}

export function buildSpec(config: ContainerConfig, paths: ContainerPaths): ContainerSpec {
  const { create, join } = namespaceDirectives(config);
  const ownNet = config.namespaces.net === 'private' || typeof config.namespaces.net === 'object';
  const mounts: MountDirective[] = [
    { source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: '', kind: 'dir' },
    { source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k', kind: 'dir' },
    { source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: MS.NOSUID | MS.NOEXEC, data: 'newinstance,ptmxmode=0666,mode=0620,gid=5', kind: 'dir' },
    { source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: `mode=1777,size=${config.shmSize ?? 64 * 1024 * 1024}`, kind: 'dir' },
    { source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: '', kind: 'dir' },
    ownNet
      ? { source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | (config.privileged ? 0 : MS.RDONLY), data: '', kind: 'dir' }
      : { source: '/sys', target: '/sys', fstype: '', flags: MS.BIND | MS.REC | MS.NOSUID | MS.NOEXEC | MS.NODEV | (config.privileged ? 0 : MS.RDONLY), data: '', kind: 'dir' },
    ...DEVICES.map((d): MountDirective => ({ source: `/dev/${d}`, target: `/dev/${d}`, fstype: '', flags: MS.BIND, data: '', kind: 'file' })),
    { source: config.files.hostname, target: '/etc/hostname', fstype: '', flags: MS.BIND, data: '', kind: 'file' },
    { source: config.files.hosts, target: '/etc/hosts', fstype: '', flags: MS.BIND, data: '', kind: 'file' },
    { source: config.files.resolvConf, target: '/etc/resolv.conf', fstype: '', flags: MS.BIND, data: '', kind: 'file' },
  ];
  for (const m of config.mounts) {
    if (m.type === 'tmpfs') {
      const opts = [m.tmpfsSize ? `size=${m.tmpfsSize}` : '', m.tmpfsMode !== undefined ? `mode=${m.tmpfsMode.toString(8)}` : ''].filter(Boolean).join(',');
      mounts.push({ source: 'tmpfs', target: m.target, fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | (m.readOnly ? MS.RDONLY : 0), data: opts, kind: 'dir' });
      continue;
    }
    const source = m.source as string;
    const isFile = fs.existsSync(source) && !fs.statSync(source).isDirectory();
    const propagation = m.propagation === 'shared' || m.propagation === 'rshared' ? MS.SHARED : m.propagation === 'slave' || m.propagation === 'rslave' ? MS.SLAVE : MS.PRIVATE;
    mounts.push({ source, target: m.target, fstype: '', flags: MS.BIND | MS.REC | propagation | (m.readOnly ? MS.RDONLY : 0), data: '', kind: isFile ? 'file' : 'dir' });
  }
  return {
    namespaces: create.includes('pid') ? create : create,
    join,
    rootfs:
      config.image.lowerDirs.length > 0
        ? { target: paths.rootfs, type: 'overlay', lower: config.image.lowerDirs, upper: paths.upper, work: paths.work }
        : { target: paths.rootfs, type: 'bind' },
    mounts,
    symlinks: [
      { target: '/proc/self/fd', link: '/dev/fd' },
      { target: '/proc/self/fd/0', link: '/dev/stdin' },
      { target: '/proc/self/fd/1', link: '/dev/stdout' },
      { target: '/proc/self/fd/2', link: '/dev/stderr' },
      { target: 'pts/ptmx', link: '/dev/ptmx' },
    ],
    maskedPaths: config.privileged ? [] : MASKED_PATHS,
    readonlyPaths: config.privileged ? [] : READONLY_PATHS,
    readonlyRoot: config.readOnlyRootfs,
    init: config.init === true,
    hostname: config.namespaces.uts === 'private' ? config.hostname : undefined,
    domainname: config.namespaces.uts === 'private' ? config.domainname : undefined,
    sysctls: config.sysctls,
    rlimits: config.ulimits,
    oomScoreAdj: config.oomScoreAdj,
    capabilities: config.capabilities,
    noNewPrivileges: config.noNewPrivileges,
    user: config.user,
    cwd: config.cwd,
    env: config.env,
    args: config.args,
    logFile: paths.log,
    statusFile: paths.status,
    pidFile: paths.pidFile,
  };
}

export class Runtime {
  constructor(private readonly layout: StateLayout) {}

  paths(id: string): ContainerPaths {
    return new ContainerPaths(this.layout, id);
  }

  /** Creates the container's directories and records its configuration (nothing runs yet). */
  create(config: ContainerConfig): void {
    const p = this.paths(config.id);
    for (const dir of [p.dataDir, p.work, p.runDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The upper directory's mode becomes the mode of the container's `/`.
    for (const dir of [p.upper, p.rootfs]) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeJsonAtomic(p.config, { ...config, capabilities: config.capabilities.toString(16) });
  }

  readConfig(id: string): ContainerConfig | undefined {
    const raw = readJsonFile<ContainerConfig & { capabilities: string }>(this.paths(id).config);
    return raw ? { ...raw, capabilities: BigInt(`0x${raw.capabilities}`) } : undefined;
  }

  list(): ContainerConfig[] {
    if (!fs.existsSync(this.layout.containers)) return [];
    return fs.readdirSync(this.layout.containers).map((id) => this.readConfig(id)).filter((c): c is ContainerConfig => c !== undefined);
  }

  /**
   * Starts the container. `stdin` is piped to it; with `terminal`, it gets a
   * terminal whose output comes back on `terminal.output` (and in the log).
   */
  async start(
    config: ContainerConfig,
    service?: string,
    opts: {
      stdin?: NodeJS.ReadableStream;
      terminal?: { rows: number; cols: number; output: NodeJS.WritableStream };
      /** Log rotation by the monitor (logging.options max-size / max-file). */
      log?: { maxSize?: number | undefined; maxFiles?: number | undefined };
    } = {},
  ): Promise<ContainerState & { consoleDone?: Promise<void>; warnings: string[] }> {
    const p = this.paths(config.id);
    // After a reboot the run directory is gone (tmpfs): the container starts again from its data directory.
    fs.mkdirSync(p.runDir, { recursive: true, mode: 0o700 });
    fs.rmSync(p.status, { force: true });
    const cgroup = createCgroupManager({ parent: CGROUP_PARENT, name: config.id });
    await cgroup.create();
    try {
      // Limits this host cannot enforce (no swap accounting, no io weight file) come back as warnings.
      const applied = await cgroup.apply(config.resources);
      const warnings = applied.warnings.map((w) => `${w.resource}: ${w.message}`);
      const tty = opts.terminal ? { rows: opts.terminal.rows, cols: opts.terminal.cols, winsizeFile: path.join(p.runDir, 'winsize') } : undefined;
      const rotation = opts.log?.maxSize ? { logMaxSize: opts.log.maxSize, logMaxFiles: opts.log.maxFiles ?? 1 } : {};
      const spec = { ...buildSpec(config, p), ...rotation, stdinFromEngine: opts.stdin !== undefined, tty };
      const started = await spawnContainer(spec, p.spec, p.shimLog, (pid) => cgroup.addProcess(pid), service);
      if (opts.stdin && started.stdin) {
        const sink = started.stdin;
        sink.on('error', () => undefined); // the container may exit without reading everything
        opts.stdin.pipe(sink);
      }
      let consoleDone: Promise<void> | undefined;
      if (opts.terminal && started.console) {
        const source = started.console;
        const out = opts.terminal.output;
        consoleDone = new Promise((resolve) => {
          source.on('data', (chunk: Buffer) => out.write(chunk));
          source.on('end', () => resolve());
          source.on('error', () => resolve());
        });
      }
      const state: ContainerState = { id: config.id, pid: started.pid, monitorPid: started.monitorPid, startedAt: new Date().toISOString() };
      writeJsonAtomic(p.state, state);
      return consoleDone ? { ...state, consoleDone, warnings } : { ...state, warnings };
    } catch (err) {
      await cgroup.destroy();
      throw err;
    }
  }

  /** The container's cgroup (freeze, stats, pids), in whichever cgroup layout this host has. */
  cgroup(id: string): ReturnType<typeof createCgroupManager> {
    return createCgroupManager({ parent: CGROUP_PARENT, name: id });
  }

  state(id: string): ContainerState | undefined {
    return readJsonFile<ContainerState>(this.paths(id).state);
  }

  isRunning(id: string): boolean {
    const s = this.state(id);
    return s !== undefined && readExitStatus(this.paths(id).status) === undefined && isLiveProcess(s.pid);
  }

  async exitStatus(id: string): Promise<(ExitStatus & { oomKilled: boolean }) | undefined> {
    const status = readExitStatus(this.paths(id).status);
    if (!status) return undefined;
    const oomKilled = await createCgroupManager({ parent: CGROUP_PARENT, name: id }).oomKilled();
    return { ...status, oomKilled };
  }

  /** Resolves once the monitor recorded the exit (or the monitor is gone). */
  async wait(id: string, pollMs = 20): Promise<ExitStatus | undefined> {
    const p = this.paths(id);
    for (let i = 0; ; i++) {
      const status = readExitStatus(p.status);
      if (status) return status;
      const s = this.state(id);
      if (!s || !isLiveProcess(s.monitorPid)) return readExitStatus(p.status);
      await sleep(quickThenSlow(i, pollMs));
    }
  }

  /** stop_signal, then SIGKILL after the grace period. */
  async stop(id: string, signal: string, timeoutMs: number): Promise<void> {
    const s = this.state(id);
    if (!s || !this.isRunning(id)) return;
    try {
      process.kill(s.pid, signal as NodeJS.Signals);
    } catch {
      // already exited
    }
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; Date.now() < deadline; i++) {
      if (!this.isRunning(id)) break;
      await sleep(quickThenSlow(i, 20));
    }
    if (this.isRunning(id)) {
      try {
        process.kill(s.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await this.wait(id);
  }

  /** Tells the monitor the attached terminal changed size. */
  resizeTerminal(id: string, rows: number, cols: number): void {
    const s = this.state(id);
    if (!s) return;
    fs.writeFileSync(path.join(this.paths(id).runDir, 'winsize'), `${rows} ${cols}\n`);
    try {
      process.kill(s.monitorPid, 'SIGWINCH');
    } catch {
      // the monitor is gone: nothing to resize
    }
  }

  async kill(id: string, signal: string): Promise<void> {
    const s = this.state(id);
    if (!s || !this.isRunning(id)) throw new TscComposeError('TSC_NOT_RUNNING', `container ${id} is not running`);
    process.kill(s.pid, signal as NodeJS.Signals);
  }

  async exec(id: string, opts: { args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number }; tty?: boolean }): Promise<number> {
    const config = this.readConfig(id);
    const s = this.state(id);
    if (!config || !s || !this.isRunning(id)) throw new TscComposeError('TSC_NOT_RUNNING', `container ${config?.name ?? id} is not running`);
    const cgroup = createCgroupManager({ parent: CGROUP_PARENT, name: id });
    return execInContainer(
      {
        targetPid: s.pid,
        tty: opts.tty === true,
        cgroupProcs: cgroup.paths(),
        capabilities: config.capabilities,
        noNewPrivileges: config.noNewPrivileges,
        user: opts.user,
        cwd: opts.cwd,
        env: opts.env,
        args: opts.args,
      },
      path.join(this.paths(id).runDir, `exec-${process.pid}-${Date.now()}`),
    );
  }

  /** Stops if needed, then removes the cgroup and every file of the container. */
  async remove(id: string): Promise<void> {
    const config = this.readConfig(id);
    if (this.isRunning(id)) await this.stop(id, config?.stopSignal ?? 'SIGTERM', 0);
    const s = this.state(id);
    if (s && isLiveProcess(s.monitorPid)) await this.wait(id);
    // The monitor exits right after recording the status; give it a moment so nothing outlives the removal.
    for (let i = 0; s && i < 100 && isLiveProcess(s.monitorPid); i++) await sleep(10);
    await createCgroupManager({ parent: CGROUP_PARENT, name: id }).destroy();
    const p = this.paths(id);
    fs.rmSync(p.runDir, { recursive: true, force: true });
    fs.rmSync(p.dataDir, { recursive: true, force: true });
  }

  /**
   * Runs a process in the running container with stdout and stderr captured
   * together (in arrival order, at most `maxOutputBytes`, 1 MiB unless told)
   * and no stdin. At the timeout or when `signal` aborts, the process is
   * killed with SIGKILL and what it wrote so far comes back. User, env and
   * cwd default to the container's. Rejects when the process cannot be
   * started (container not running, command not found).
   */
  async execCapture(
    id: string,
    opts: {
      args: string[];
      env?: string[];
      cwd?: string;
      user?: { uid: number; gid: number; additionalGids?: number[] };
      timeoutMs: number;
      signal?: AbortSignal;
      maxOutputBytes?: number;
    },
  ): Promise<{ exitCode: number; output: string; timedOut: boolean; truncated: boolean }> {
    const config = this.readConfig(id);
    const s = this.state(id);
    if (!config || !s || !this.isRunning(id)) throw new TscComposeError('TSC_NOT_RUNNING', `container ${config?.name ?? id} is not running`);
    if (opts.args.length === 0) throw new TscComposeError('TSC_EXEC_NO_COMMAND', 'no command to run');
    const executor = executorCommand();
    if (executor.kind === 'node') throw new TscComposeError('TSC_EXECUTOR_LIMIT', 'exec needs the C shim (install a C compiler and run `npm ci`)');
    const specFile = path.join(this.paths(id).runDir, `exec-${process.pid}-${Math.random().toString(16).slice(2, 10)}`);
    const spec = encodeExecSpec({
      targetPid: s.pid,
      cgroupProcs: createCgroupManager({ parent: CGROUP_PARENT, name: id }).paths(),
      capabilities: config.capabilities,
      noNewPrivileges: config.noNewPrivileges,
      user: opts.user ?? config.user,
      cwd: opts.cwd ?? config.cwd,
      env: opts.env ?? config.env,
      args: opts.args,
    });
    fs.writeFileSync(specFile, spec, { mode: 0o600 });
    const limit = opts.maxOutputBytes ?? 1024 * 1024;
    try {
      const child = spawn(executor.file, ['exec', specFile], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
      const control = child.stdio[3] as Readable;
      const streams = [child.stdout as Readable, child.stderr as Readable, control];
      const closed = Promise.all(streams.map((stream) => new Promise<void>((resolve) => stream.on('close', () => resolve()))));
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      const keep = (chunk: Buffer): void => {
        const room = limit - kept;
        if (chunk.length > room) truncated = true;
        if (room <= 0) return;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(part);
        kept += part.length;
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      let replies = '';
      let processPid: number | undefined;
      control.setEncoding('utf8');
      control.on('data', (text: string) => {
        replies += text;
        const started = /^started (\d+)$/m.exec(replies);
        if (started) processPid = Number(started[1]);
      });
      let timedOut = false;
      let exited = false;
      const kill = (): void => {
        if (exited) return;
        // The process itself: the shim's death signal does not survive the process changing its uid.
        if (processPid !== undefined) {
          try {
            process.kill(processPid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, opts.timeoutMs);
      opts.signal?.addEventListener('abort', kill, { once: true });
      if (opts.signal?.aborted) kill();
      const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        child.once('error', (err) => reject(new TscComposeError('TSC_SHIM', `cannot run the container executor ${executor.file}: ${err.message}`, { cause: err })));
        child.once('exit', (code, sig) => resolve({ code, signal: sig }));
      }).finally(() => {
        exited = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', kill);
      });
      // A background process the command started may hold the pipes open: it is not waited for.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (grace = setTimeout(resolve, 200)))]);
      clearTimeout(grace);
      for (const stream of streams) stream.destroy();
      const parsed = replies.split('\n').filter(Boolean).map((line) => parseShimReply(line));
      const failure = parsed.find((r) => r?.kind === 'error');
      if (failure?.kind === 'error') throw startFailure(failure);
      if (parsed.some((r) => r === undefined)) throw protocolError(`unexpected answer from the shim: ${replies.trim()}`);
      const exitCode = status.code ?? 128 + (status.signal ? (os.constants.signals[status.signal] ?? 0) : 0);
      return { exitCode, output: Buffer.concat(chunks).toString('utf8'), timedOut, truncated };
    } finally {
      fs.rmSync(specFile, { force: true });
    }
  }
}

/**
 * Poll period for a process about to exit: most do within milliseconds of the
 * signal (SIGKILL, or a prompt SIGTERM handler), so the first 50 polls are
 * 2 ms apart, then every `slowMs`.
 */
function quickThenSlow(attempt: number, slowMs: number): number {
  return attempt < 50 ? Math.min(2, slowMs) : slowMs;
}
