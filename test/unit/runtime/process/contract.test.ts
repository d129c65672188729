/** The process-boundary contract: what validation refuses before anything runs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMountFlagName, stateFiles, sysctlNamespace, validateExecProcessSpec, validateProcessSpec } from '../../../../src/runtime/process/contract.js';
import type { ExecProcessSpec, ProcessSpec } from '../../../../src/runtime/process/contract.js';
import { capabilitySets } from '../../../../src/runtime/process/capabilities.js';
import { TscComposeError } from '../../../../src/errors/index.js';

function baseProcessSpec(overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    namespaces: { pid: 'new', mnt: 'new', net: { join: '/proc/42/ns/net' } },
    rootfs: { type: 'overlay', lowerdirs: ['/l/2', '/l/1'], upperdir: '/c/upper', workdir: '/c/work', target: '/c/rootfs' },
    mounts: [{ source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'noexec', 'nodev'], mkdir: 'dir' }],
    capabilities: capabilitySets(),
    noNewPrivileges: true,
    user: { uid: 1000, gid: 1000, additionalGids: [5] },
    cwd: '/',
    env: ['PATH=/bin'],
    args: ['sh', '-c', 'echo a\tb\nc'],
    logFile: '/c/log',
    statusFile: '/run/c/status',
    stateDir: '/run/c',
    ...overrides,
  };
}

const invalid = (message: RegExp) => (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_SPEC_INVALID' && message.test(e.message);

describe('process contract', () => {
  it('validation catches what the shim could only fail on late', () => {
    const bad: Array<[Partial<ProcessSpec>, RegExp]> = [
      [{ namespaces: { pid: 'new' } }, /mount namespace must be new/],
      [{ namespaces: { mnt: { join: '/proc/1/ns/mnt' } } }, /mount namespace must be new/],
      [{ args: [] }, /no command/],
      [{ cwd: 'relative' }, /cwd must be an absolute path/],
      [{ rootfs: { type: 'directory', path: 'rel' } }, /rootfs directory must be an absolute path/],
      [{ rootfs: { type: 'overlay', lowerdirs: ['/a:b'], upperdir: '/u', workdir: '/w', target: '/t' } }, /cannot contain/],
      [{ rootfs: { type: 'overlay', lowerdirs: [], upperdir: '/u', workdir: '/w', target: '/t' } }, /at least one lowerdir/],
      [{ rootfs: { type: 'overlay', lowerdirs: Array.from({ length: 200 }, (_, i) => `/var/lib/tsc-compose/layers/${'x'.repeat(20)}${i}`), upperdir: '/u', workdir: '/w', target: '/t' } }, /do not fit in one overlay mount/],
      [{ sysctls: { '../../etc/passwd': '1' } }, /not a sysctl name/],
      [{ sysctls: { 'vm.swappiness': '1' } }, /not namespaced/],
      [{ sysctls: { 'kernel.shmmax': '1' } }, /needs the container's own ipc namespace/],
      [{ hostname: 'x' }, /need the container's own uts namespace/],
      [{ rlimits: [{ type: 'bogus', soft: 1, hard: 1 }] }, /unknown rlimit "bogus"/],
      [{ mounts: [{ source: 'x', target: 'rel', fstype: 'tmpfs', flags: [] }] }, /mount target must be an absolute path/],
      [{ mounts: [{ source: 'x', target: '/x', fstype: 'tmpfs', flags: ['bogus' as never] }] }, /unknown mount flag "bogus" for \/x/],
      [{ devices: [{ kind: 'bind', path: 'dev/fuse', hostPath: '/dev/fuse' }] }, /device path must be an absolute path/],
      [{ maskedPaths: ['proc/kcore'] }, /masked or read-only path must be an absolute path/],
      [{ logMaxSize: 1.5 }, /logMaxSize must be a whole number/],
      [{ logMaxFiles: 0 }, /logMaxFiles must be at least 1/],
      [{ stateDir: 'run' }, /state directory must be an absolute path/],
    ];
    for (const [overrides, message] of bad) assert.throws(() => validateProcessSpec(baseProcessSpec(overrides)), invalid(message), String(message));
    assert.doesNotThrow(() => validateProcessSpec(baseProcessSpec()));
    // A joined namespace is the container's own too: its sysctls may be set.
    assert.doesNotThrow(() => validateProcessSpec(baseProcessSpec({ sysctls: { 'net.core.somaxconn': '5' } })));
  });

  it('an exec spec needs a process and a command', () => {
    const exec: ExecProcessSpec = { pid: 7, cgroupProcs: [], capabilities: capabilitySets([]), noNewPrivileges: true, user: { uid: 0, gid: 0 }, cwd: '/', env: [], args: ['ls'] };
    assert.doesNotThrow(() => validateExecProcessSpec(exec));
    assert.throws(() => validateExecProcessSpec({ ...exec, args: [] }), invalid(/no command/));
    assert.throws(() => validateExecProcessSpec({ ...exec, pid: 0 }), invalid(/not a process id/));
    assert.throws(() => validateExecProcessSpec({ ...exec, rlimits: [{ type: 'files', soft: 1, hard: 1 }] }), invalid(/unknown rlimit "files"/));
  });

  it('sysctls belong to the namespaces Docker allows them in', () => {
    assert.equal(sysctlNamespace('net.ipv4.ip_forward'), 'net');
    assert.equal(sysctlNamespace('kernel.shm_rmid_forced'), 'ipc');
    assert.equal(sysctlNamespace('fs.mqueue.msg_max'), 'ipc');
    assert.equal(sysctlNamespace('kernel.domainname'), 'uts');
    assert.equal(sysctlNamespace('kernel.pid_max'), undefined);
  });

  it('names the state files and the mount flags', () => {
    assert.deepEqual(stateFiles('/run/c/'), { spec: '/run/c/spec', pid: '/run/c/pid', shimLog: '/run/c/shim.log', winsize: '/run/c/winsize' });
    assert.equal(isMountFlagName('rslave'), true);
    assert.equal(isMountFlagName('toString'), false);
  });
});
