/** Replies from the executors, the errors they become, and the status file. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerCommandError, ContainerStartError, parseShimReply, startFailure } from '../../../../src/runtime/process/protocol.js';
import { parseExitStatus } from '../../../../src/runtime/process/status.js';
import { SyscallError, TscComposeError } from '../../../../src/errors/index.js';

describe('shim protocol', () => {
  it('parses pid, started and error replies (with and without an argument)', () => {
    assert.deepEqual(parseShimReply('pid 123'), { kind: 'pid', pid: 123 });
    assert.deepEqual(parseShimReply('started 123 456'), { kind: 'started', pid: 123, monitorPid: 456 });
    assert.deepEqual(parseShimReply('started 9'), { kind: 'started', pid: 9, monitorPid: undefined });
    assert.deepEqual(parseShimReply('error mount 1 `overlay` on `/x/rootfs`\t/x/rootfs'), { kind: 'error', step: 'mount', errno: 1, message: '`overlay` on `/x/rootfs`', argument: '/x/rootfs' });
    assert.deepEqual(parseShimReply('error mount 2 bind `/a\\tb`\t/a\\tb'), { kind: 'error', step: 'mount', errno: 2, message: 'bind `/a\\tb`', argument: '/a\tb' });
    assert.deepEqual(parseShimReply('error user 1 setuid 5'), { kind: 'error', step: 'user', errno: 1, message: 'setuid 5', argument: undefined });
    assert.equal(parseShimReply('hello'), undefined);
  });

  it('a failed step is a SyscallError naming step, errno and argument; a command that cannot run is TSC_EXEC_FAILED', () => {
    const err = startFailure({ kind: 'error', step: 'mount', errno: 1, message: '`overlay` on `/x/rootfs`', argument: '/x/rootfs' }, 'web');
    assert.ok(err instanceof ContainerStartError && err instanceof SyscallError);
    assert.equal(err.message, 'mount `overlay` on `/x/rootfs`: EPERM');
    assert.equal(err.code, 'TSC_SYSCALL_EPERM');
    assert.equal(err.category, 'permission');
    assert.equal(err.service, 'web');
    assert.equal((err).argument, '/x/rootfs');
    const exec = startFailure({ kind: 'error', step: 'exec', errno: 2, message: 'exec "nosuchcmd": executable file not found in $PATH', argument: 'nosuchcmd' });
    assert.ok(exec instanceof ContainerCommandError && exec instanceof TscComposeError);
    assert.equal(exec.message, 'exec "nosuchcmd": executable file not found in $PATH');
    assert.equal(exec.code, 'TSC_EXEC_FAILED');
    assert.equal((exec).errnoName, 'ENOENT');
  });

  it('reads the status file, with or without the pid line', () => {
    assert.deepEqual(parseExitStatus('exit_code 137\nsignal 9\npid 42\nfinished_at 2026-01-02T03:04:05.000000001Z\n'), {
      exitCode: 137,
      signal: 9,
      pid: 42,
      finishedAt: '2026-01-02T03:04:05.000000001Z',
    });
    assert.deepEqual(parseExitStatus('exit_code 0\nsignal 0\nfinished_at 2026-01-02T03:04:05.123Z\n'), { exitCode: 0, signal: 0, pid: undefined, finishedAt: '2026-01-02T03:04:05.123Z' });
    assert.equal(parseExitStatus(''), undefined);
    assert.equal(parseExitStatus('exit_code x\n'), undefined);
  });
});
