/** The runtime's container builder: a ContainerConfig as the ProcessSpec Runtime.start hands to the process boundary. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerPaths, containerProcessSpec } from '../../../src/runtime/container.js';
import type { ContainerConfig } from '../../../src/runtime/container.js';
import { capabilityMask } from '../../../src/runtime/capabilities.js';

/** Every capability the kernel knows (an engine that holds them all). */
const EVERY_CAPABILITY = (1n << 41n) - 1n;
import { defaultDockerCapabilities } from '../../../src/runtime/process/capabilities.js';
import { encodeContainerDirectives, lowerProcessSpec } from '../../../src/runtime/process/lowering.js';
import { stateLayout } from '../../../src/state/roots.js';

let dir: string;
let paths: ContainerPaths;

function config(overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    id: 'c1',
    name: 'app-1',
    labels: {},
    image: { reference: 'busybox', lowerDirs: ['/layers/2', '/layers/1'] },
    args: ['sh', '-c', 'true'],
    env: ['PATH=/bin'],
    cwd: '/srv',
    user: { uid: 1000, gid: 1000, additionalGids: [5] },
    hostname: 'app',
    domainname: 'example.org',
    mounts: [],
    readOnlyRootfs: false,
    namespaces: { net: 'private', pid: 'private', ipc: 'private', uts: 'private' },
    resources: {},
    capabilities: capabilityMask({ held: EVERY_CAPABILITY }),
    noNewPrivileges: true,
    ulimits: [{ name: 'nofile', soft: 10, hard: 20 }],
    sysctls: { 'net.core.somaxconn': '511' },
    oomScoreAdj: 100,
    privileged: false,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    files: { hosts: '/etc-files/hosts', hostname: '/etc-files/hostname', resolvConf: '/etc-files/resolv.conf' },
    ...overrides,
  };
}

/** The directive lines the shim would get, the way Runtime.start lowers the spec. */
function directives(c: ContainerConfig, attach = false): string[] {
  return encodeContainerDirectives(lowerProcessSpec(containerProcessSpec(c, paths, attach ? { terminal: { rows: 1, cols: 2 } } : {}), attach)).trimEnd().split('\n');
}

