/**
 * The container spec the shim carries out: what TypeScript decided, as
 * ordered directives. The shim interprets nothing; this module is the whole
 * contract between them (see native/tsc-compose-shim.c).
 *
 * Two levels:
 * - `ProcessSpec` / `ExecProcessSpec` (below, "the contract"): what a
 *   container process is, with names (namespaces, mount flags, capability
 *   sets, devices). Runtime code builds these; `spawnContainerProcess` and
 *   `execInContainer` in this folder carry them out.
 * - `ContainerSpec` / `ExecSpec` (the directive level): the same in the form
 *   the executors read, one line per directive (`NAME<TAB>ARG...`, arguments
 *   escaped with `\t`, `\n`, `\\`, the empty string as `\e`). `lowerProcessSpec`
 *   turns the first into the second; `encodeContainerSpec` writes the text.
 */

import { TscComposeError } from '../../errors/index.js';

export type NamespaceKind = 'pid' | 'mnt' | 'uts' | 'ipc' | 'net' | 'cgroup';

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  BIND: 0x1000,
  REC: 0x4000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  STRICTATIME: 0x1000000,
} as const;

export interface MountDirective {
  source: string;
  /** Path inside the container; resolved by the shim within the root, never on the host. */
  target: string;
  fstype: string;
  flags: number;
  data: string;
  /** What to create when the target is missing (`none`: nothing; a missing target is an error). */
  kind: 'dir' | 'file' | 'none';
}

export interface ContainerSpec {
  /** New namespaces; `join` ones are entered instead (`service:`/`host` sharing). */
  namespaces: NamespaceKind[];
  join: Array<{ kind: NamespaceKind; path: string }>;
  rootfs: { target: string } & ({ type: 'overlay'; lower: string[]; upper: string; work: string } | { type: 'bind' });
  mounts: MountDirective[];
  symlinks: Array<{ target: string; link: string }>;
  maskedPaths: string[];
  readonlyPaths: string[];
  readonlyRoot: boolean;
  /** A reaping, signal-forwarding PID 1 runs the command (`init: true`). */
  init: boolean;
  hostname?: string | undefined;
  domainname?: string | undefined;
  sysctls: Record<string, string>;
  rlimits: Array<{ name: string; soft: number; hard: number }>;
  oomScoreAdj?: number | undefined;
  capabilities: bigint;
  noNewPrivileges: boolean;
  user: { uid: number; gid: number; additionalGids: number[] };
  cwd: string;
  env: string[];
  args: string[];
  logFile: string;
  /** Rotate the log before it would grow past this many bytes (absent or 0: never). */
  logMaxSize?: number | undefined;
  /** Files kept with rotation, the current one included (default 1: the full file is replaced). */
  logMaxFiles?: number | undefined;
  statusFile: string;
  pidFile: string;
  /** The container's stdin comes from the shim's fd 3 (a pipe from the engine) instead of /dev/null. */
  stdinFromEngine?: boolean;
  /** A terminal from the container's devpts as its stdio; the monitor relays fd 3 → terminal → fd 4 and the log. */
  tty?: { rows: number; cols: number; winsizeFile: string } | undefined;
  /** Which of the shim's fds carry the terminal's input and output (default 3 and 4; -1: none). */
  console?: { input: number; output: number } | undefined;
  /** The five capability sets; when given, `capabilities` is only the fallback for executors that know one mask. */
  capabilitySets?: CapabilityMasks | undefined;
  /** Device nodes made with mknod inside the root (after the mounts, so after the /dev tmpfs). */
  devices?: DeviceNode[] | undefined;
  /** Propagation of `/` in the container's mount namespace before anything is mounted (default MS_SLAVE|MS_REC). */
  rootfsPropagation?: number | undefined;
}

