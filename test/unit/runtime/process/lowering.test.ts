/** Lowering: a ProcessSpec / ExecProcessSpec into the directives the executors read, and their text. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeContainerDirectives, encodeExecDirectives, lowerExecSpec, lowerProcessSpec, mountFlags } from '../../../../src/runtime/process/lowering.js';
import type { ProcessSpec } from '../../../../src/runtime/process/contract.js';
import { capabilitySets } from '../../../../src/runtime/process/capabilities.js';
import { MS } from '../../../../src/sys/constants.js';
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

const lines = (text: string): string[] => text.trimEnd().split('\n');

describe('lowering', () => {
  it('mount flag names become mount(2) bits, later names winning', () => {
    assert.equal(mountFlags(['ro', 'nosuid', 'nodev', 'noexec']), MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
    assert.equal(mountFlags(['rbind', 'rslave']), MS.BIND | MS.REC | MS.SLAVE);
    assert.equal(mountFlags(['ro', 'rw']), 0);
    assert.equal(mountFlags(['bind', 'private']), MS.BIND | MS.PRIVATE);
    assert.equal(mountFlags(['noatime', 'relatime', 'runbindable']), MS.NOATIME | MS.RELATIME | MS.UNBINDABLE | MS.REC);
    assert.throws(() => mountFlags(['bogus' as never]), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_SPEC_MOUNT_FLAG');
  });

  it('validates before lowering', () => {
    assert.throws(() => lowerProcessSpec(base({ args: [] })), /no command/);
    assert.throws(() => lowerExecSpec({ pid: 1, cgroupProcs: [], capabilities: capabilitySets(), noNewPrivileges: true, user: { uid: 0, gid: 0 }, cwd: '/', env: [], args: [] }), /no command/);
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
      true,
    );
    assert.deepEqual(d.namespaces, ['pid', 'mnt']);
    assert.deepEqual(d.join, [{ kind: 'net', path: '/proc/42/ns/net' }]);
    assert.deepEqual(d.rootfs, { target: '/c/rootfs', type: 'overlay', options: 'lowerdir=/l/2:/l/1,upperdir=/c/upper,workdir=/c/work' });
    assert.deepEqual(d.mounts[0], { source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: '', kind: 'dir' });
    assert.deepEqual(d.mounts[1], { source: '/dev/fuse', target: '/dev/fuse', fstype: '', flags: MS.BIND, data: '', kind: 'file' }, 'a bound device is a mount after the others');
    assert.deepEqual(d.devices, [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    assert.deepEqual(d.capabilities, { bounding: 0xa80425fbn, effective: 0xa80425fbn, permitted: 0xa80425fbn, inheritable: 0n, ambient: 0n });
    assert.equal(d.pidFile, '/run/c/pid');
    assert.deepEqual(d.tty, { rows: 24, cols: 80, winsizeFile: '/run/c/winsize', input: -1, output: 4 }, 'no stdin: the terminal gets no input fd');
    assert.equal(d.stdinFd, undefined);
    assert.equal(d.rootfsPropagation, MS.PRIVATE | MS.REC);
    assert.equal(lowerProcessSpec(base({ rootfsPropagation: 'rslave' })).rootfsPropagation, undefined, "rslave is the shim's default");
  });

  it('stdin and a terminal: which fds carry them', () => {
    assert.deepEqual(lines(encodeContainerDirectives(lowerProcessSpec(base({ stdin: true })))).filter((l) => /^(stdin_fd|tty|console)/.test(l)), ['stdin_fd\t3']);
    assert.deepEqual(lines(encodeContainerDirectives(lowerProcessSpec(base({ stdin: true, terminal: { rows: 3, cols: 4 } }), true))).filter((l) => /^(stdin_fd|tty|console|winsize)/.test(l)), [
      'tty\t3\t4',
      'console\t3\t4',
      'winsize_file\t/run/c/winsize',
    ]);
    assert.deepEqual(lines(encodeContainerDirectives(lowerProcessSpec(base({ stdin: true, terminal: { rows: 3, cols: 4 } }), false))).filter((l) => l.startsWith('console')), ['console\t3\t-1']);
  });

  it('writes one escaped directive per line', () => {
    const text = encodeContainerDirectives(lowerProcessSpec(base({ hostname: '', env: ['EMPTY=', 'TAB=a\tb'], devices: [{ kind: 'mknod', path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 }] })));
    const l = lines(text);
    assert.ok(l.every((x) => !x.includes('\t\t')), 'no empty field is written as two tabs');
    assert.ok(l.includes('ns\tpid') && l.includes('ns\tmnt'));
    assert.ok(l.includes('join\tnet\t/proc/42/ns/net'));
    assert.ok(l.includes('rootfs\t/c/rootfs\toverlay\tlowerdir=/l/2:/l/1,upperdir=/c/upper,workdir=/c/work'));
    assert.ok(l.includes('mount\tproc\t/proc\tproc\t0xe\t\\e\tdir'));
    assert.ok(l.includes('device\t/dev/zero\tc\t1\t5\t0666\t0\t0'));
    assert.ok(l.includes('capsets\t0xa80425fb\t0xa80425fb\t0xa80425fb\t0x0\t0x0'));
    assert.ok(l.includes('caps\ta80425fb'), 'the single mask stays for the Node executor');
    assert.ok(l.includes('user\t1000\t1000\t5'));
    assert.ok(l.includes('env\tEMPTY='));
    assert.ok(l.includes('env\tTAB=a\\tb'));
    assert.ok(l.includes('arg\techo a\\tb\\nc'));
    assert.ok(l.includes('pidfile\t/run/c/pid'));
    assert.ok(!l.some((x) => x.startsWith('hostname')), 'an empty hostname is not set');
  });

  it('lowers and writes an exec spec', () => {
    const text = encodeExecDirectives(
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
    assert.deepEqual(lines(text), [
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
