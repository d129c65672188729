import { test } from 'node:test';
import assert from 'node:assert/strict';
import { securityOptions } from '../../../src/engine/security-options.js';
import { TscComposeError } from '../../../src/errors/index.js';

test('security_opt: the forms Docker accepts', () => {
  assert.deepEqual(securityOptions(undefined), { noNewPrivileges: false, seccomp: { kind: 'default' }, unmaskedSystemPaths: false });
  for (const e of ['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true']) assert.equal(securityOptions([e]).noNewPrivileges, true, e);
  assert.equal(securityOptions(['no-new-privileges', 'no-new-privileges=false']).noNewPrivileges, false);
  assert.deepEqual(securityOptions(['seccomp=unconfined']).seccomp, { kind: 'unconfined' });
  assert.deepEqual(securityOptions(['seccomp:/etc/p.json']).seccomp, { kind: 'profile', file: '/etc/p.json' });
  assert.equal(securityOptions(['systempaths=unconfined']).unmaskedSystemPaths, true);
  assert.doesNotThrow(() => securityOptions(['apparmor=unconfined', 'label=disable', 'label:disable']));
});

test('security_opt: what is not supported is refused with the entry and the reason, never ignored', () => {
  const refused = (entry: string, why: RegExp): void =>
    assert.throws(
      () => securityOptions([entry], 'web'),
      (err: unknown) => err instanceof TscComposeError && err.code === 'TSC_SECURITY_OPT' && err.service === 'web' && err.message.startsWith(`security_opt "${entry}": `) && why.test(err.message),
      entry,
    );
  refused('apparmor=docker-default', /AppArmor profiles are not supported/);
  refused('label=type:svirt_apache_t', /SELinux labels are not supported/);
  refused('no-new-privileges=maybe', /true or false/);
  refused('seccomp=', /profile file or "unconfined"/);
  refused('systempaths=masked', /only value is "unconfined"/);
  refused('nonsense', /unknown option/);
});