/** Capability sets as 64-bit masks (bit N = capability number N). */
export interface CapabilityMasks {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export interface DeviceNode {
  /** Path inside the container. */
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  /** Permission bits (e.g. 0o666). */
  fileMode: number;
  uid: number;
  gid: number;
}

export interface ExecSpec {
  targetPid: number;
  /** A terminal from the container's devpts, relayed to ours. */
  tty?: boolean;
  cgroupProcs: string[];
  capabilities: bigint;
  capabilitySets?: CapabilityMasks | undefined;
  noNewPrivileges: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] | undefined };
  rlimits?: Array<{ name: string; soft: number; hard: number }> | undefined;
  cwd: string;
  env: string[];
  args: string[];
}

/** Tabs and newlines are escaped; an empty field is `\e`, so the C side never sees two tabs in a row. */
function escape(value: string): string {
  if (value === '') return '\\e';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
}

function line(name: string, ...args: Array<string | number>): string {
  return [name, ...args.map((a) => escape(String(a)))].join('\t');
}

function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

function capsetsLine(c: CapabilityMasks): string {
  return line('capsets', hex(c.bounding), hex(c.effective), hex(c.permitted), hex(c.inheritable), hex(c.ambient));
}

export function encodeContainerSpec(spec: ContainerSpec): string {
  const out: string[] = [];
  for (const ns of spec.namespaces) out.push(line('ns', ns));
  for (const j of spec.join) out.push(line('join', j.kind, j.path));
  out.push(line('log', spec.logFile), line('status', spec.statusFile), line('pidfile', spec.pidFile));
  // Only when asked for: a spec without rotation reads the same as before the directive existed.
  if (spec.logMaxSize !== undefined && spec.logMaxSize > 0) out.push(line('log_rotate', spec.logMaxSize, spec.logMaxFiles ?? 1));
  if (spec.tty) {
    const console = spec.console ?? { input: 3, output: 4 };
    out.push(line('tty', spec.tty.rows, spec.tty.cols), line('console', console.input, console.output), line('winsize_file', spec.tty.winsizeFile));
  } else if (spec.stdinFromEngine) {
    out.push(line('stdin_fd', 3));
  }
  if (spec.rootfsPropagation !== undefined) out.push(line('rootfs_propagation', hex(spec.rootfsPropagation)));
  if (spec.rootfs.type === 'overlay') {
    out.push(line('rootfs', spec.rootfs.target, 'overlay', `lowerdir=${spec.rootfs.lower.join(':')},upperdir=${spec.rootfs.upper},workdir=${spec.rootfs.work}`));
  } else {
    out.push(line('rootfs', spec.rootfs.target, 'bind', ''));
  }
  for (const m of spec.mounts) out.push(line('mount', m.source, m.target, m.fstype, `0x${m.flags.toString(16)}`, m.data, m.kind));
  for (const d of spec.devices ?? []) out.push(line('device', d.path, d.type, d.major, d.minor, `0${d.fileMode.toString(8)}`, d.uid, d.gid));
  for (const s of spec.symlinks) out.push(line('symlink', s.target, s.link));
  if (spec.hostname) out.push(line('hostname', spec.hostname));
  if (spec.domainname) out.push(line('domainname', spec.domainname));
  for (const p of spec.maskedPaths) out.push(line('mask', p));
  for (const p of spec.readonlyPaths) out.push(line('readonly', p));
  if (spec.readonlyRoot) out.push(line('readonly_root'));
  if (spec.init) out.push(line('init'));
  for (const [k, v] of Object.entries(spec.sysctls)) out.push(line('sysctl', k, v));
  for (const r of spec.rlimits) out.push(line('rlimit', r.name, r.soft, r.hard));
  if (spec.oomScoreAdj !== undefined) out.push(line('oom_score_adj', spec.oomScoreAdj));
  out.push(line('caps', spec.capabilities.toString(16)));
  if (spec.capabilitySets) out.push(capsetsLine(spec.capabilitySets));
  if (spec.noNewPrivileges) out.push(line('no_new_privs'));
  out.push(line('user', spec.user.uid, spec.user.gid, spec.user.additionalGids.join(',')));
  out.push(line('cwd', spec.cwd));
  for (const e of spec.env) out.push(line('env', e));
  for (const a of spec.args) out.push(line('arg', a));
  return `${out.join('\n')}\n`;
}

