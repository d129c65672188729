import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserializeError, serializeError } from '../../../../src/engine/api/protocol.js';
import type { TscComposeError } from '../../../../src/errors/index.js';
import { ComposeFileError, SyscallError } from '../../../../src/errors/index.js';
import { ERRNO } from '../../../../src/errors/errno.js';

const roundTrip = (err: unknown): TscComposeError => deserializeError(JSON.parse(JSON.stringify(serializeError(err))) as ReturnType<typeof serializeError>);

test('protocol: a compose-file error keeps its file:line:col and key path across the socket', () => {
  const err = new ComposeFileError('TSC_SPEC_INVALID', 'services.web.ports.0 invalid port', { location: { file: '/p/compose.yaml', line: 6, column: 9 }, keyPath: 'services.web.ports.0', service: 'web' });
  const back = roundTrip(err);
  assert.equal(back.code, 'TSC_SPEC_INVALID');
  assert.equal(back.category, 'invalid');
  assert.deepEqual(back.location, { file: '/p/compose.yaml', line: 6, column: 9 });
  assert.equal(back.keyPath, 'services.web.ports.0');
  assert.equal(back.service, 'web');
  assert.equal(back.format(), err.format());
});

test('protocol: a failed system call stays a SyscallError with its syscall and errno', () => {
  const back = roundTrip(new SyscallError('mount', ERRNO.EPERM, '`overlay` on `/x/rootfs`', { service: 'db' }));
  assert.ok(back instanceof SyscallError);
  assert.equal(back.syscall, 'mount');
  assert.equal(back.errno, ERRNO.EPERM);
  assert.equal(back.errnoName, 'EPERM');
  assert.equal(back.code, 'TSC_SYSCALL_EPERM');
  assert.equal(back.category, 'permission');
  assert.equal(back.message, 'mount `overlay` on `/x/rootfs`: EPERM');
  assert.equal(back.service, 'db');
});

test('protocol: a Node system error (full disk) reaches the CLI as a typed one, not a bug', () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -ERRNO.ENOSPC, syscall: 'write', path: '/var/lib/x' });
  const back = roundTrip(enospc);
  assert.ok(back instanceof SyscallError);
  assert.equal(back.code, 'TSC_SYSCALL_ENOSPC');
  assert.match(back.message, /no space left on device/);
});

test('protocol: anything else is internal; a code this CLI does not know says so', () => {
  assert.equal(roundTrip(new Error('boom')).category, 'internal');
  const unknown = deserializeError({ code: 'TSC_FROM_THE_FUTURE', category: 'invalid', message: 'x' });
  assert.equal(unknown.code, 'TSC_INTERNAL');
  assert.match(unknown.message, /TSC_FROM_THE_FUTURE/);
});
