/**
 * A container: runtime-level configuration (no compose knowledge) turned into
 * the process-boundary contract (a ProcessSpec, process/contract.ts) with
 * Docker's defaults (/dev, /proc masks, read-only /sys, capability set), its
 * cgroup, its files on disk, and its lifecycle. Starting and exec go through
 * process/'s one spawnContainerProcess / execInContainer pair.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TscComposeError } from '../errors/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLiveProcess } from '../sys/process.js';
import { readJsonFile, writeJsonAtomic } from '../util/atomic-file.js';
import type { CgroupResources } from './cgroups/manager.js';
import type { HostDevice } from './devices/host-devices.js';
import { createCgroupManager } from './cgroups/manager.js';
import { capabilityNamesOf, capabilitySets } from './process/capabilities.js';
import { stateFiles } from './process/contract.js';
import type { DeviceSpec, ExecProcessSpec, MountFlagName, MountSpec, NamespaceKind, NamespaceSetting, ProcessSpec } from './process/contract.js';
import { spawnContainerProcess } from './process/spawn.js';
import { execInContainer } from './process/exec.js';
import { readExitStatus } from './process/status.js';
import type { ExitStatus } from './process/status.js';
import type { StateLayout } from '../state/roots.js';

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
  /** Host device nodes made in the container's /dev with the host's identity (`devices:`, all of them when privileged). */
  devices?: HostDevice[] | undefined;
  /** The seccomp program installed last before exec (also for exec'd processes); none: unconfined. */
  seccomp?: { filterHex: string; flags: number } | undefined;
  /** `security_opt: systempaths=unconfined`: /proc paths neither masked nor read-only. */
  unmaskedSystemPaths?: boolean | undefined;
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
  /** The monitor's pid file, the directives, the shim's log, the terminal size: the ProcessSpec's state files. */
  get pidFile(): string { return stateFiles(this.runDir).pid; }
  get spec(): string { return stateFiles(this.runDir).spec; }
  get shimLog(): string { return stateFiles(this.runDir).shimLog; }
  get winsize(): string { return stateFiles(this.runDir).winsize; }
  /** hostname, hosts, resolv.conf: kept with the container (a reboot empties the run directory). */
  get etc(): string { return path.join(this.dataDir, 'etc'); }
}

/** How the container's stdio and log are set up for one start. */
export interface ContainerIo {
  /** The container's stdin (or the terminal's input) is a pipe from the engine. */
  stdin?: boolean | undefined;
  /** A terminal of the container's own; its output is relayed to the engine as well as logged. */
  terminal?: { rows: number; cols: number } | undefined;
  /** Log rotation by the monitor (logging.options max-size / max-file). */
  log?: { maxSize?: number | undefined; maxFiles?: number | undefined } | undefined;
}

function namespaceSetting(mode: NamespaceMode): NamespaceSetting | undefined {
  if (mode === 'private') return 'new';
  if (mode === 'host') return undefined;
  return { join: mode.path };
}

function bindPropagation(propagation: string | undefined): MountFlagName {
  if (propagation === 'shared' || propagation === 'rshared') return 'rshared';
  if (propagation === 'slave' || propagation === 'rslave') return 'rslave';
  return 'rprivate';
}

function userMount(m: UserMount): MountSpec {
  const ro: MountFlagName[] = m.readOnly ? ['ro'] : [];
  if (m.type === 'tmpfs') {
    const data = [m.tmpfsSize ? `size=${m.tmpfsSize}` : '', m.tmpfsMode !== undefined ? `mode=${m.tmpfsMode.toString(8)}` : ''].filter(Boolean).join(',');
    return { source: 'tmpfs', target: m.target, fstype: 'tmpfs', flags: ['nosuid', 'nodev', ...ro], data, mkdir: 'dir' };
  }
  const source = m.source as string;
  const isFile = fs.existsSync(source) && !fs.statSync(source).isDirectory();
  return { source, target: m.target, fstype: '', flags: ['rbind', bindPropagation(m.propagation), ...ro], mkdir: isFile ? 'file' : 'dir' };
}

