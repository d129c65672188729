/**
 * The container spec the shim carries out: what TypeScript decided, as
 * ordered directives. The shim interprets nothing; this module is the whole
 * contract between them (see native/tsc-compose-shim.c).
 */

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
  /** What to create when the target is missing. */
  kind: 'dir' | 'file';
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
  statusFile: string;
  pidFile: string;
  /** The container's stdin comes from the shim's fd 3 (a pipe from the engine) instead of /dev/null. */
  stdinFromEngine?: boolean;
  /** A terminal from the container's devpts as its stdio; the monitor relays fd 3 → terminal → fd 4 and the log. */
  tty?: { rows: number; cols: number; winsizeFile: string } | undefined;
}

export interface ExecSpec {
  targetPid: number;
  /** A terminal from the container's devpts, relayed to ours. */
  tty?: boolean;
  cgroupProcs: string[];
  capabilities: bigint;
  noNewPrivileges: boolean;
  user: { uid: number; gid: number };
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

export function encodeContainerSpec(spec: ContainerSpec): string {
  const out: string[] = [];
  for (const ns of spec.namespaces) out.push(line('ns', ns));
  for (const j of spec.join) out.push(line('join', j.kind, j.path));
  out.push(line('log', spec.logFile), line('status', spec.statusFile), line('pidfile', spec.pidFile));
  if (spec.tty) {
    out.push(line('tty', spec.tty.rows, spec.tty.cols), line('console', 3, 4), line('winsize_file', spec.tty.winsizeFile));
  } else if (spec.stdinFromEngine) {
    out.push(line('stdin_fd', 3));
  }
  if (spec.rootfs.type === 'overlay') {
    out.push(line('rootfs', spec.rootfs.target, 'overlay', `lowerdir=${spec.rootfs.lower.join(':')},upperdir=${spec.rootfs.upper},workdir=${spec.rootfs.work}`));
  } else {
    out.push(line('rootfs', spec.rootfs.target, 'bind', ''));
  }
  for (const m of spec.mounts) out.push(line('mount', m.source, m.target, m.fstype, `0x${m.flags.toString(16)}`, m.data, m.kind));
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
  if (spec.noNewPrivileges) out.push(line('no_new_privs'));
  out.push(line('user', spec.user.uid, spec.user.gid), line('cwd', spec.cwd));
  for (const e of spec.env) out.push(line('env', e));
  for (const a of spec.args) out.push(line('arg', a));
  return `${out.join('\n')}\n`;
}
