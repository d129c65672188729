/** The process spec contract: names to kernel bits, validation, lowering to directives and their text. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MS,
  capabilityMask,
  capabilityName,
  capabilityNamesOf,
  capabilitySets,
  defaultDockerCapabilities,
  encodeContainerSpec,
  encodeExecSpec,
  lowerExecSpec,
  lowerProcessSpec,
  mountFlags,
  validateProcessSpec,
} from '../../../../src/runtime/process/spec.js';
import type { ProcessSpec } from '../../../../src/runtime/process/spec.js';
import { TscComposeError } from '../../../../src/errors/index.js';

function base(overrides: Partial<ProcessSpec> = {}): ProcessSpec {
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

describe('process spec', () => {
  it("Docker's default capability set is 0xa80425fb", () => {
    assert.equal(capabilityMask(defaultDockerCapabilities), 0xa80425fbn);
    assert.equal(defaultDockerCapabilities.length, 14);
    const sets = capabilitySets();
    assert.deepEqual(sets.inheritable, []);
    assert.deepEqual(sets.ambient, []);
    assert.deepEqual(capabilityNamesOf(0xa80425fbn).sort(), [...defaultDockerCapabilities].sort());
  });

  it('capability names are accepted with or without CAP_, in any case; unknown ones are refused', () => {
    assert.equal(capabilityName('net_admin'), 'CAP_NET_ADMIN');
    assert.equal(capabilityName('CAP_SYS_ADMIN'), 'CAP_SYS_ADMIN');
    assert.equal(capabilityMask(['CHECKPOINT_RESTORE']), 1n << 40n);
    assert.throws(() => capabilityName('FLY'), (e: unknown) => e instanceof TscComposeError && /unknown capability "FLY"/.test(e.message));
  });

  it('mount flag names become mount(2) bits, later names winning', () => {
    assert.equal(mountFlags(['ro', 'nosuid', 'nodev', 'noexec']), MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
    assert.equal(mountFlags(['rbind', 'rslave']), MS.BIND | MS.REC | MS.SLAVE);
    assert.equal(mountFlags(['ro', 'rw']), 0);
    assert.equal(mountFlags(['bind', 'private']), MS.BIND | MS.PRIVATE);
    assert.throws(() => mountFlags(['bogus' as never]), /unknown mount flag "bogus"/);
  });

  it('validation catches what the shim could only fail on late', () => {
    const bad: Array<[Partial<ProcessSpec>, RegExp]> = [
      [{ namespaces: { pid: 'new' } }, /mount namespace must be new/],
      [{ args: [] }, /no command/],
      [{ cwd: 'relative' }, /cwd must be an absolute path/],
      [{ rootfs: { type: 'overlay', lowerdirs: ['/a:b'], upperdir: '/u', workdir: '/w', target: '/t' } }, /cannot contain/],
      [{ rootfs: { type: 'overlay', lowerdirs: [], upperdir: '/u', workdir: '/w', target: '/t' } }, /at least one lowerdir/],
      [{ rootfs: { type: 'overlay', lowerdirs: Array.from({ length: 200 }, (_, i) => `/var/lib/tsc-compose/layers/${'x'.repeat(20)}${i}`), upperdir: '/u', workdir: '/w', target: '/t' } }, /do not fit in one overlay mount/],
      [{ sysctls: { '../../etc/passwd': '1' } }, /not a sysctl name/],
      [{ sysctls: { 'vm.swappiness': '1' } }, /not namespaced/],
      [{ sysctls: { 'kernel.shmmax': '1' } }, /needs the container's own ipc namespace/],
      [{ hostname: 'x' }, /need the container's own uts namespace/],
      [{ rlimits: [{ type: 'bogus', soft: 1, hard: 1 }] }, /unknown rlimit "bogus"/],
      [{ mounts: [{ source: 'x', target: 'rel', fstype: 'tmpfs', flags: [] }] }, /mount target must be an absolute path/],
      [{ namespaces: { mnt: { join: '/proc/1/ns/mnt' } } }, /mount namespace must be new/],
    ];
    for (const [overrides, message] of bad) {
      assert.throws(() => validateProcessSpec(base(overrides)), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_SPEC_INVALID' && message.test(e.message), String(message));
    }
    assert.doesNotThrow(() => validateProcessSpec(base()));
  });

  it('lowers to directives: namespaces, rootfs, mounts, devices, capability sets, state files', () => {
    const d = lowerProcessSpec(
      base({
        devices: [
          { kind: 'mknod', path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 },
          { kind: 'bind', path: '/dev/fuse', hostPath: '/dev/fuse' },
        ],
        terminal: { rows: 24, cols: 80 },
        rootfsPropagation: 'rprivate',
      }),
      { input: -1, output: 4 },
    );
    assert.deepEqual(d.namespaces, ['pid', 'mnt']);
    assert.deepEqual(d.join, [{ kind: 'net', path: '/proc/42/ns/net' }]);
    assert.deepEqual(d.rootfs, { target: '/c/rootfs', type: 'overlay', lower: ['/l/2', '/l/1'], upper: '/c/upper', work: '/c/work' });
    assert.deepEqual(d.mounts[0], { source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: '', kind: 'dir' });
    assert.deepEqual(d.mounts[1], { source: '/dev/fuse', target: '/dev/fuse', fstype: '', flags: MS.BIND, data: '', kind: 'file' });
    assert.deepEqual(d.devices, [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    assert.equal(d.capabilities, 0xa80425fbn);
    assert.deepEqual(d.capabilitySets, { bounding: 0xa80425fbn, effective: 0xa80425fbn, permitted: 0xa80425fbn, inheritable: 0n, ambient: 0n });
    assert.equal(d.pidFile, '/run/c/pid');
    assert.deepEqual(d.tty, { rows: 24, cols: 80, winsizeFile: '/run/c/winsize' });
    assert.deepEqual(d.console, { input: -1, output: 4 });
    assert.equal(d.rootfsPropagation, MS.PRIVATE | MS.REC);
  });

  it('writes one escaped directive per line', () => {
    const text = encodeContainerSpec(lowerProcessSpec(base({ hostname: '', env: ['EMPTY=', 'TAB=a\tb'], devices: [{ kind: 'mknod', path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 }] })));
    const lines = text.trimEnd().split('\n');
    assert.ok(lines.every((l) => !l.includes('\t\t')), 'no empty field is written as two tabs');
    assert.ok(lines.includes('ns\tpid') && lines.includes('ns\tmnt'));
    assert.ok(lines.includes('join\tnet\t/proc/42/ns/net'));
    assert.ok(lines.includes('rootfs\t/c/rootfs\toverlay\tlowerdir=/l/2:/l/1,upperdir=/c/upper,workdir=/c/work'));
    assert.ok(lines.includes('mount\tproc\t/proc\tproc\t0xe\t\\e\tdir'));
    assert.ok(lines.includes('device\t/dev/zero\tc\t1\t5\t0666\t0\t0'));
    assert.ok(lines.includes('capsets\t0xa80425fb\t0xa80425fb\t0xa80425fb\t0x0\t0x0'));
    assert.ok(lines.includes('caps\ta80425fb'), 'the single mask stays for the Node executor');
    assert.ok(lines.includes('user\t1000\t1000\t5'));
    assert.ok(lines.includes('env\tTAB=a\\tb'));
    assert.ok(lines.includes('arg\techo a\\tb\\nc'));
    assert.ok(lines.includes('pidfile\t/run/c/pid'));
    assert.ok(!lines.some((l) => l.startsWith('hostname')), 'an empty hostname is not set');
  });

  it('lowers and writes an exec spec', () => {
    const text = encodeExecSpec(
      lowerExecSpec({
        pid: 77,
        cgroupProcs: ['/sys/fs/cgroup/pids/x/cgroup.procs'],
        capabilities: capabilitySets(['CHOWN']),
        noNewPrivileges: false,
        user: { uid: 0, gid: 0, additionalGids: [1, 2] },
        cwd: '/w',
        env: [],
        args: ['ls'],
        rlimits: [{ type: 'nofile', soft: -1, hard: -1 }],
        terminal: true,
      }),
    );
    assert.deepEqual(text.trimEnd().split('\n'), [
      'target\t77',
      'tty',
      'cgroup\t/sys/fs/cgroup/pids/x/cgroup.procs',
      'caps\t1',
      'capsets\t0x1\t0x1\t0x1\t0x0\t0x0',
      'rlimit\tnofile\t-1\t-1',
      'user\t0\t0\t1,2',
      'cwd\t/w',
      'arg\tls',
    ]);
  });
});
