/** `top`: a container's processes as `docker top` shows them, from /proc. */
import * as fs from 'node:fs';

const CLOCK_TICKS = 100;

function bootTimeMs(): number {
  const m = /btime (\d+)/.exec(fs.readFileSync('/proc/stat', 'utf8'));
  return Number(m?.[1] ?? 0) * 1000;
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function cpuTime(ticks: number): string {
  const s = Math.floor(ticks / CLOCK_TICKS);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function listContainerProcesses(pids: number[]): { headers: string[]; rows: string[][] } {
  const headers = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];
  const boot = bootTimeMs();
  const rows: string[][] = [];
  for (const pid of [...pids].sort((a, b) => a - b)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = fields[1] ?? '0';
      const ttyNr = Number(fields[4] ?? 0);
      const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
      const start = boot + (Number(fields[19] ?? 0) / CLOCK_TICKS) * 1000;
      const uid = /Uid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const elapsedS = Math.max(1, (Date.now() - start) / 1000);
      const c = Math.floor((ticks / CLOCK_TICKS / elapsedS) * 100);
      rows.push([uid, String(pid), ppid, String(c), hhmm(start), ttyNr === 0 ? '?' : `pts/${ttyNr & 0xff}`, cpuTime(ticks), cmdline || `[${comm}]`]);
    } catch {
      // exited while we read
    }
  }
  return { headers, rows };
}
