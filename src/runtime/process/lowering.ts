/**
 * Lowering: the one encoder from the contract (contract.ts) to what the
 * executors read (native/tsc-compose-shim.c, node-executor.ts). A spec is
 * validated, then turned into directives (names become kernel bits, state
 * files become paths), then written one directive per line:
 * `NAME<TAB>ARG...`, arguments escaped with `\t`, `\n`, `\\`, the empty
 * string as `\e`.
 */
import { TscComposeError } from '../../errors/index.js';
import { MS } from '../../sys/constants.js';
import { capabilityMasks } from './capabilities.js';
import type { CapabilityMasks } from './capabilities.js';
import { NAMESPACE_KINDS, overlayOptions, stateFiles, validateExecProcessSpec, validateProcessSpec } from './contract.js';
import type { ExecProcessSpec, MountFlagName, NamespaceKind, ProcessSpec } from './contract.js';

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

/** A container start as the executors read it (`run SPEC`). */
export interface ContainerDirectives {
  /** New namespaces; `join` ones are entered instead. */
  namespaces: NamespaceKind[];
  join: Array<{ kind: NamespaceKind; path: string }>;
  rootfs: { target: string } & ({ type: 'overlay'; options: string } | { type: 'bind' });
  /** Propagation of `/` before anything is mounted (absent: the shim's MS_SLAVE|MS_REC). */
  rootfsPropagation?: number | undefined;
  mounts: MountDirective[];
  devices: DeviceNode[];
  symlinks: Array<{ target: string; link: string }>;
  maskedPaths: string[];
  readonlyPaths: string[];
  readonlyRoot: boolean;
  init: boolean;
  hostname?: string | undefined;
  domainname?: string | undefined;
  sysctls: Record<string, string>;
  rlimits: Array<{ name: string; soft: number; hard: number }>;
  oomScoreAdj?: number | undefined;
  capabilities: CapabilityMasks;
  noNewPrivileges: boolean;
  user: { uid: number; gid: number; additionalGids: number[] };
  cwd: string;
  env: string[];
  args: string[];
  logFile: string;
  /** Present only with rotation (a spec without it reads as before the directive existed). */
  logRotate?: { maxSize: number; maxFiles: number } | undefined;
  statusFile: string;
  pidFile: string;
  /** The container's stdin comes from the executor's fd 3 (no terminal). */
  stdinFd?: number | undefined;
  /** A terminal; `input`/`output` are the executor's fds relaying it (-1: none). */
  tty?: { rows: number; cols: number; winsizeFile: string; input: number; output: number } | undefined;
}

/** A process started in a running container as the shim reads it (`exec SPEC`). */
export interface ExecDirectives {
  targetPid: number;
  tty: boolean;
  cgroupProcs: string[];
  capabilities: CapabilityMasks;
  noNewPrivileges: boolean;
  user: { uid: number; gid: number; additionalGids: number[] };
  rlimits: Array<{ name: string; soft: number; hard: number }>;
  cwd: string;
  env: string[];
  args: string[];
}

/** The fd the container's stdin pipe (or a terminal's input) comes in on, and the one a terminal's output goes out on. */
export const STDIN_FD = 3;
export const CONSOLE_FD = 4;

const MOUNT_FLAG_BITS: Record<MountFlagName, { set: number; clear?: number }> = {
  ro: { set: MS.RDONLY },
  rw: { set: 0, clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID },
  suid: { set: 0, clear: MS.NOSUID },
  nodev: { set: MS.NODEV },
  dev: { set: 0, clear: MS.NODEV },
  noexec: { set: MS.NOEXEC },
  exec: { set: 0, clear: MS.NOEXEC },
  sync: { set: MS.SYNCHRONOUS },
  dirsync: { set: MS.DIRSYNC },
  noatime: { set: MS.NOATIME },
  nodiratime: { set: MS.NODIRATIME },
  relatime: { set: MS.RELATIME },
  strictatime: { set: MS.STRICTATIME },
  bind: { set: MS.BIND },
  rbind: { set: MS.BIND | MS.REC },
  private: { set: MS.PRIVATE },
  rprivate: { set: MS.PRIVATE | MS.REC },
  slave: { set: MS.SLAVE },
  rslave: { set: MS.SLAVE | MS.REC },
  shared: { set: MS.SHARED },
  rshared: { set: MS.SHARED | MS.REC },
  unbindable: { set: MS.UNBINDABLE },
  runbindable: { set: MS.UNBINDABLE | MS.REC },
};

