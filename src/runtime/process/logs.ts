/**
 * The container log the monitor writes, one record per line:
 *
 *   2026-11-22T10:51:10.003045787Z stdout F hello
 *
 * RFC 3339 time in UTC with nanoseconds, the stream (`stdout` or `stderr`; a
 * terminal's output is `stdout`), `F` when the text ended with a newline or
 * `P` when it did not (a line longer than 16 KiB, or one left unfinished when
 * the stream ended or was quiet for 250 ms), then the text without its
 * newline. The stream's bytes are the records' texts in order, each `F` one
 * followed by "\n". This is the CRI log format, so its tools read it too.
 *
 * With size rotation (spec `logMaxSize`/`logMaxFiles`), older records are in
 * `container.log.1` (the newest of them) .. `.N-1`; readLogs reads those
 * first, oldest first, then the current file, and a follower moves on when
 * the file it reads is rotated under it. A restarted container appends to the
 * same file (its monitor ends a record torn by a killed one first).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  /** RFC 3339 with nanoseconds, UTC; sorts as text. */
  time: string;
  stream: LogStream;
  /** The text, without the newline. */
  line: string;
  /** The text did not end with a newline: the next record of this stream continues it. */
  partial: boolean;
}

const RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (stdout|stderr) ([FP]) (.*)$/s;

export function parseLogRecord(record: string): LogEntry | undefined {
  const m = RECORD.exec(record);
  if (!m) return undefined;
  return { time: m[1] as string, stream: m[2] as LogStream, partial: m[3] === 'P', line: m[4] as string };
}

export function formatLogRecord(entry: LogEntry): string {
  return `${entry.time} ${entry.stream} ${entry.partial ? 'P' : 'F'} ${entry.line}\n`;
}

/** A Date as the log writes times (nanosecond digits), so times compare as text. */
export function logTime(value: Date | string): string {
  if (typeof value === 'string') return value;
  return `${value.toISOString().slice(0, 23)}000000Z`;
}

/** Normalises to nine fractional digits so `2026-…:05Z` and `2026-…:05.1Z` compare right as text. */
function comparable(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(time);
  if (!m) return time;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
}

export interface ReadLogsOptions {
  /** Keep reading as the container writes, until `statusFile` appears (its exit), `until` says so, or `signal` aborts. */
  follow?: boolean;
  /** Only records at or after this time. */
  since?: Date | string;
  /**
   * A time: only records at or before it (a follower stops once the clock is past it).
   * A function: the follower stops when it returns true.
   */
  until?: Date | string | (() => boolean);
  /** Only the last N records that exist when reading starts, across rotated files (then, when following, every new one). */
  tail?: number;
  statusFile?: string;
  signal?: AbortSignal;
  pollMs?: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
/** Records stamped just before `until` may reach the file a moment later. */
const UNTIL_GRACE_MS = 100;

function openIfExists(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** The index of a rotated file name (`container.log.3` → 3), or undefined for anything else. */
export function rotatedIndex(logFile: string, name: string): number | undefined {
  const base = logFile.slice(logFile.lastIndexOf('/') + 1);
  if (!name.startsWith(`${base}.`)) return undefined;
  const rest = name.slice(base.length + 1);
  return /^[1-9]\d*$/.test(rest) ? Number(rest) : undefined;
}

interface OpenLog {
  fd: number;
  ino: number;
}

function closeAll(files: OpenLog[]): void {
  for (const f of files) fs.closeSync(f.fd);
}

/**
 * Opens the log and its rotated files, oldest first. Opened newest first:
 * the writer renames files away from the current name (.1 → .2 before
 * the current file becomes .1), so a scan in that direction never misses or
 * reorders a file; a file seen twice is kept once. A rotation finished
 * during the scan changes the current file, and then the scan is redone.
 */
function openLogSet(logFile: string): OpenLog[] {
  for (let attempt = 0; ; attempt++) {
    const before = inodeOf(logFile);
    const dir = logFile.slice(0, logFile.lastIndexOf('/')) || '/';
    let highest = 0;
    try {
      for (const n of fs.readdirSync(dir)) highest = Math.max(highest, rotatedIndex(logFile, n) ?? 0);
    } catch {
      // no directory: no log
    }
    const opened: OpenLog[] = [];
    const seen = new Set<number>();
    for (let i = 0; i <= highest; i++) {
      const fd = openIfExists(i === 0 ? logFile : `${logFile}.${i}`);
      if (fd === undefined) continue;
      const ino = fs.fstatSync(fd).ino;
      if (seen.has(ino)) {
        fs.closeSync(fd);
        continue;
      }
      seen.add(ino);
      opened.push({ fd, ino });
    }
    const current = opened.length > 0 && before !== undefined ? opened[0] : undefined;
    const stable = before === inodeOf(logFile) && (before === undefined || current?.ino === before);
    if (stable || attempt >= 20) return opened.reverse();
    closeAll(opened);
  }
}

/** Where the last `n` complete records start, reading backwards from `size` (a record still being written does not count), and how many there are. */
function tailOffset(fd: number, size: number, n: number): { offset: number; count: number } {
  if (n <= 0) return { offset: size, count: 0 };
  let end = size;
  let lastNewline = -1;
  let newlines = 0;
  const buf = Buffer.alloc(CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const len = fs.readSync(fd, buf, 0, end - start, start);
    for (let i = len - 1; i >= 0; i--) {
      if (buf[i] !== NEWLINE) continue;
      // The newline ending the last complete record does not start a record.
      if (lastNewline === -1) {
        lastNewline = start + i;
        continue;
      }
      if (++newlines === n) return { offset: start + i + 1, count: n };
    }
    end = start;
  }
  // The first record starts at 0 (when one is complete at all).
  return { offset: 0, count: lastNewline === -1 ? 0 : newlines + 1 };
}

/** Reads one file from an offset, records whole; what follows the last newline is carried to the next read. */
class Cursor {
  offset: number;
  private carry: Buffer = Buffer.alloc(0);
  constructor(
    readonly file: OpenLog,
    offset = 0,
  ) {
    this.offset = offset;
  }

  *read(): Generator<string> {
    const size = fs.fstatSync(this.file.fd).size;
    if (size < this.offset) {
      // Truncated in place: start over at its beginning.
      this.offset = 0;
      this.carry = Buffer.alloc(0);
    }
    while (this.offset < size) {
      const buf = Buffer.alloc(Math.min(CHUNK, size - this.offset));
      const got = fs.readSync(this.file.fd, buf, 0, buf.length, this.offset);
      if (got === 0) break;
      this.offset += got;
      const data = this.carry.length ? Buffer.concat([this.carry, buf.subarray(0, got)]) : buf.subarray(0, got);
      let start = 0;
      for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, start)) {
        yield data.toString('utf8', start, i);
        start = i + 1;
      }
      // A record being written right now: its rest comes with the next read.
      this.carry = Buffer.from(data.subarray(start));
    }
  }
}

