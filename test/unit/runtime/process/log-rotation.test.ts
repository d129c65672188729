/** Reading rotated logs: file order, tail/since/until across files, following through rotations, the rotation directive. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLogRecord, readLogs, rotatedIndex } from '../../../../src/runtime/process/logs.js';
import { logFiles } from '../../../support/log-files.js';
import type { ReadLogsOptions } from '../../../../src/runtime/process/logs.js';
import { encodeContainerDirectives, lowerProcessSpec } from '../../../../src/runtime/process/lowering.js';
import type { ProcessSpec } from '../../../../src/runtime/process/contract.js';

let dir: string;

const at = (i: number): string => new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + i * 1000).toISOString().replace('Z', '000000Z');
const rec = (i: number): string => formatLogRecord({ time: at(i), stream: i % 3 === 0 ? 'stderr' : 'stdout', line: `line ${i}`, partial: false });

async function lines(file: string, opts: ReadLogsOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLogs(file, opts)) out.push(e.line);
  return out;
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, k) => `line ${from + k}`);

/** Rotates as the monitor does: shift .i → .i+1 oldest first, link the current as .1, rename a new file over it. */
function rotate(file: string, maxFiles: number): void {
  for (let i = maxFiles - 1; i >= 2; i--) {
    try {
      fs.renameSync(`${file}.${i - 1}`, `${file}.${i}`);
    } catch {
      // not there yet
    }
  }
  fs.writeFileSync(`${file}.new`, '');
  if (maxFiles >= 2) {
    fs.linkSync(file, `${file}.1.new`);
    fs.renameSync(`${file}.1.new`, `${file}.1`);
  }
  fs.renameSync(`${file}.new`, file);
}

/** Three files: .2 = 1..3, .1 = 4..6, current = 7..9. */
function threeFiles(name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(`${file}.2`, [1, 2, 3].map(rec).join(''));
  fs.writeFileSync(`${file}.1`, [4, 5, 6].map(rec).join(''));
  fs.writeFileSync(file, [7, 8, 9].map(rec).join(''));
  return file;
}

