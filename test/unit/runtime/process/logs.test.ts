/** The container log format and reading it whole, from the end, from a time, and while it grows. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLogRecord, logTime, parseLogRecord, readLogs } from '../../../../src/runtime/process/logs.js';
import type { LogEntry } from '../../../../src/runtime/process/logs.js';

let dir: string;

async function all(file: string, opts = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(file, opts)) out.push(e);
  return out;
}

const entry = (i: number, stream: 'stdout' | 'stderr' = 'stdout', partial = false): LogEntry => ({
  time: `2026-11-22T10:00:0${i}.00000000${i}Z`,
  stream,
  line: `line ${i}`,
  partial,
});

describe('container logs', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-proc-logs-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses and formats records; text keeps spaces, tabs and carriage returns', () => {
    const e = parseLogRecord('2026-11-22T10:51:10.003045787Z stderr P  two  spaces\tand\r');
    assert.deepEqual(e, { time: '2026-11-22T10:51:10.003045787Z', stream: 'stderr', partial: true, line: ' two  spaces\tand\r' });
    assert.equal(formatLogRecord(e), '2026-11-22T10:51:10.003045787Z stderr P  two  spaces\tand\r\n');
    assert.equal(parseLogRecord('garbage'), undefined);
    assert.equal(parseLogRecord('2026-11-22T10:51:10Z stdin F x'), undefined);
    assert.equal(logTime(new Date('2026-11-22T10:51:10.123Z')), '2026-11-22T10:51:10.123000000Z');
  });

  it('reads everything, the last N, and from a time (a record still being written is left out)', async () => {
    const file = path.join(dir, 'a.log');
    const entries = [entry(1), entry(2, 'stderr'), entry(3, 'stdout', true), entry(4)];
    fs.writeFileSync(file, `${entries.map(formatLogRecord).join('')}2026-11-22T10:00:05.0Z stdout F half-writ`);
    assert.deepEqual(await all(file), entries);
    assert.deepEqual(await all(file, { tail: 2 }), entries.slice(2));
    assert.deepEqual(await all(file, { tail: 0 }), []);
    assert.deepEqual(await all(file, { tail: 10 }), entries);
    assert.deepEqual(await all(file, { since: '2026-11-22T10:00:02Z' }), entries.slice(1));
    assert.deepEqual(await all(file, { since: new Date('2026-11-22T10:00:03.5Z') }), entries.slice(3));
    assert.deepEqual(await all(path.join(dir, 'missing.log')), []);
  });

  it('tail finds records across read chunks', async () => {
    const file = path.join(dir, 'big.log');
    const long = 'x'.repeat(10_000);
    const lines = Array.from({ length: 50 }, (_, i) => formatLogRecord({ time: '2026-11-22T10:00:00.000000000Z', stream: 'stdout', line: `${i} ${long}`, partial: false }));
    fs.writeFileSync(file, lines.join(''));
    const last = await all(file, { tail: 12 });
    assert.deepEqual(last.map((e) => Number(e.line.split(' ')[0])), Array.from({ length: 12 }, (_, i) => 38 + i));
  });

  it('follows a growing log until told to stop, picking up records split across writes', async () => {
    const file = path.join(dir, 'follow.log');
    let stop = false;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of readLogs(file, { follow: true, until: () => stop, pollMs: 5 })) seen.push(e.line);
    })();
    await sleep(30);
    fs.writeFileSync(file, formatLogRecord(entry(1)));
    await sleep(30);
    const second = formatLogRecord(entry(2));
    fs.appendFileSync(file, second.slice(0, 20));
    await sleep(30);
    fs.appendFileSync(file, second.slice(20));
    await sleep(30);
    stop = true;
    await reading;
    assert.deepEqual(seen, ['line 1', 'line 2']);
  });
});
