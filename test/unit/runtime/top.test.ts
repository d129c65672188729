/** docker top's columns from /proc text: stat parsing, terminals, times, C, user names, rows. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuPercent, effectiveUid, formatCpuTime, formatStartTime, parseProcStat, topRow, ttyName, userNames } from '../../../src/runtime/top.js';

const STAT = '4242 (my (odd) cmd) S 4000 4242 4242 34817 4242 4194560 100 0 0 0 250 130 0 0 20 0 1 0 123456 4000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0';

describe('top', () => {
  it('parses /proc/PID/stat, also with spaces and parentheses in the command name', () => {
    assert.deepEqual(parseProcStat(STAT), { pid: 4242, comm: 'my (odd) cmd', state: 'S', ppid: 4000, ttyNr: 34817, utime: 250, stime: 130, starttime: 123456 });
    assert.equal(parseProcStat('garbage'), undefined);
    assert.equal(parseProcStat('1 (x) S'), undefined);
  });

  it('reads the effective uid and host user names', () => {
    assert.equal(effectiveUid('Name:\tsh\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n'), 0);
    assert.equal(effectiveUid('Name:\tsh\n'), undefined);
    const names = userNames('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n# comment\nbad line\ntoor:x:0:0::/:/bin/sh\n');
    assert.equal(names.get(0), 'root');
    assert.equal(names.get(65534), 'nobody');
    assert.equal(names.size, 2);
  });

  it('names terminals as ps does', () => {
    assert.equal(ttyName(0), '?');
    assert.equal(ttyName((136 << 8) | 1), 'pts/1');
    assert.equal(ttyName((137 << 8) | 2), 'pts/258');
    assert.equal(ttyName(34817), 'pts/1');
    assert.equal(ttyName((4 << 8) | 2), 'tty2');
    assert.equal(ttyName((4 << 8) | 65), 'ttyS1');
    assert.equal(ttyName((5 << 8) | 1), 'console');
    // minor numbers above 255 live in the high bits
    assert.equal(ttyName((136 << 8) | (1 << 20) | 4), 'pts/260');
  });

  it('formats CPU time, start time and C as ps does', () => {
    assert.equal(formatCpuTime(0), '00:00:00');
    assert.equal(formatCpuTime(380), '00:00:03');
    assert.equal(formatCpuTime(100 * 3723), '01:02:03');
    assert.equal(formatCpuTime(100 * (2 * 86400 + 61)), '2-00:01:01');
    const now = new Date(2026, 10, 22, 15, 30).getTime();
    assert.equal(formatStartTime(new Date(2026, 10, 22, 9, 5).getTime(), now), '09:05');
    assert.equal(formatStartTime(new Date(2026, 10, 21, 16, 0).getTime(), now), '16:00');
    assert.equal(formatStartTime(new Date(2026, 2, 7, 9, 5).getTime(), now), 'Mar07');
    assert.equal(formatStartTime(new Date(2024, 2, 7).getTime(), now), '2024');
    assert.equal(cpuPercent(50, 10), 5);
    assert.equal(cpuPercent(5000, 10), 99);
    assert.equal(cpuPercent(50, 0.5), 0);
  });

  it('builds a row; a process without arguments shows [comm]', () => {
    const stat = parseProcStat(STAT)!;
    const nowMs = new Date(2026, 10, 22, 15, 30).getTime();
    const uptimeSeconds = 1234.56 + 10;
    const clock = { bootMs: nowMs - uptimeSeconds * 1000, nowMs, uptimeSeconds };
    const names = new Map([[0, 'root']]);
    assert.deepEqual(topRow({ stat, uid: 0, cmdline: 'sleep\x0030\x00' }, clock, names), ['root', '4242', '4000', '38', '15:29', 'pts/1', '00:00:03', 'sleep 30']);
    assert.deepEqual(topRow({ stat, uid: 1234, cmdline: '' }, clock, names).filter((_, i) => i === 0 || i === 7), ['1234', '[my (odd) cmd]']);
    assert.equal(topRow({ stat, uid: 0, cmdline: 'a\x00\x00b\x00' }, clock, names)[7], 'a  b');
  });
});