/** mount(2) flags for a list of names, in order (a later `rw` undoes an earlier `ro`). */
export function mountFlags(names: readonly MountFlagName[]): number {
  let flags = 0;
  for (const name of names) {
    const bits = Object.hasOwn(MOUNT_FLAG_BITS, name) ? MOUNT_FLAG_BITS[name] : undefined;
    if (!bits) throw new TscComposeError('TSC_SPEC_MOUNT_FLAG', `unknown mount flag "${String(name)}"`);
    flags = (flags & ~(bits.clear ?? 0)) | bits.set;
  }
  return flags;
}

function rootfsPropagation(value: ProcessSpec['rootfsPropagation']): number | undefined {
  switch (value) {
    case undefined:
    case 'rslave':
      return undefined; // the shim's default
    case 'rprivate':
      return MS.PRIVATE | MS.REC;
    default: {
      const never: never = value;
      throw new TscComposeError('TSC_SPEC_INVALID', `invalid container spec: unknown root propagation "${String(never)}"`);
    }
  }
}

/**
 * The directives for a ProcessSpec (validated first). `attach`: a terminal's
 * output is relayed to the engine on CONSOLE_FD as well as logged.
 */
export function lowerProcessSpec(spec: ProcessSpec, attach = false): ContainerDirectives {
  validateProcessSpec(spec);
  const create: NamespaceKind[] = [];
  const join: Array<{ kind: NamespaceKind; path: string }> = [];
  for (const kind of NAMESPACE_KINDS) {
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
    switch (d.kind) {
      case 'bind':
        mounts.push({ source: d.hostPath, target: d.path, fstype: '', flags: MS.BIND, data: '', kind: 'file' });
        break;
      case 'mknod':
        devices.push({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid ?? 0, gid: d.gid ?? 0 });
        break;
      default: {
        const never: never = d;
        throw new TscComposeError('TSC_SPEC_INVALID', `invalid container spec: unknown device kind in ${JSON.stringify(never)}`);
      }
    }
  }
  const files = stateFiles(spec.stateDir);
  return {
    namespaces: create,
    join,
    rootfs:
      spec.rootfs.type === 'overlay'
        ? { target: spec.rootfs.target, type: 'overlay', options: overlayOptions(spec.rootfs) }
        : { target: spec.rootfs.path, type: 'bind' },
    rootfsPropagation: rootfsPropagation(spec.rootfsPropagation),
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
    capabilities: capabilityMasks(spec.capabilities),
    noNewPrivileges: spec.noNewPrivileges,
    user: { uid: spec.user.uid, gid: spec.user.gid, additionalGids: spec.user.additionalGids ?? [] },
    cwd: spec.cwd,
    env: spec.env,
    args: spec.args,
    logFile: spec.logFile,
    logRotate: spec.logMaxSize ? { maxSize: spec.logMaxSize, maxFiles: spec.logMaxFiles ?? 1 } : undefined,
    statusFile: spec.statusFile,
    pidFile: files.pid,
    stdinFd: spec.stdin === true && spec.terminal === undefined ? STDIN_FD : undefined,
    tty: spec.terminal
      ? { rows: spec.terminal.rows, cols: spec.terminal.cols, winsizeFile: files.winsize, input: spec.stdin ? STDIN_FD : -1, output: attach ? CONSOLE_FD : -1 }
      : undefined,
  };
}

