/**
 * The process-boundary contract: what a container process is (ProcessSpec)
 * and what a process started inside a running one is (ExecProcessSpec), with
 * names for namespaces, mount flags, capability sets and devices, and the
 * checks a spec must pass before anything runs.
 *
 * Runtime (../container.ts) builds these; lowering.ts is the one place that
 * turns them into the shim's directives; spawn.ts and exec.ts carry them out.
 * A new wall around containers is a field here, its check in
 * validateProcessSpec, and its directive in lowering.ts.
 */
import { TscComposeError } from '../../errors/index.js';
import type { CapabilitySets } from './capabilities.js';

export type NamespaceKind = 'pid' | 'mnt' | 'uts' | 'ipc' | 'net' | 'cgroup';

export const NAMESPACE_KINDS: readonly NamespaceKind[] = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'];

/** `new`: a namespace of its own; `{ join }`: enter an existing one (`/proc/<pid>/ns/<kind>` or a bind-mounted ns file). Absent: the host's. */
export type NamespaceSetting = 'new' | { join: string };

export const MOUNT_FLAG_NAMES = [
  'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec',
  'sync', 'dirsync', 'noatime', 'nodiratime', 'relatime', 'strictatime',
  'bind', 'rbind',
  'private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable',
] as const;

export type MountFlagName = (typeof MOUNT_FLAG_NAMES)[number];

export function isMountFlagName(name: string): name is MountFlagName {
  return (MOUNT_FLAG_NAMES as readonly string[]).includes(name);
}

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

export const RLIMIT_TYPES = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'] as const;

export interface RlimitSpec {
  /** `nofile`, `nproc`, `core`, ... (RLIMIT_ without the prefix, lower case; see RLIMIT_TYPES). */
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
  /** After the mounts (so inside the /dev tmpfs), in order. */
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
  /** The container's stdin (or the terminal's input) is a pipe the engine writes (`ContainerProcess.stdin`); otherwise /dev/null. */
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
  /** Runtime files of this container (see stateFiles): `spec`, `pid` ("<container pid> <monitor pid>"), `shim.log`, `winsize`. */
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

/** Where a ProcessSpec's runtime files live inside its stateDir. */
export function stateFiles(stateDir: string): { spec: string; pid: string; shimLog: string; winsize: string } {
  const join = (name: string): string => (stateDir.endsWith('/') ? `${stateDir}${name}` : `${stateDir}/${name}`);
  return { spec: join('spec'), pid: join('pid'), shimLog: join('shim.log'), winsize: join('winsize') };
}

const OVERLAY_OPTIONS_MAX = 4095;

function invalid(message: string): TscComposeError {
  return new TscComposeError('TSC_SPEC_INVALID', `invalid container spec: ${message}`);
}

/** The overlayfs options for an overlay rootfs (checked against the kernel's page-sized limit). */
export function overlayOptions(r: Extract<RootfsSpec, { type: 'overlay' }>): string {
  return `lowerdir=${r.lowerdirs.join(':')},upperdir=${r.upperdir},workdir=${r.workdir}`;
}

/** The namespace a sysctl belongs to (the ones Docker allows), or undefined. */
export function sysctlNamespace(key: string): NamespaceKind | undefined {
  if (key.startsWith('net.')) return 'net';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  if (['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'].includes(key)) return 'ipc';
  if (key.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

function checkRlimits(rlimits: readonly RlimitSpec[]): void {
  for (const r of rlimits) if (!(RLIMIT_TYPES as readonly string[]).includes(r.type)) throw invalid(`unknown rlimit "${r.type}"`);
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
  checkRlimits(spec.rlimits ?? []);
  absolute('cwd', spec.cwd);
  absolute('the log file', spec.logFile);
  if (spec.logMaxSize !== undefined && !(Number.isSafeInteger(spec.logMaxSize) && spec.logMaxSize >= 0)) throw invalid(`logMaxSize must be a whole number of bytes: ${spec.logMaxSize}`);
  if (spec.logMaxFiles !== undefined && !(Number.isSafeInteger(spec.logMaxFiles) && spec.logMaxFiles >= 1)) throw invalid(`logMaxFiles must be at least 1: ${spec.logMaxFiles}`);
  absolute('the status file', spec.statusFile);
  absolute('the state directory', spec.stateDir);
}

export function validateExecProcessSpec(spec: ExecProcessSpec): void {
  if (!Number.isSafeInteger(spec.pid) || spec.pid <= 0) throw invalid(`not a process id: ${spec.pid}`);
  if (spec.args.length === 0) throw invalid('no command (args is empty)');
  checkRlimits(spec.rlimits ?? []);
}
