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
 */
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
  /** Keep reading as the container writes, until `statusFile` appears (its exit), `until()` says so, or `signal` aborts. */
  follow?: boolean;
  /** Only records at or after this time. */
  since?: Date | string;
  /** Only the last N records that exist when reading starts (then, when following, every new one). */
  tail?: number;
  statusFile?: string;
  until?: () => boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

function openIfExists(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Where the last `n` complete records start (reading backwards from `size`; a record still being written does not count). */
function tailOffset(fd: number, size: number, n: number): number {
  if (n <= 0) return size;
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
      if (++newlines === n) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The records of a container log, oldest first; with `follow`, new ones as they are written. */
export async function* readLogs(logFile: string, options: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const since = options.since === undefined ? undefined : comparable(logTime(options.since));
  const pollMs = options.pollMs ?? 20;
  let fd = openIfExists(logFile);
  let offset = 0;
  let carry: Buffer = Buffer.alloc(0);
  const finished = (): boolean =>
    options.signal?.aborted === true ||
    (options.until !== undefined && options.until()) ||
    (options.statusFile !== undefined && fs.existsSync(options.statusFile));
  try {
    if (fd !== undefined && options.tail !== undefined) offset = tailOffset(fd, fs.fstatSync(fd).size, options.tail);
    for (;;) {
      // Decided before reading, so whatever was written before the exit is still read.
      const done = !options.follow || finished();
      if (fd === undefined) fd = openIfExists(logFile);
      if (fd !== undefined) {
        const size = fs.fstatSync(fd).size;
        while (offset < size) {
          const buf = Buffer.alloc(Math.min(CHUNK, size - offset));
          const got = fs.readSync(fd, buf, 0, buf.length, offset);
          if (got === 0) break;
          offset += got;
          let data = carry.length ? Buffer.concat([carry, buf.subarray(0, got)]) : buf.subarray(0, got);
          let start = 0;
          for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, start)) {
            const entry = parseLogRecord(data.toString('utf8', start, i));
            start = i + 1;
            if (entry && (since === undefined || comparable(entry.time) >= since)) yield entry;
          }
          // A record being written right now: its rest comes with the next read.
          carry = Buffer.from(data.subarray(start));
          data = Buffer.alloc(0);
        }
      }
      if (done) return;
      await sleep(pollMs);
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