export function encodeExecSpec(spec: ExecSpec): string {
  const out = [line('target', spec.targetPid)];
  if (spec.tty) out.push(line('tty'));
  for (const c of spec.cgroupProcs) out.push(line('cgroup', c));
  out.push(line('caps', spec.capabilities.toString(16)));
  if (spec.capabilitySets) out.push(capsetsLine(spec.capabilitySets));
  if (spec.noNewPrivileges) out.push(line('no_new_privs'));
  for (const r of spec.rlimits ?? []) out.push(line('rlimit', r.name, r.soft, r.hard));
  out.push(line('user', spec.user.uid, spec.user.gid, (spec.user.additionalGids ?? []).join(',')), line('cwd', spec.cwd));
  for (const e of spec.env) out.push(line('env', e));
  for (const a of spec.args) out.push(line('arg', a));
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// The contract: a container process described with names.
// ---------------------------------------------------------------------------

/** `new`: a namespace of its own; `{ join }`: enter an existing one (`/proc/<pid>/ns/<kind>` or a bind-mounted ns file). Absent: the host's. */
export type NamespaceSetting = 'new' | { join: string };

export type MountFlagName =
  | 'ro' | 'rw' | 'nosuid' | 'suid' | 'nodev' | 'dev' | 'noexec' | 'exec'
  | 'sync' | 'dirsync' | 'noatime' | 'nodiratime' | 'relatime' | 'strictatime'
  | 'bind' | 'rbind'
  | 'private' | 'rprivate' | 'slave' | 'rslave' | 'shared' | 'rshared' | 'unbindable' | 'runbindable';

export interface MountSpec {
  /** Host path for binds; a name (`proc`, `tmpfs`, ...) otherwise. */
  source: string;
  /** Absolute path inside the rootfs; resolved by the shim within the root (symlinks cannot lead out). */
  target: string;
  /** Empty for binds. */
  fstype: string;
  flags: MountFlagName[];
  /** File-system options (`mode=755,size=65536k`). */
  data?: string | undefined;
  /** Create a missing target as a directory or an empty file; without it a missing target is an error. */
  mkdir?: 'dir' | 'file' | undefined;
}

export type RootfsSpec =
  /** Image layers (top first, as overlayfs takes them) under a writable layer, mounted on `target`. */
  | { type: 'overlay'; lowerdirs: string[]; upperdir: string; workdir: string; target: string }
  /** A plain directory, bound on itself inside the container's mount namespace. */
  | { type: 'directory'; path: string };

export type DeviceSpec =
  /** mknod inside the container (root on the host only). */
  | { kind: 'mknod'; path: string; type: 'c' | 'b'; major: number; minor: number; fileMode: number; uid?: number | undefined; gid?: number | undefined }
  /** The host's device node bound onto an empty file. */
  | { kind: 'bind'; path: string; hostPath: string };

export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** A capability name as the kernel headers spell it; the index in CAPABILITY_NAMES is its number. */
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** Docker's default set (moby's oci/caps/defaults.go): CapBnd/CapEff 00000000a80425fb for root. */
export const defaultDockerCapabilities: readonly CapabilityName[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export interface CapabilitySets {
  bounding: CapabilityName[];
  effective: CapabilityName[];
  permitted: CapabilityName[];
  inheritable: CapabilityName[];
  ambient: CapabilityName[];
}

export interface RlimitSpec {
  /** `nofile`, `nproc`, `core`, ... (RLIMIT_ without the prefix, lower case). */
  type: string;
  /** -1: unlimited. */
  soft: number;
  hard: number;
}

export interface ProcessSpec {
  /** `mnt` must be `new`: every mount the shim makes lives in the container's own mount namespace. */
  namespaces: Partial<Record<NamespaceKind, NamespaceSetting>>;
  rootfs: RootfsSpec;
  /** Propagation of `/` in the new mount namespace before anything is mounted (default rslave, as runc). */
  rootfsPropagation?: 'rslave' | 'rprivate' | undefined;
  readonlyRootfs?: boolean | undefined;
  /** In order: later mounts may land inside earlier ones (/dev, then /dev/pts). */
  mounts: MountSpec[];
  /** After the mounts. */
  devices?: DeviceSpec[] | undefined;
  symlinks?: Array<{ target: string; link: string }> | undefined;
  /** Hidden after pivot_root: directories under an empty read-only tmpfs, files under /dev/null. Missing paths are skipped. */
  maskedPaths?: string[] | undefined;
  /** Bound read-only (nosuid, nodev, noexec) after pivot_root. Missing paths are skipped. */
  readonlyPaths?: string[] | undefined;
  hostname?: string | undefined;
  domainname?: string | undefined;
  /** Written to /proc/sys before readonlyPaths apply (`net.ipv4.ip_forward` → /proc/sys/net/ipv4/ip_forward). */
  sysctls?: Record<string, string> | undefined;
  rlimits?: RlimitSpec[] | undefined;
  oomScoreAdj?: number | undefined;
  capabilities: CapabilitySets;
  noNewPrivileges: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] | undefined };
  /** Created (as root, before the user switch) when the image lacks it, as Docker does. */
  cwd: string;
  env: string[];
  /** args[0] is looked up in the container's PATH (from env) when it has no slash. */
  args: string[];
  /** A terminal from the container's own devpts as stdin/stdout/stderr; its output is logged as `stdout`. */
  terminal?: { rows: number; cols: number } | undefined;
  /** The container's stdin is a pipe the engine writes (`ContainerProcess.stdin`); otherwise /dev/null. */
  stdin?: boolean | undefined;
  /** A reaping, signal-forwarding PID 1 (the shim) runs the command as its child. */
  init?: boolean | undefined;
  /** The container's output, one record per line (see logs.ts). */
  logFile: string;
  /** Rotate the log by size, as Docker's `max-size` (bytes; absent or 0: never). */
  logMaxSize?: number | undefined;
  /** As Docker's `max-file`: `logFile` plus `logFile.1` .. `.N-1` are kept (default 1). */
  logMaxFiles?: number | undefined;
  /** Written atomically when PID 1 is reaped (see status.ts). */
  statusFile: string;
  /** Runtime files of this container: `spec`, `pid` ("<container pid> <monitor pid>"), `shim.log`, `winsize`. */
  stateDir: string;
}