describe('container process spec', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-unit-container-'));
    paths = new ContainerPaths(stateLayout({ dataRoot: path.join(dir, 'data'), runRoot: path.join(dir, 'run') }), 'c1');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("Docker's defaults: private namespaces, overlay rootfs, /dev, read-only sysfs, masks, the default capabilities", () => {
    const spec = containerProcessSpec(config(), paths);
    assert.deepEqual(spec.namespaces, { mnt: 'new', cgroup: 'new', net: 'new', pid: 'new', ipc: 'new', uts: 'new' });
    assert.deepEqual(spec.rootfs, { type: 'overlay', lowerdirs: ['/layers/2', '/layers/1'], upperdir: paths.upper, workdir: paths.work, target: paths.rootfs });
    assert.deepEqual(spec.mounts.map((m) => `${m.target} ${m.fstype || 'bind'} ${m.flags.join(',')}`), [
      '/proc proc nosuid,noexec,nodev',
      '/dev tmpfs nosuid,strictatime',
      '/dev/pts devpts nosuid,noexec',
      '/dev/shm tmpfs nosuid,noexec,nodev',
      '/dev/mqueue mqueue nosuid,noexec,nodev',
      '/sys sysfs nosuid,noexec,nodev,ro',
      '/etc/hostname bind bind',
      '/etc/hosts bind bind',
      '/etc/resolv.conf bind bind',
    ]);
    assert.equal(spec.mounts[3]?.data, `mode=1777,size=${64 * 1024 * 1024}`);
    assert.deepEqual(spec.devices?.map((d) => (d.kind === 'bind' ? `${d.hostPath} ${d.path}` : d.kind)), ['null', 'zero', 'full', 'random', 'urandom', 'tty'].map((n) => `/dev/${n} /dev/${n}`));
    assert.ok(spec.maskedPaths?.includes('/proc/kcore') && spec.readonlyPaths?.includes('/proc/sys'));
    assert.deepEqual([spec.hostname, spec.domainname], ['app', 'example.org']);
    assert.deepEqual([...(spec.capabilities.bounding)].sort(), [...defaultDockerCapabilities].sort());
    assert.deepEqual([spec.capabilities.inheritable, spec.capabilities.ambient], [[], []]);
    assert.deepEqual(spec.rlimits, [{ type: 'nofile', soft: 10, hard: 20 }]);
    assert.deepEqual([spec.logFile, spec.statusFile, spec.stateDir], [paths.log, paths.status, paths.runDir]);
    const lines = directives(config());
    assert.ok(lines.includes(`pidfile\t${paths.pidFile}`), 'the monitor writes the pid file Runtime reads');
    assert.ok(lines.includes('capsets\t0xa80425fb\t0xa80425fb\t0xa80425fb\t0x0\t0x0'));
    assert.ok(lines.includes('sysctl\tnet.core.somaxconn\t511') && lines.includes('oom_score_adj\t100'));
  });

  it("shared namespaces are joined, the host's are left alone (no hostname without a uts namespace of its own)", () => {
    const spec = containerProcessSpec(config({ namespaces: { net: { path: '/proc/9/ns/net' }, pid: 'host', ipc: { path: '/proc/9/ns/ipc' }, uts: 'host' } }), paths);
    assert.deepEqual(spec.namespaces, { mnt: 'new', cgroup: 'new', net: { join: '/proc/9/ns/net' }, ipc: { join: '/proc/9/ns/ipc' } });
    assert.deepEqual([spec.hostname, spec.domainname], [undefined, undefined]);
    assert.equal(spec.mounts.find((m) => m.target === '/sys')?.fstype, 'sysfs', 'a joined network namespace is its own: its own sysfs');
  });

  it("the host's network: the host's /sys bound read-only; sysctls of it are refused", () => {
    const c = config({ namespaces: { net: 'host', pid: 'private', ipc: 'private', uts: 'private' }, sysctls: {} });
    const sys = containerProcessSpec(c, paths).mounts.find((m) => m.target === '/sys');
    assert.deepEqual(sys, { source: '/sys', target: '/sys', fstype: '', flags: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'], mkdir: 'dir' });
    assert.throws(() => directives({ ...c, sysctls: { 'net.core.somaxconn': '1' } }), /needs the container's own net namespace/);
  });

  it('privileged: every capability, /sys writable, nothing masked', () => {
    const spec = containerProcessSpec(config({ privileged: true, capabilities: capabilityMask({ privileged: true, held: EVERY_CAPABILITY }) }), paths);
    assert.equal(spec.capabilities.bounding.length, 41);
    assert.deepEqual(spec.mounts.find((m) => m.target === '/sys')?.flags, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual([spec.maskedPaths, spec.readonlyPaths], [[], []]);
  });

  it('user mounts: binds (file or directory, propagation, read-only), volumes, tmpfs; after the defaults', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const spec = containerProcessSpec(
      config({
        mounts: [
          { type: 'bind', source: file, target: '/f', readOnly: true },
          { type: 'volume', source: dir, target: '/v', propagation: 'rshared' },
          { type: 'bind', source: path.join(dir, 'missing'), target: '/m', propagation: 'slave' },
          { type: 'tmpfs', target: '/t', tmpfsSize: 1000, tmpfsMode: 0o1777, readOnly: true },
        ],
      }),
      paths,
    );
    assert.deepEqual(spec.mounts.slice(-4), [
      { source: file, target: '/f', fstype: '', flags: ['rbind', 'rprivate', 'ro'], mkdir: 'file' },
      { source: dir, target: '/v', fstype: '', flags: ['rbind', 'rshared'], mkdir: 'dir' },
      { source: path.join(dir, 'missing'), target: '/m', fstype: '', flags: ['rbind', 'rslave'], mkdir: 'dir' },
      { source: 'tmpfs', target: '/t', fstype: 'tmpfs', flags: ['nosuid', 'nodev', 'ro'], data: 'size=1000,mode=1777', mkdir: 'dir' },
    ]);
    const lines = directives(config({ mounts: [{ type: 'bind', source: file, target: '/f', readOnly: true }] }));
    assert.ok(lines.includes(`mount\t${file}\t/f\t\\e\t0x45001\t\\e\tfile`), 'MS_BIND|MS_REC|MS_PRIVATE|MS_RDONLY');
    // Devices after every mount (as runc does): a mount on /dev cannot hide them.
    const mountLines = lines.filter((l) => l.startsWith('mount\t'));
    assert.equal(mountLines.at(-1), 'mount\t/dev/tty\t/dev/tty\t\\e\t0x1000\t\\e\tfile');
  });

  it('an image without layers: its empty rootfs directory; read-only root, init, shm size', () => {
    const spec = containerProcessSpec(config({ image: { reference: 'scratch', lowerDirs: [] }, readOnlyRootfs: true, init: true, shmSize: 1 << 20 }), paths);
    assert.deepEqual(spec.rootfs, { type: 'directory', path: paths.rootfs });
    assert.deepEqual([spec.readonlyRootfs, spec.init], [true, true]);
    assert.equal(spec.mounts.find((m) => m.target === '/dev/shm')?.data, 'mode=1777,size=1048576');
  });

  it('stdio and log rotation for one start', () => {
    const plain = containerProcessSpec(config(), paths);
    assert.deepEqual([plain.stdin, plain.terminal, plain.logMaxSize, plain.logMaxFiles], [false, undefined, undefined, undefined]);
    const io = containerProcessSpec(config(), paths, { stdin: true, terminal: { rows: 24, cols: 80 }, log: { maxSize: 4096 } });
    assert.deepEqual([io.stdin, io.terminal, io.logMaxSize, io.logMaxFiles], [true, { rows: 24, cols: 80 }, 4096, 1]);
    const lines = directives(config(), true);
    assert.ok(lines.includes('tty\t1\t2') && lines.includes('console\t-1\t4') && lines.includes(`winsize_file\t${paths.winsize}`));
  });
});
