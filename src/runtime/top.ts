/**
 * `top`: a container's processes as `docker top` shows them (the columns of
 * `ps -ef`: UID PID PPID C STIME TTY TIME CMD), read from /proc on the host,
 * for the pids of the container's cgroup. Host pids, host user names, local
 * time, as docker top (which runs ps on the host) shows them.
 */
import * as fs from 'node:fs';

export interface TopTable {
  headers: string[];
  rows: string[][];
}

export const TOP_HEADERS = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];

/** USER_HZ: the unit of /proc's tick counts, 100 on every Linux architecture that runs containers. */
const HZ = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  ttyNr: number;
  /** User and system time, in ticks. */
  utime: number;
  stime: number;
  /** Start time in ticks after boot. */
  starttime: number;
}

/** /proc/PID/stat. The command name may hold spaces and parentheses: fields after it start after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).trim().split(' ');
  // f[0] is field 3 (state); field N is f[N - 3].
  const n = (field: number): number => Number(f[field - 3] ?? NaN);
  const stat = { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), state: f[0] ?? '?', ppid: n(4), ttyNr: n(7), utime: n(14), stime: n(15), starttime: n(22) };
  return [stat.pid, stat.ppid, stat.ttyNr, stat.utime, stat.stime, stat.starttime].every(Number.isFinite) ? stat : undefined;
}

/** The effective uid from /proc/PID/status (`Uid: real effective saved fs`). */
export function effectiveUid(status: string): number | undefined {
  const m = /^Uid:\s+\d+\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** uid → name from passwd text. */
export function userNames(passwd: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}

/** The terminal of a process (`?` for none), from the stat field tty_nr. */
export function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 0) return 'tty';
  if (major === 5 && minor === 1) return 'console';
  return '?';
}

/** Cumulative CPU time as ps prints it: [DD-]HH:MM:SS. */
export function formatCpuTime(ticks: number, hz = HZ): string {
  const total = Math.floor(ticks / hz);
  const days = Math.floor(total / 86400);
  const hms = [Math.floor(total / 3600) % 24, Math.floor(total / 60) % 60, total % 60].map((v) => String(v).padStart(2, '0')).join(':');
  return days > 0 ? `${days}-${hms}` : hms;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** STIME as ps prints it: HH:MM within the last 24 hours, MmmDD within the year, else the year (local time). */
export function formatStartTime(startMs: number, nowMs: number): string {
  const d = new Date(startMs);
  if (nowMs - startMs < 86_400_000) return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (d.getFullYear() === new Date(nowMs).getFullYear()) return `${MONTHS[d.getMonth()]}${String(d.getDate()).padStart(2, '0')}`;
  return String(d.getFullYear());
}

/** ps's C: CPU time over the whole life in percent, whole, at most 99. */
export function cpuPercent(ticks: number, elapsedSeconds: number, hz = HZ): number {
  const seconds = Math.floor(elapsedSeconds);
  if (seconds <= 0) return 0;
  return Math.min(99, Math.floor((ticks * 100) / hz / seconds));
}

/** One row of the table from what /proc says of a process. */
export function topRow(
  p: { stat: ProcStat; uid: number | undefined; cmdline: string },
  clock: { bootMs: number; nowMs: number; uptimeSeconds: number },
  names: Map<number, string>,
): string[] {
  const { stat } = p;
  const ticks = stat.utime + stat.stime;
  const startMs = clock.bootMs + (stat.starttime / HZ) * 1000;
  const elapsed = clock.uptimeSeconds - stat.starttime / HZ;
  // NUL-terminated arguments; empty for kernel threads and zombies.
  const args = p.cmdline === '' ? [] : p.cmdline.replace(/\0$/, '').split('\0');
  const uid = p.uid === undefined ? '?' : (names.get(p.uid) ?? String(p.uid));
  return [uid, String(stat.pid), String(stat.ppid), String(cpuPercent(ticks, elapsed)), formatStartTime(startMs, clock.nowMs), ttyName(stat.ttyNr), formatCpuTime(ticks), args.length > 0 ? args.join(' ') : `[${stat.comm}]`];
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** `docker top` for these host pids (processes that exit while being read are left out), sorted by pid. */
export function listContainerProcesses(pids: number[]): TopTable {
  const names = userNames(readOr('/etc/passwd', ''));
  const uptimeSeconds = Number(readOr('/proc/uptime', '0').split(' ')[0]);
  const nowMs = Date.now();
  const bootMs = nowMs - uptimeSeconds * 1000;
  const rows: string[][] = [];
  for (const pid of [...new Set(pids)].sort((a, b) => a - b)) {
    try {
      const stat = parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (!stat) continue;
      const uid = effectiveUid(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      rows.push(topRow({ stat, uid, cmdline }, { bootMs, nowMs, uptimeSeconds }, names));
    } catch {
      // exited while we read
    }
  }
  return { headers: [...TOP_HEADERS], rows };
}