describe('rotated container logs', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-proc-logrot-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names rotated files and lists them oldest first', () => {
    const file = threeFiles('names.log');
    fs.writeFileSync(`${file}.new`, '');
    fs.writeFileSync(`${file}.1.new`, '');
    fs.writeFileSync(path.join(dir, 'names.logx.1'), '');
    assert.equal(rotatedIndex(file, 'names.log.12'), 12);
    assert.equal(rotatedIndex(file, 'names.log.01'), undefined);
    assert.equal(rotatedIndex(file, 'names.log.new'), undefined);
    assert.equal(rotatedIndex(file, 'names.log'), undefined);
    assert.deepEqual(logFiles(file), [`${file}.2`, `${file}.1`, file]);
  });

  it('reads rotated files oldest first, then the current one; tail, since and until across files', async () => {
    const file = threeFiles('read.log');
    assert.deepEqual(await lines(file), range(1, 9));
    assert.deepEqual(await lines(file, { tail: 2 }), range(8, 9));
    assert.deepEqual(await lines(file, { tail: 3 }), range(7, 9));
    assert.deepEqual(await lines(file, { tail: 5 }), range(5, 9));
    assert.deepEqual(await lines(file, { tail: 100 }), range(1, 9));
    assert.deepEqual(await lines(file, { tail: 0 }), []);
    assert.deepEqual(await lines(file, { since: at(3) }), range(3, 9));
    assert.deepEqual(await lines(file, { until: at(5) }), range(1, 5));
    assert.deepEqual(await lines(file, { until: new Date(Date.parse(at(4).replace('000000Z', 'Z')) + 500) }), range(1, 4));
    assert.deepEqual(await lines(file, { since: at(2), until: at(7) }), range(2, 7));
    assert.deepEqual(await lines(file, { tail: 4, until: at(8) }), range(6, 8));
  });

  it('reads the rotated files when the current one is missing, and tail skips a record still being written', async () => {
    const file = threeFiles('partial.log');
    fs.appendFileSync(file, `${at(10)} stdout F half`);
    assert.deepEqual(await lines(file, { tail: 1 }), ['line 9']);
    fs.rmSync(file);
    assert.deepEqual(await lines(file), range(1, 6));
  });

  it('follows through rotations (also several between two reads) without losing or repeating a record', async () => {
    const file = path.join(dir, 'follow.log');
    fs.writeFileSync(file, rec(1));
    let stop = false;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of readLogs(file, { follow: true, until: () => stop, pollMs: 5 })) seen.push(e.line);
    })();
    await sleep(20);
    let n = 1;
    for (let round = 0; round < 30; round++) {
      // Some rounds rotate twice before the reader looks again.
      const rotations = round % 4 === 0 ? 2 : 1;
      for (let k = 0; k < rotations; k++) {
        fs.appendFileSync(file, rec(++n));
        rotate(file, 4);
        fs.appendFileSync(file, rec(++n));
      }
      await sleep(round % 3 === 0 ? 0 : 8);
    }
    await sleep(40);
    stop = true;
    await reading;
    assert.deepEqual(seen, range(1, n));
    assert.ok(!fs.existsSync(`${file}.4`), 'never more than maxFiles files');
  });

  it('follows a log replaced as a whole (one file kept) and a log truncated in place', async () => {
    const file = path.join(dir, 'single.log');
    fs.writeFileSync(file, rec(1));
    let stop = false;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of readLogs(file, { follow: true, until: () => stop, pollMs: 5 })) seen.push(e.line);
    })();
    await sleep(20);
    fs.appendFileSync(file, rec(2));
    rotate(file, 1);
    fs.appendFileSync(file, rec(3));
    await sleep(30);
    fs.truncateSync(file, 0);
    await sleep(30);
    fs.appendFileSync(file, rec(4));
    await sleep(30);
    stop = true;
    await reading;
    assert.deepEqual(seen, range(1, 4));
  });

  it('a follower with a time `until` stops once the clock passes it, without the records written after it', async () => {
    const file = path.join(dir, 'until.log');
    const now = Date.now();
    const stamp = (ms: number, line: string): string => formatLogRecord({ time: new Date(ms).toISOString().replace('Z', '000000Z'), stream: 'stdout', line, partial: false });
    fs.writeFileSync(file, stamp(now - 1000, 'before'));
    const reading = lines(file, { follow: true, until: new Date(now + 80), pollMs: 5 });
    fs.appendFileSync(file, stamp(now + 10, 'in time'));
    fs.appendFileSync(file, stamp(now + 5000, 'too late'));
    assert.deepEqual(await reading, ['before', 'in time']);
    assert.ok(Date.now() - now < 2000, 'stopped soon after until');
  });

  it('the rotation directive is written only when asked for', () => {
    const spec: ProcessSpec = {
      namespaces: { mnt: 'new' },
      rootfs: { type: 'directory', path: '/r' },
      mounts: [],
      capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
      noNewPrivileges: true,
      user: { uid: 0, gid: 0 },
      cwd: '/',
      env: [],
      args: ['true'],
      logFile: '/c/log',
      statusFile: '/c/status',
      stateDir: '/c',
    };
    assert.doesNotMatch(encodeContainerDirectives(lowerProcessSpec(spec)), /log_rotate/);
    assert.doesNotMatch(encodeContainerDirectives(lowerProcessSpec({ ...spec, logMaxSize: 0 })), /log_rotate/);
    assert.match(encodeContainerDirectives(lowerProcessSpec({ ...spec, logMaxSize: 1024 })), /^log_rotate\t1024\t1$/m);
    assert.match(encodeContainerDirectives(lowerProcessSpec({ ...spec, logMaxSize: 1024, logMaxFiles: 3 })), /^log_rotate\t1024\t3$/m);
    assert.throws(() => lowerProcessSpec({ ...spec, logMaxSize: -1 }), /logMaxSize/);
    assert.throws(() => lowerProcessSpec({ ...spec, logMaxSize: 10, logMaxFiles: 0 }), /logMaxFiles/);
  });
});
