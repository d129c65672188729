/**
 * Log rotation by the real monitor: busybox containers print many lines with
 * a small max size; the files rotate, their number stays limited, no record
 * is split, and readLogs reads across them (tail, since, until, follow
 * through rotations, a container restarted onto the same log).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { processFixture } from '../../support/process-fixture.js';
import type { ProcessFixture } from '../../support/process-fixture.js';
import { waitForExit } from '../../../src/runtime/process/index.js';
import { parseLogRecord, readLogs } from '../../../src/runtime/process/logs.js';
import { logFiles } from '../../support/log-files.js';
import type { LogEntry, ReadLogsOptions } from '../../../src/runtime/process/logs.js';
import type { ProcessSpec } from '../../../src/runtime/process/contract.js';
import { runtimeFixture } from '../../support/runtime-fixture.js';

let fx: ProcessFixture;

async function collect(file: string, opts: ReadLogsOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(file, opts)) out.push(e);
  return out;
}

/** `n` numbered lines (`line 0 xxxx`), with a pause every `every` lines when asked for. */
function printer(n: number, pauseEvery = 0): string[] {
  const pause = pauseEvery > 0 ? `[ $((i % ${pauseEvery})) -eq 0 ] && usleep 2000;` : '';
  return ['sh', '-c', `i=0; while [ $i -lt ${n} ]; do echo "line $i xxxxxxxxxxxxxxxxxxxx"; ${pause} i=$((i+1)); done`];
}

const numbers = (entries: LogEntry[]): number[] => entries.map((e) => Number(/^line (\d+) /.exec(e.line)?.[1] ?? -1));
const consecutive = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

async function runToExit(spec: ProcessSpec): Promise<void> {
  const started = await fx.start(spec);
  const status = await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 30_000 });
  assert.equal(status?.exitCode, 0);
  await started.waitMonitorExit();
}

describe('log rotation in the monitor', () => {
  before(async () => {
    fx = await processFixture();
  });
  after(async () => {
    await fx.cleanup();
  });

  it('rotates by size, keeps at most max-file files, never splits a record; readLogs reads across files', async () => {
    const maxSize = 4096;
    const spec = fx.spec(printer(2000), {}, { log: { maxSize, maxFiles: 3 } });
    await runToExit(spec);
    const files = logFiles(spec.logFile);
    assert.deepEqual(files, [`${spec.logFile}.2`, `${spec.logFile}.1`, spec.logFile]);
    assert.equal(fs.existsSync(`${spec.logFile}.3`), false);
    assert.equal(fs.existsSync(`${spec.logFile}.new`), false);
    const perFile: number[][] = [];
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      assert.ok(text.length <= maxSize, `${f} has ${text.length} bytes`);
      assert.ok(text.endsWith('\n'));
      const records = text.slice(0, -1).split('\n');
      for (const r of records) assert.ok(parseLogRecord(r), `a whole record: ${r}`);
      perFile.push(numbers(records.map((r) => parseLogRecord(r) as LogEntry)));
    }
    // Oldest file first, the last record of the run in the current file, nothing missing between.
    const all = await collect(spec.logFile);
    const got = numbers(all);
    assert.equal(got.at(-1), 1999);
    assert.deepEqual(got, consecutive(got[0] as number, 1999));
    assert.deepEqual(got, perFile.flat());
    assert.ok(got.length < 2000 && got.length > 150, `${got.length} records kept`);

    // tail reaching into rotated files
    const currentCount = (perFile[2] as number[]).length;
    const tail = numbers(await collect(spec.logFile, { tail: currentCount + 10 }));
    assert.deepEqual(tail, consecutive(1999 - currentCount - 9, 1999));
    // since and until with times inside the oldest and the current file
    const oldestFile = perFile[0] as number[];
    const from = all[Math.floor(oldestFile.length / 2)] as LogEntry;
    const to = all[all.length - 3] as LogEntry;
    const window = await collect(spec.logFile, { since: from.time, until: to.time });
    assert.ok(window.length > 0);
    assert.ok(window.every((e) => e.time >= from.time && e.time <= to.time));
    assert.equal(window[0]?.time, all.find((e) => e.time >= from.time)?.time);
    assert.equal(numbers(window).at(-1), numbers(all.filter((e) => e.time <= to.time)).at(-1));
  });

  it('one file kept: the full file is replaced, never grown past the limit', async () => {
    const spec = fx.spec(printer(500), {}, { log: { maxSize: 2048 } });
    await runToExit(spec);
    assert.deepEqual(logFiles(spec.logFile), [spec.logFile]);
    assert.ok(fs.statSync(spec.logFile).size <= 2048);
    const got = numbers(await collect(spec.logFile));
    assert.deepEqual(got, consecutive(got[0] as number, 499));
  });

  it('a follower started before the container reads every line through many rotations', async () => {
    // A follower polls: it keeps up as long as fewer than max-file rotations happen between two looks (as Docker's).
    const spec = fx.spec(printer(3000, 20), {}, { log: { maxSize: 4096, maxFiles: 8 } });
    const seen: LogEntry[] = [];
    const following = (async () => {
      for await (const e of readLogs(spec.logFile, { follow: true, statusFile: spec.statusFile, pollMs: 2 })) seen.push(e);
    })();
    await runToExit(spec);
    await following;
    assert.deepEqual(numbers(seen), consecutive(0, 2999));
    assert.ok(numbers(await collect(spec.logFile))[0]! > 0, 'the early lines were rotated away on disk');
  });

  it('a container restarted onto the same log appends to it; a record torn by a killed monitor is ended first', async () => {
    const first = fx.spec(['sh', '-c', 'echo one; echo two'], {}, { log: { maxSize: 1 << 20, maxFiles: 2 } });
    await runToExit(first);
    fs.appendFileSync(first.logFile, '2026-11-22T10:00:00.000000000Z stdout F torn');
    const seen: string[] = [];
    let stop = false;
    const following = (async () => {
      for await (const e of readLogs(first.logFile, { follow: true, until: () => stop, pollMs: 5 })) seen.push(e.line);
    })();
    // The same log, as a restarted container has.
    const second = { ...fx.spec(['sh', '-c', 'echo three; echo four'], {}, { log: { maxSize: 1 << 20, maxFiles: 2 } }), logFile: first.logFile };
    await runToExit(second);
    await sleep(50);
    stop = true;
    await following;
    assert.deepEqual(seen, ['one', 'two', 'torn', 'three', 'four']);
    assert.deepEqual((await collect(first.logFile)).map((e) => e.line), ['one', 'two', 'torn', 'three', 'four']);
  });

  it("Runtime.start's log options reach the monitor (max-size, max-file)", async () => {
    const rt = await runtimeFixture();
    try {
      const config = rt.config(printer(400));
      await rt.runtime.start(config, undefined, { log: { maxSize: 2048, maxFiles: 2 } });
      await rt.runtime.wait(config.id);
      const log = rt.runtime.paths(config.id).log;
      assert.deepEqual(logFiles(log), [`${log}.1`, log]);
      for (const f of logFiles(log)) assert.ok(fs.statSync(f).size <= 2048);
      const got = numbers(await collect(log));
      assert.deepEqual(got, consecutive(got[0] as number, 399));
    } finally {
      await rt.cleanup();
    }
  });
});