/** The records of a container log, oldest first across rotated files; with `follow`, new ones as they are written. */
export async function* readLogs(logFile: string, options: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const since = options.since === undefined ? undefined : comparable(logTime(options.since));
  const untilOption = options.until;
  const untilStop = typeof untilOption === 'function' ? untilOption : undefined;
  const untilTime = untilOption === undefined || typeof untilOption === 'function' ? undefined : comparable(logTime(untilOption));
  const untilMs = untilOption === undefined || typeof untilOption === 'function' ? undefined : new Date(untilOption).getTime();
  const pollMs = options.pollMs ?? 20;
  const finished = (): boolean =>
    options.signal?.aborted === true ||
    (untilStop !== undefined && untilStop()) ||
    (untilMs !== undefined && Date.now() > untilMs + UNTIL_GRACE_MS) ||
    (options.statusFile !== undefined && fs.existsSync(options.statusFile));
  const wanted = (line: string): LogEntry | undefined => {
    const entry = parseLogRecord(line);
    if (!entry) return undefined;
    const t = comparable(entry.time);
    if (since !== undefined && t < since) return undefined;
    if (untilTime !== undefined && t > untilTime) return undefined;
    return entry;
  };

  // Files not yet read (oldest first) and the one being read; the last file is followed.
  let queue: Cursor[] = [];
  let cursor: Cursor | undefined;
  const release = (): void => {
    if (cursor) fs.closeSync(cursor.file.fd);
    for (const c of queue) fs.closeSync(c.file.fd);
    cursor = undefined;
    queue = [];
  };
  try {
    const initial = openLogSet(logFile);
    queue = initial.map((f) => new Cursor(f));
    if (options.tail !== undefined) {
      // From the newest file back until enough records are found; older files are not read at all.
      let remaining = options.tail;
      let first = queue.length;
      for (let i = queue.length - 1; i >= 0; i--) {
        const c = queue[i] as Cursor;
        const { offset, count } = tailOffset(c.file.fd, fs.fstatSync(c.file.fd).size, remaining);
        c.offset = offset;
        first = i;
        remaining -= count;
        if (remaining <= 0) break;
      }
      for (const c of queue.slice(0, first)) fs.closeSync(c.file.fd);
      queue = queue.slice(first);
    }
    for (;;) {
      // Decided before reading, so whatever was written before the exit is still read.
      const done = !options.follow || finished();
      if (!cursor && queue.length === 0 && options.follow) queue = openLogSet(logFile).map((f) => new Cursor(f));
      // Every file but the newest is complete: read through, close, go on.
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (cursor) fs.closeSync(cursor.file.fd);
        cursor = next;
        for (const line of cursor.read()) {
          const entry = wanted(line);
          if (entry) yield entry;
        }
      }
      if (cursor) {
        for (const line of cursor.read()) {
          const entry = wanted(line);
          if (entry) yield entry;
        }
        if (options.follow) {
          const now = inodeOf(logFile);
          if (now !== undefined && now !== cursor.file.ino) {
            // Rotated: the writer is done with our file once another one has its name. Take its rest, then its successors.
            for (const line of cursor.read()) {
              const entry = wanted(line);
              if (entry) yield entry;
            }
            const set = openLogSet(logFile);
            const at = set.findIndex((f) => f.ino === cursor!.file.ino);
            // Not among them: removed as the oldest while we were behind; everything there is newer.
            const next = at === -1 ? set : set.slice(at + 1);
            for (const f of set) if (!next.includes(f)) fs.closeSync(f.fd);
            queue = next.map((f) => new Cursor(f));
            if (queue.length > 0) continue;
          }
        }
      }
      if (done) return;
      await sleep(pollMs);
    }
  } finally {
    release();
  }
}