/** A process started inside a running container (`exec`). */
export interface ExecProcessSpec {
  /** Host pid of a process of the container (its PID 1): all its namespaces are entered. */
  pid: number;
  /** cgroup.procs files (host paths) the process is placed in before it enters the namespaces. */
  cgroupProcs: string[];
  capabilities: CapabilitySets;
  noNewPrivileges: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] | undefined };
  cwd: string;
  env: string[];
  args: string[];
  rlimits?: RlimitSpec[] | undefined;
  /** A terminal from the container's devpts, relayed to the shim's stdin/stdout (raw mode when that is a terminal). */
  terminal?: boolean | undefined;
}

const MOUNT_FLAG_BITS: Record<MountFlagName, { set: number; clear?: number; propagation?: boolean }> = {
  ro: { set: MS.RDONLY },
  rw: { set: 0, clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID },
  suid: { set: 0, clear: MS.NOSUID },
  nodev: { set: MS.NODEV },
  dev: { set: 0, clear: MS.NODEV },
  noexec: { set: MS.NOEXEC },
  exec: { set: 0, clear: MS.NOEXEC },
  sync: { set: 0x10 },
  dirsync: { set: 0x80 },
  noatime: { set: 0x400 },
  nodiratime: { set: 0x800 },
  relatime: { set: 0x200000 },
  strictatime: { set: MS.STRICTATIME },
  bind: { set: MS.BIND },
  rbind: { set: MS.BIND | MS.REC },
  private: { set: MS.PRIVATE, propagation: true },
  rprivate: { set: MS.PRIVATE | MS.REC, propagation: true },
  slave: { set: MS.SLAVE, propagation: true },
  rslave: { set: MS.SLAVE | MS.REC, propagation: true },
  shared: { set: MS.SHARED, propagation: true },
  rshared: { set: MS.SHARED | MS.REC, propagation: true },
  unbindable: { set: 0x20000, propagation: true },
  runbindable: { set: 0x20000 | MS.REC, propagation: true },
};

