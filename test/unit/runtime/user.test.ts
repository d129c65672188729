import { it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUser, UserResolutionError } from '../../../src/runtime/user.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999::/var/lib/postgresql:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\npostgres:x:999:\nssl-cert:x:101:postgres\nusers:x:100:nobody,postgres\nnogroup:x:65534:\n';

it('defaults to root with its home', () => {
  assert.deepEqual(resolveUser(undefined, [], PASSWD, GROUP), { uid: 0, gid: 0, additionalGids: [], home: '/root', name: 'root' });
});

it('resolves names with primary and supplementary groups', () => {
  const u = resolveUser('postgres', [], PASSWD, GROUP);
  assert.equal(u.uid, 999);
  assert.equal(u.gid, 999);
  assert.deepEqual(u.additionalGids.sort(), [100, 101]);
  assert.equal(u.home, '/var/lib/postgresql');
});

it('numeric ids work without passwd entries; explicit groups replace membership', () => {
  assert.deepEqual(resolveUser('1234', [], PASSWD, GROUP), { uid: 1234, gid: 0, additionalGids: [], home: '/', name: undefined });
  assert.deepEqual(resolveUser('postgres:nogroup', [], PASSWD, GROUP).gid, 65534);
  assert.deepEqual(resolveUser('postgres:nogroup', [], PASSWD, GROUP).additionalGids, []);
  assert.deepEqual(resolveUser('1000:1000', ['users', '42'], undefined, GROUP).additionalGids, [100, 42]);
});

it('unknown names are clear errors', () => {
  assert.throws(() => resolveUser('alice', [], PASSWD, GROUP), /unable to find user alice: no matching entries in passwd file/);
  assert.throws(() => resolveUser('root:wheel', [], PASSWD, GROUP), /unable to find group wheel/);
  assert.throws(() => resolveUser('alice', [], undefined, undefined), UserResolutionError);
});
