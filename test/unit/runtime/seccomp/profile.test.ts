import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dockerDefaultSeccompProfile, parseSeccompProfile } from '../../../../src/runtime/seccomp/profile.js';
import { TscComposeError } from '../../../../src/errors/index.js';

const SOURCE = '/srv/app/seccomp.json';

function parse(profile: unknown): ReturnType<typeof parseSeccompProfile> {
  return parseSeccompProfile(JSON.stringify(profile), SOURCE);
}

/** The error a profile gets: its code and message. */
function failure(text: string): { code: string; message: string } {
  try {
    parseSeccompProfile(text, SOURCE, { service: 'web', keyPath: 'services.web.security_opt.0' });
  } catch (err) {
    assert.ok(err instanceof TscComposeError, `not a TscComposeError: ${String(err)}`);
    assert.equal(err.service, 'web');
    assert.equal(err.keyPath, 'services.web.security_opt.0');
    return { code: err.code, message: err.message };
  }
  assert.fail('the profile was accepted');
}

const rule = (extra: Record<string, unknown>): string => JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', ...extra }] });

describe("Docker's default profile", () => {
  const profile = dockerDefaultSeccompProfile();

  it('is read as moby wrote it: EPERM by default, one archMap entry per host architecture', () => {
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(profile.defaultErrnoRet, 1);
    assert.deepEqual(profile.architectures, []);
    assert.deepEqual(profile.archMap.find((a) => a.architecture === 'SCMP_ARCH_X86_64')?.subArchitectures, ['SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.equal(profile.rules.length, 33);
    assert.equal(profile.rules[0]?.names.length, 361);
  });

  it('does not name io_uring anywhere, so it stays off', () => {
    const named = new Set(profile.rules.flatMap((r) => r.names));
    for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register']) assert.equal(named.has(name), false, name);
  });

  it('reads capability conditions without the CAP_ prefix', () => {
    const sysAdmin = profile.rules.find((r) => r.names.includes('mount'));
    assert.deepEqual(sysAdmin?.includes?.caps, ['SYS_ADMIN']);
    const clone = profile.rules.find((r) => r.names.length === 1 && r.names[0] === 'clone' && r.args.length === 1 && r.args[0]?.index === 0);
    assert.deepEqual(clone?.excludes?.caps, ['SYS_ADMIN']);
    assert.deepEqual(clone?.excludes?.arches, ['s390', 's390x']);
    assert.deepEqual(clone?.args, [{ index: 0, value: 2114060288n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }]);
  });
});

describe('parseSeccompProfile', () => {
  it('keeps 64-bit argument values exact, also past 2^53', () => {
    const text = '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",'
      + ' "args": [{"index": 1, "value": 18446744073709551615, "valueTwo": 9007199254740993, "op": "SCMP_CMP_MASKED_EQ"}]}]}';
    const p = parseSeccompProfile(text, SOURCE);
    assert.deepEqual(p.rules[0]?.args[0], { index: 1, value: 18446744073709551615n, valueTwo: 9007199254740993n, op: 'SCMP_CMP_MASKED_EQ' });
  });

  it('reads the deprecated single `name`, minKernel, flags and archMap entries without sub-architectures', () => {
    const p = parse({
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      archMap: [{ architecture: 'SCMP_ARCH_AARCH64', subArchitectures: null }],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [{ name: 'ptrace', action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' }, comment: 'why' }],
    });
    assert.deepEqual(p.rules[0]?.names, ['ptrace']);
    assert.deepEqual(p.rules[0]?.includes, { caps: [], arches: [], minKernel: { major: 4, minor: 8 } });
    assert.deepEqual(p.archMap, [{ architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] }]);
    assert.deepEqual(p.flags, ['SECCOMP_FILTER_FLAG_LOG']);
  });

  it('names the file and the key path of what is wrong, every problem at once', () => {
    const f = failure(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }, { names: ['write'], action: 'SCMP_ACT_ALLOW', colour: 'red' }] }));
    assert.equal(f.code, 'TSC_SECCOMP_PROFILE');
    assert.match(f.message, /^seccomp profile \/srv\/app\/seccomp\.json:\n/);
    assert.match(f.message, /syscalls\.0\.args\.0\.index: .*5/);
    assert.match(f.message, /syscalls\.1: Unrecognized key: "colour"/);
  });

  it('refuses what is not JSON, with the parser reason', () => {
    assert.match(failure('{"defaultAction": ').message, /^seccomp profile \/srv\/app\/seccomp\.json: not valid JSON: /);
  });

  it('asks for a default action instead of treating an empty profile as no filter', () => {
    assert.match(failure('{}').message, /defaultAction: required.*seccomp=unconfined/);
  });

  it('refuses unknown actions, operators, architectures, flags and capabilities by name', () => {
    assert.match(failure(rule({ action: 'SCMP_ACT_PERMIT' })).message, /syscalls\.0\.action: unknown action "SCMP_ACT_PERMIT"/);
    assert.match(failure(rule({ args: [{ index: 0, value: 1, op: 'SCMP_CMP_IN' }] })).message, /syscalls\.0\.args\.0\.op: /);
    assert.match(failure(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_VAX'] })).message, /architectures\.0: /);
    assert.match(failure(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_FAST'] })).message, /flags\.0: unknown flag "SECCOMP_FILTER_FLAG_FAST"/);
    assert.match(failure(rule({ includes: { caps: ['CAP_SYS_WIZARD'] } })).message, /syscalls\.0\.includes\.caps\.0: unknown capability "CAP_SYS_WIZARD"/);
  });

  it('refuses seccomp user notification as unsupported, not invalid', () => {
    for (const text of [
      JSON.stringify({ defaultAction: 'SCMP_ACT_NOTIFY' }),
      rule({ action: 'SCMP_ACT_NOTIFY' }),
      JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', listenerPath: '/run/agent.sock' }),
      JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }),
    ]) {
      const f = failure(text);
      assert.equal(f.code, 'TSC_SECCOMP_UNSUPPORTED', text);
      assert.match(f.message, /user notification\)? is not supported|seccomp user notification is not supported/);
    }
  });

  it('takes a return value only where one is used, and an errno only up to 4095', () => {
    assert.match(failure(rule({ errnoRet: 1 })).message, /syscalls\.0\.errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not SCMP_ACT_ALLOW/);
    assert.match(failure(rule({ action: 'SCMP_ACT_ERRNO', errnoRet: 5000 })).message, /syscalls\.0\.errnoRet: errno 5000 is larger than 4095/);
    assert.equal(parseSeccompProfile(rule({ action: 'SCMP_ACT_TRACE', errnoRet: 5000 }), SOURCE).rules[0]?.errnoRet, 5000);
    assert.match(failure(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 })).message, /defaultErrnoRet: only SCMP_ACT_ERRNO/);
  });

  it('refuses argument values that are not unsigned 64-bit integers', () => {
    assert.match(failure(rule({ args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] })).message, /syscalls\.0\.args\.0\.value/);
    assert.match(failure(rule({ args: [{ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }] })).message, /syscalls\.0\.args\.0\.value/);
    assert.match(failure(rule({ args: [{ index: 0, value: 7, op: 'SCMP_CMP_EQ' }] }).replace('"value":7', '"value":18446744073709551616')).message, /syscalls\.0\.args\.0\.value: larger than 64 bits/);
  });

  it('refuses kernel versions moby would not read', () => {
    for (const v of ['4.8.1', '0.0', 'four', '4']) {
      assert.match(failure(rule({ includes: { minKernel: v } })).message, /syscalls\.0\.includes\.minKernel: invalid kernel version/, v);
    }
  });

  it('refuses ambiguous profiles as moby does', () => {
    assert.match(failure(rule({ name: 'write' })).message, /syscalls\.0: both "name" and "names"/);
    assert.match(failure(JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }],
    })).message, /both "architectures" and "archMap"/);
  });
});