/** mount(2) flags for a list of names, in order (a later `rw` undoes an earlier `ro`). */
export function mountFlags(names: readonly MountFlagName[]): number {
  let flags = 0;
  for (const name of names) {
    const bits = MOUNT_FLAG_BITS[name];
    if (!bits) throw new TscComposeError('TSC_SPEC_MOUNT_FLAG', `unknown mount flag "${String(name)}"`);
    flags = (flags & ~(bits.clear ?? 0)) | bits.set;
  }
  return flags;
}

export function isMountFlagName(name: string): name is MountFlagName {
  return Object.prototype.hasOwnProperty.call(MOUNT_FLAG_BITS, name);
}

/** Accepts `chown`, `CHOWN`, `cap_chown`, `CAP_CHOWN`. */
export function capabilityName(name: string): CapabilityName {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITY_NAMES as readonly string[]).includes(full)) {
    throw new TscComposeError('TSC_SPEC_CAPABILITY', `unknown capability "${name}"`);
  }
  return full as CapabilityName;
}

export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) mask |= 1n << BigInt(CAPABILITY_NAMES.indexOf(capabilityName(name)));
  return mask;
}

export function capabilityNamesOf(mask: bigint): CapabilityName[] {
  return CAPABILITY_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/**
 * The sets a container process gets from one list, as Docker does: bounding,
 * effective and permitted are the list; inheritable and ambient stay empty
 * (so a non-root user ends up with no effective capabilities, as in Docker).
 */
export function capabilitySets(names: readonly string[] = defaultDockerCapabilities): CapabilitySets {
  const list = [...new Set(names.map(capabilityName))];
  return { bounding: [...list], effective: [...list], permitted: [...list], inheritable: [], ambient: [] };
}

export function capabilityMasks(sets: CapabilitySets): CapabilityMasks {
  return {
    bounding: capabilityMask(sets.bounding),
    effective: capabilityMask(sets.effective),
    permitted: capabilityMask(sets.permitted),
    inheritable: capabilityMask(sets.inheritable),
    ambient: capabilityMask(sets.ambient),
  };
}

const RLIMIT_TYPES = new Set(['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);
const OVERLAY_OPTIONS_MAX = 4095;

function invalid(message: string): TscComposeError {
  return new TscComposeError('TSC_SPEC_INVALID', `invalid container spec: ${message}`);
}

/** Checks what the shim cannot check well itself; throws TscComposeError('TSC_SPEC_INVALID'). */
export function validateProcessSpec(spec: ProcessSpec): void {
  if (spec.namespaces.mnt !== 'new') throw invalid('the mount namespace must be new (namespaces.mnt = "new")');
  if (spec.args.length === 0) throw invalid('no command (args is empty)');
  const absolute = (what: string, p: string): void => {
    if (!p.startsWith('/')) throw invalid(`${what} must be an absolute path: "${p}"`);
  };
  if (spec.rootfs.type === 'overlay') {
    const r = spec.rootfs;
    if (r.lowerdirs.length === 0) throw invalid('an overlay rootfs needs at least one lowerdir');
    for (const p of [...r.lowerdirs, r.upperdir, r.workdir, r.target]) {
      absolute('an overlay directory', p);
      if (/[,:\\]/.test(p)) throw invalid(`overlay paths cannot contain ',', ':' or '\\': "${p}"`);
    }
    if (overlayOptions(r).length > OVERLAY_OPTIONS_MAX) throw invalid(`${r.lowerdirs.length} layers do not fit in one overlay mount (options longer than ${OVERLAY_OPTIONS_MAX} bytes)`);
  } else {
    absolute('the rootfs directory', spec.rootfs.path);
  }
  for (const m of spec.mounts) {
    absolute('a mount target', m.target);
    for (const f of m.flags) if (!isMountFlagName(f)) throw invalid(`unknown mount flag "${String(f)}" for ${m.target}`);
  }
  for (const d of spec.devices ?? []) absolute('a device path', d.path);
  for (const p of [...(spec.maskedPaths ?? []), ...(spec.readonlyPaths ?? [])]) absolute('a masked or read-only path', p);
  for (const key of Object.keys(spec.sysctls ?? {})) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) throw invalid(`not a sysctl name: "${key}"`);
    // Written from inside the container, a sysctl of a namespace it shares with the host would change the host.
    const owner = sysctlNamespace(key);
    if (!owner) throw invalid(`sysctl "${key}" is not namespaced`);
    if (spec.namespaces[owner] === undefined) throw invalid(`sysctl "${key}" needs the container's own ${owner} namespace`);
  }
  if ((spec.hostname || spec.domainname) && spec.namespaces.uts === undefined) {
    throw invalid('hostname and domainname need the container\'s own uts namespace');
  }
  for (const r of spec.rlimits ?? []) if (!RLIMIT_TYPES.has(r.type)) throw invalid(`unknown rlimit "${r.type}"`);
  absolute('cwd', spec.cwd);
  absolute('the log file', spec.logFile);
  if (spec.logMaxSize !== undefined && !(Number.isSafeInteger(spec.logMaxSize) && spec.logMaxSize >= 0)) throw invalid(`logMaxSize must be a whole number of bytes: ${spec.logMaxSize}`);
  if (spec.logMaxFiles !== undefined && !(Number.isSafeInteger(spec.logMaxFiles) && spec.logMaxFiles >= 1)) throw invalid(`logMaxFiles must be at least 1: ${spec.logMaxFiles}`);
  absolute('the status file', spec.statusFile);
  absolute('the state directory', spec.stateDir);
  for (const kind of Object.keys(spec.namespaces) as NamespaceKind[]) {
    const setting = spec.namespaces[kind];
    if (setting !== undefined && setting !== 'new' && kind === 'mnt') throw invalid('joining a mount namespace is not supported');
  }
}

/** The namespace a sysctl belongs to (the ones Docker allows), or undefined. */
export function sysctlNamespace(key: string): NamespaceKind | undefined {
  if (key.startsWith('net.')) return 'net';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  if (['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'].includes(key)) return 'ipc';
  if (key.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

function overlayOptions(r: Extract<RootfsSpec, { type: 'overlay' }>): string {
  return `lowerdir=${r.lowerdirs.join(':')},upperdir=${r.upperdir},workdir=${r.workdir}`;
}

/** Where a ProcessSpec's runtime files live inside its stateDir. */
export function stateFiles(stateDir: string): { spec: string; pid: string; shimLog: string; winsize: string } {
  const join = (name: string): string => (stateDir.endsWith('/') ? `${stateDir}${name}` : `${stateDir}/${name}`);
  return { spec: join('spec'), pid: join('pid'), shimLog: join('shim.log'), winsize: join('winsize') };
}

/**
 * The directive-level spec for a ProcessSpec. `console` says which shim fds
 * carry the terminal (input, output; -1 for none) when there is one; the
 * container's stdin pipe, when asked for, is fd 3.
 */
export function lowerProcessSpec(spec: ProcessSpec, console: { input: number; output: number } = { input: 3, output: 4 }): ContainerSpec {
  validateProcessSpec(spec);
  const create: NamespaceKind[] = [];
  const join: Array<{ kind: NamespaceKind; path: string }> = [];
  for (const kind of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'] as const) {
    const setting = spec.namespaces[kind];
    if (setting === 'new') create.push(kind);
    else if (setting !== undefined) join.push({ kind, path: setting.join });
  }
  const mounts: MountDirective[] = spec.mounts.map((m) => ({
    source: m.source,
    target: m.target,
    fstype: m.fstype,
    flags: mountFlags(m.flags),
    data: m.data ?? '',
    kind: m.mkdir ?? 'none',
  }));
  const devices: DeviceNode[] = [];
  for (const d of spec.devices ?? []) {
    if (d.kind === 'bind') mounts.push({ source: d.hostPath, target: d.path, fstype: '', flags: MS.BIND, data: '', kind: 'file' });
    else devices.push({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid ?? 0, gid: d.gid ?? 0 });
  }
  const masks = capabilityMasks(spec.capabilities);
  const files = stateFiles(spec.stateDir);
  const hasTerminal = spec.terminal !== undefined;
  return {
    namespaces: create,
    join,
    rootfs:
      spec.rootfs.type === 'overlay'
        ? { target: spec.rootfs.target, type: 'overlay', lower: spec.rootfs.lowerdirs, upper: spec.rootfs.upperdir, work: spec.rootfs.workdir }
        : { target: spec.rootfs.path, type: 'bind' },
    rootfsPropagation: spec.rootfsPropagation === 'rprivate' ? MS.PRIVATE | MS.REC : undefined,
    mounts,
    devices,
    symlinks: spec.symlinks ?? [],
    maskedPaths: spec.maskedPaths ?? [],
    readonlyPaths: spec.readonlyPaths ?? [],
    readonlyRoot: spec.readonlyRootfs === true,
    init: spec.init === true,
    hostname: spec.hostname,
    domainname: spec.domainname,
    sysctls: spec.sysctls ?? {},
    rlimits: (spec.rlimits ?? []).map((r) => ({ name: r.type, soft: r.soft, hard: r.hard })),
    oomScoreAdj: spec.oomScoreAdj,
    // Executors that know a single mask apply it as bounding, effective and permitted.
    capabilities: masks.bounding,
    capabilitySets: masks,
    noNewPrivileges: spec.noNewPrivileges,
    user: { uid: spec.user.uid, gid: spec.user.gid, additionalGids: spec.user.additionalGids ?? [] },
    cwd: spec.cwd,
    env: spec.env,
    args: spec.args,
    logFile: spec.logFile,
    ...(spec.logMaxSize ? { logMaxSize: spec.logMaxSize, logMaxFiles: spec.logMaxFiles ?? 1 } : {}),
    statusFile: spec.statusFile,
    pidFile: files.pid,
    stdinFromEngine: spec.stdin === true,
    tty: hasTerminal ? { rows: spec.terminal!.rows, cols: spec.terminal!.cols, winsizeFile: files.winsize } : undefined,
    console: hasTerminal ? { input: spec.stdin ? console.input : -1, output: console.output } : undefined,
  };
}

export function lowerExecSpec(spec: ExecProcessSpec): ExecSpec {
  if (spec.args.length === 0) throw invalid('no command (args is empty)');
  for (const r of spec.rlimits ?? []) if (!RLIMIT_TYPES.has(r.type)) throw invalid(`unknown rlimit "${r.type}"`);
  const masks = capabilityMasks(spec.capabilities);
  return {
    targetPid: spec.pid,
    tty: spec.terminal === true,
    cgroupProcs: spec.cgroupProcs,
    capabilities: masks.bounding,
    capabilitySets: masks,
    noNewPrivileges: spec.noNewPrivileges,
    user: { uid: spec.user.uid, gid: spec.user.gid, additionalGids: spec.user.additionalGids ?? [] },
    rlimits: (spec.rlimits ?? []).map((r) => ({ name: r.type, soft: r.soft, hard: r.hard })),
    cwd: spec.cwd,
    env: spec.env,
    args: spec.args,
  };
}