export function lowerExecSpec(spec: ExecProcessSpec): ExecDirectives {
  validateExecProcessSpec(spec);
  return {
    targetPid: spec.pid,
    tty: spec.terminal === true,
    cgroupProcs: spec.cgroupProcs,
    capabilities: capabilityMasks(spec.capabilities),
    noNewPrivileges: spec.noNewPrivileges,
    user: { uid: spec.user.uid, gid: spec.user.gid, additionalGids: spec.user.additionalGids ?? [] },
    rlimits: (spec.rlimits ?? []).map((r) => ({ name: r.type, soft: r.soft, hard: r.hard })),
    cwd: spec.cwd,
    env: spec.env,
    args: spec.args,
  };
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

/**
 * Capabilities as two directives: `caps` (one mask, for the Node executor,
 * which applies it as bounding, effective and permitted) and `capsets` (the
 * five sets, which the shim prefers).
 */
function capabilityLines(c: CapabilityMasks): string[] {
  return [line('caps', c.bounding.toString(16)), line('capsets', hex(c.bounding), hex(c.effective), hex(c.permitted), hex(c.inheritable), hex(c.ambient))];
}

export function encodeContainerDirectives(d: ContainerDirectives): string {
  const out: string[] = [];
  for (const ns of d.namespaces) out.push(line('ns', ns));
  for (const j of d.join) out.push(line('join', j.kind, j.path));
  out.push(line('log', d.logFile), line('status', d.statusFile), line('pidfile', d.pidFile));
  if (d.logRotate) out.push(line('log_rotate', d.logRotate.maxSize, d.logRotate.maxFiles));
  if (d.tty) out.push(line('tty', d.tty.rows, d.tty.cols), line('console', d.tty.input, d.tty.output), line('winsize_file', d.tty.winsizeFile));
  else if (d.stdinFd !== undefined) out.push(line('stdin_fd', d.stdinFd));
  if (d.rootfsPropagation !== undefined) out.push(line('rootfs_propagation', hex(d.rootfsPropagation)));
  out.push(d.rootfs.type === 'overlay' ? line('rootfs', d.rootfs.target, 'overlay', d.rootfs.options) : line('rootfs', d.rootfs.target, 'bind', ''));
  for (const m of d.mounts) out.push(line('mount', m.source, m.target, m.fstype, hex(m.flags), m.data, m.kind));
  for (const n of d.devices) out.push(line('device', n.path, n.type, n.major, n.minor, `0${n.fileMode.toString(8)}`, n.uid, n.gid));
  for (const s of d.symlinks) out.push(line('symlink', s.target, s.link));
  if (d.hostname) out.push(line('hostname', d.hostname));
  if (d.domainname) out.push(line('domainname', d.domainname));
  for (const p of d.maskedPaths) out.push(line('mask', p));
  for (const p of d.readonlyPaths) out.push(line('readonly', p));
  if (d.readonlyRoot) out.push(line('readonly_root'));
  if (d.init) out.push(line('init'));
  for (const [k, v] of Object.entries(d.sysctls)) out.push(line('sysctl', k, v));
  for (const r of d.rlimits) out.push(line('rlimit', r.name, r.soft, r.hard));
  if (d.oomScoreAdj !== undefined) out.push(line('oom_score_adj', d.oomScoreAdj));
  out.push(...capabilityLines(d.capabilities));
  if (d.noNewPrivileges) out.push(line('no_new_privs'));
  out.push(line('user', d.user.uid, d.user.gid, d.user.additionalGids.join(',')));
  out.push(line('cwd', d.cwd));
  for (const e of d.env) out.push(line('env', e));
  for (const a of d.args) out.push(line('arg', a));
  return `${out.join('\n')}\n`;
}

export function encodeExecDirectives(d: ExecDirectives): string {
  const out = [line('target', d.targetPid)];
  if (d.tty) out.push(line('tty'));
  for (const c of d.cgroupProcs) out.push(line('cgroup', c));
  out.push(...capabilityLines(d.capabilities));
  if (d.noNewPrivileges) out.push(line('no_new_privs'));
  for (const r of d.rlimits) out.push(line('rlimit', r.name, r.soft, r.hard));
  out.push(line('user', d.user.uid, d.user.gid, d.user.additionalGids.join(',')), line('cwd', d.cwd));
  for (const e of d.env) out.push(line('env', e));
  for (const a of d.args) out.push(line('arg', a));
  return `${out.join('\n')}\n`;
}
