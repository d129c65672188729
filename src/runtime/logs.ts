/** Reading a container's log file: whole, or followed until the container exits. */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import { parseLogRecord } from './process/logs.js';

export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

/** Calls `onRecord` for every record, new ones as they come, until `done()` says the writer finished. */
export async function followLog(file: string, done: () => boolean, onRecord: (r: LogRecord) => void, pollMs = 15): Promise<void> {
  let offset = 0;
  let carry = '';
  const readNew = (): void => {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const text = carry + buf.toString('utf8');
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parseLogRecord(line);
        if (entry) onRecord({ time: entry.time, stream: entry.stream, partial: entry.partial, text: entry.line });
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  for (;;) {
    const finished = done();
    readNew();
    if (finished) return;
    await sleep(pollMs);
  }
}