/** The ProcessSpec of a container: its configuration with Docker's defaults, its files under `paths`. */
export function containerProcessSpec(config: ContainerConfig, paths: ContainerPaths, io: ContainerIo = {}): ProcessSpec {
  const namespaces: Partial<Record<NamespaceKind, NamespaceSetting>> = { mnt: 'new', cgroup: 'new' };
  for (const kind of ['net', 'pid', 'ipc', 'uts'] as const) {
    const setting = namespaceSetting(config.namespaces[kind]);
    if (setting !== undefined) namespaces[kind] = setting;
  }
  const ownNet = namespaces.net !== undefined;
  const sysRo: MountFlagName[] = config.privileged ? [] : ['ro'];
  const bindFile = (source: string, target: string): MountSpec => ({ source, target, fstype: '', flags: ['bind'], mkdir: 'file' });
  const mounts: MountSpec[] = [
    { source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'noexec', 'nodev'], mkdir: 'dir' },
    { source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: ['nosuid', 'strictatime'], data: 'mode=755,size=65536k', mkdir: 'dir' },
    { source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: ['nosuid', 'noexec'], data: 'newinstance,ptmxmode=0666,mode=0620,gid=5', mkdir: 'dir' },
    { source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: ['nosuid', 'noexec', 'nodev'], data: `mode=1777,size=${config.shmSize ?? 64 * 1024 * 1024}`, mkdir: 'dir' },
    { source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: ['nosuid', 'noexec', 'nodev'], mkdir: 'dir' },
    // A sysfs of its own shows its own network devices; without a network namespace of its own, the host's /sys.
    ownNet
      ? { source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: ['nosuid', 'noexec', 'nodev', ...sysRo], mkdir: 'dir' }
      : { source: '/sys', target: '/sys', fstype: '', flags: ['rbind', 'nosuid', 'noexec', 'nodev', ...sysRo], mkdir: 'dir' },
    bindFile(config.files.hostname, '/etc/hostname'),
    bindFile(config.files.hosts, '/etc/hosts'),
    bindFile(config.files.resolvConf, '/etc/resolv.conf'),
    ...config.mounts.map(userMount),
  ];
  const devices: DeviceSpec[] = [
    ...DEVICES.map((d): DeviceSpec => ({ kind: 'bind', path: `/dev/${d}`, hostPath: `/dev/${d}` })),
    ...(config.devices ?? []).map((d): DeviceSpec => ({ kind: 'mknod', path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid })),
  ];
  const ownUts = config.namespaces.uts === 'private';
  return {
    namespaces,
    rootfs:
      config.image.lowerDirs.length > 0
        ? { type: 'overlay', lowerdirs: config.image.lowerDirs, upperdir: paths.upper, workdir: paths.work, target: paths.rootfs }
        : { type: 'directory', path: paths.rootfs },
    readonlyRootfs: config.readOnlyRootfs,
    mounts,
    devices,
    symlinks: [
      { target: '/proc/self/fd', link: '/dev/fd' },
      { target: '/proc/self/fd/0', link: '/dev/stdin' },
      { target: '/proc/self/fd/1', link: '/dev/stdout' },
      { target: '/proc/self/fd/2', link: '/dev/stderr' },
      { target: 'pts/ptmx', link: '/dev/ptmx' },
    ],
    maskedPaths: config.privileged || config.unmaskedSystemPaths ? [] : MASKED_PATHS,
    readonlyPaths: config.privileged || config.unmaskedSystemPaths ? [] : READONLY_PATHS,
    hostname: ownUts ? config.hostname : undefined,
    domainname: ownUts ? config.domainname : undefined,
    sysctls: config.sysctls,
    rlimits: config.ulimits.map((u) => ({ type: u.name, soft: u.soft, hard: u.hard })),
    oomScoreAdj: config.oomScoreAdj,
    capabilities: capabilitySets(capabilityNamesOf(config.capabilities)),
    noNewPrivileges: config.noNewPrivileges,
    user: config.user,
    cwd: config.cwd,
    env: config.env,
    args: config.args,
    terminal: io.terminal,
    stdin: io.stdin === true,
    init: config.init === true,
    logFile: paths.log,
    logMaxSize: io.log?.maxSize,
    logMaxFiles: io.log?.maxSize ? (io.log.maxFiles ?? 1) : undefined,
    statusFile: paths.status,
    stateDir: paths.runDir,
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
    const raw = readJsonFile<Omit<ContainerConfig, 'capabilities'> & { capabilities: string }>(this.paths(id).config);
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
      log?: ContainerIo['log'];
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
      const terminal = opts.terminal ? { rows: opts.terminal.rows, cols: opts.terminal.cols } : undefined;
      const spec = containerProcessSpec(config, p, { stdin: opts.stdin !== undefined, terminal, log: opts.log });
      const started = await spawnContainerProcess(spec, { onCreated: (pid) => cgroup.addProcess(pid) }, { attach: opts.terminal !== undefined, service });
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
      const state: ContainerState = { id: config.id, pid: started.containerPid, monitorPid: started.monitorPid, startedAt: new Date().toISOString() };
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
      process.kill(s.pid, signal);
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
    fs.writeFileSync(this.paths(id).winsize, `${rows} ${cols}\n`);
    try {
      process.kill(s.monitorPid, 'SIGWINCH');
    } catch {
      // the monitor is gone: nothing to resize
    }
  }

  kill(id: string, signal: string): Promise<void> {
    return new Promise((resolve) => {
      const s = this.state(id);
      if (!s || !this.isRunning(id)) throw new TscComposeError('TSC_NOT_RUNNING', `container ${id} is not running`);
      process.kill(s.pid, signal);
      resolve();
    });
  }

  async exec(id: string, opts: { args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number }; tty?: boolean }): Promise<number> {
    const { config, spec } = this.execSpec(id, { ...opts, terminal: opts.tty === true });
    const result = await execInContainer(spec, { stateDir: this.paths(config.id).runDir, stdio: 'inherit' });
    return result.exitCode;
  }

  /** The ExecProcessSpec for a process in the running container `id`: its capabilities, cgroups and PID 1; user, env and cwd default to the container's. */
  private execSpec(
    id: string,
    opts: { args: string[]; env?: string[] | undefined; cwd?: string | undefined; user?: ExecProcessSpec['user'] | undefined; terminal?: boolean },
  ): { config: ContainerConfig; spec: ExecProcessSpec } {
    const config = this.readConfig(id);
    const s = this.state(id);
    if (!config || !s || !this.isRunning(id)) throw new TscComposeError('TSC_NOT_RUNNING', `container ${config?.name ?? id} is not running`);
    return {
      config,
      spec: {
        pid: s.pid,
        cgroupProcs: createCgroupManager({ parent: CGROUP_PARENT, name: id }).paths(),
        capabilities: capabilitySets(capabilityNamesOf(config.capabilities)),
        noNewPrivileges: config.noNewPrivileges,
        user: opts.user ?? config.user,
        cwd: opts.cwd ?? config.cwd,
        env: opts.env ?? config.env,
        args: opts.args,
        terminal: opts.terminal,
      },
    };
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
    const { spec } = this.execSpec(id, { args: opts.args, env: opts.env, cwd: opts.cwd, user: opts.user });
    if (opts.args.length === 0) throw new TscComposeError('TSC_EXEC_NO_COMMAND', 'no command to run');
    const result = await execInContainer(spec, {
      stateDir: this.paths(id).runDir,
      stdio: 'merged',
      maxOutputBytes: opts.maxOutputBytes ?? 1024 * 1024,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
    return { exitCode: result.exitCode, output: result.stdout.toString('utf8'), timedOut: result.timedOut, truncated: result.truncated };
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
