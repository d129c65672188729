/**
 * The compiled default profile in a real kernel: a child `node` loads it into
 * itself (no_new_privs, then seccomp with TSYNC, as scripts/seccomp.js does),
 * tries what a container must not do and what it must still do, and reports
 * each errno. A child without the filter makes the same attempts first, so
 * no EPERM below is the kernel's own refusal. Every attempt is harmless when
 * it is let through: the arguments make the kernel fail or change nothing.
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../support/paths.js';

interface Report {
  status: { seccomp: string; noNewPrivs: string; filters: string };
  tsync: boolean;
  results: Record<string, string>;
}

const dist = (file: string): string => pathToFileURL(path.join(REPO_ROOT, 'dist', file)).href;

/** The child: compiles and loads the filter when asked, then reports what each call returned. */
const CHILD = `
import * as fs from 'node:fs';
import * as os from 'node:os';
import { capabilityMask } from '${dist('src/runtime/capabilities.js')}';
import { compileSeccompProfile, kernelVersionOf } from '${dist('src/runtime/seccomp/compile.js')}';
import { dockerDefaultSeccompProfile, SECCOMP_FLAGS } from '${dist('src/runtime/seccomp/profile.js')}';
import { installSeccompFilter, setNoNewPrivileges } from '${dist('src/sys/seccomp.js')}';
import { lastErrno, raw } from '${dist('src/sys/libc.js')}';
import { heldCapabilities } from '${dist('src/sys/process.js')}';
import { errnoName } from '${dist('src/errors/errno.js')}';

const options = JSON.parse(process.env.SECCOMP_TEST ?? '{}');
const arch = process.arch === 'x64' ? 'x86_64' : 'aarch64';
const NR = arch === 'x86_64'
  ? { keyctl: 250, socket: 41, personality: 135, bpf: 321, io_uring_setup: 425, clone: 56, getppid: 110 }
  : { keyctl: 219, socket: 198, personality: 92, bpf: 280, io_uring_setup: 425, clone: 220, getppid: 173 };
if (options.filter) {
  const program = compileSeccompProfile(dockerDefaultSeccompProfile(), {
    arch,
    capabilities: capabilityMask({ add: options.capAdd ?? [], held: heldCapabilities() }),
    kernel: kernelVersionOf(os.release()),
  });
  setNoNewPrivileges();
  installSeccompFilter(program.filter, program.flags | SECCOMP_FLAGS.SECCOMP_FILTER_FLAG_TSYNC);
}
if (options.x32) {
  // getpid through the x32 ABI: the filter kills the process before the kernel looks at it. No core file of it.
  raw.setrlimit(4 /* RLIMIT_CORE */, new BigUint64Array([0n, 0n]));
  raw.syscall(0x40000000 | 39);
  process.stdout.write('survived');
  process.exit(0);
}
const outcome = (result) => (Number(result) < 0 ? errnoName(lastErrno()) : 'ok');
const closing = (result) => {
  const fd = Number(result);
  const text = outcome(fd);
  if (fd >= 0) raw.close(fd);
  return text;
};
const long = (v) => ['long', v];
const call = (nr, ...args) => raw.syscall(nr, ...args.flatMap(long));
const results = {
  // KEYCTL_GET_KEYRING_ID of KEY_SPEC_USER_KEYRING without creating it.
  keyctl: outcome(call(NR.keyctl, 0, -4, 0)),
  unshareUser: outcome(raw.unshare(0x10000000)),
  // A target that does not exist: let through, the kernel answers ENOENT and mounts nothing.
  mount: outcome(raw.mount('none', '/nonexistent-tsc-compose-seccomp-test', 'tmpfs', 0, null)),
  // CLONE_NEWUSER with CLONE_THREAD is EINVAL for the kernel: nothing is ever cloned.
  cloneNewUser: outcome(call(NR.clone, 0x10000000 | 0x00010000 | 0x00000800, 0, 0, 0, 0)),
  // BPF_MAP_CREATE with a null attribute of size 0: EINVAL if let through.
  bpf: outcome(call(NR.bpf, 0, 0, 0)),
  // io_uring_setup(1, NULL): EFAULT if let through.
  ioUring: outcome(call(NR.io_uring_setup, 1, 0)),
  socketInet: closing(raw.socket(2, 1, 0)),
  socketVsock: closing(call(NR.socket, 40, 1, 0)),
  socketVsockHighBits: closing(call(NR.socket, 0x100000028n, 1, 0)),
  personalityQuery: outcome(call(NR.personality, 0xffffffff)),
  getppid: outcome(call(NR.getppid)),
  // -1 is what a tracer sets to skip a call: the default action, not a kill.
  minusOne: outcome(raw.syscall(-1)),
  open: (() => { try { fs.closeSync(fs.openSync('/proc/self/status', 'r')); return 'ok'; } catch (err) { return err.code; } })(),
};
const status = fs.readFileSync('/proc/self/status', 'utf8');
const field = (name) => new RegExp('^' + name + ':\\\\s*(\\\\S+)', 'm').exec(status)?.[1] ?? '';
// With TSYNC every thread carries the filter: look at one that is not the main thread.
const threads = fs.readdirSync('/proc/self/task').filter((t) => t !== String(process.pid));
const other = threads.length ? fs.readFileSync('/proc/self/task/' + threads[0] + '/status', 'utf8') : '';
process.stdout.write(JSON.stringify({
  status: { seccomp: field('Seccomp'), noNewPrivs: field('NoNewPrivs'), filters: field('Seccomp_filters') },
  tsync: /^Seccomp:\\s*2$/m.test(other),
  results,
}));
`;

function spawnChild(options: { filter: boolean; capAdd?: string[]; x32?: boolean }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, SECCOMP_TEST: JSON.stringify(options) },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function child(options: { filter: boolean; capAdd?: string[] }): Report {
  const r = spawnChild(options);
  assert.equal(r.status, 0, `child failed (${String(r.signal)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

describe('the default seccomp profile in the kernel', () => {
  const unfiltered = child({ filter: false });
  const filtered = child({ filter: true });
  const sysAdmin = child({ filter: true, capAdd: ['SYS_ADMIN'] });

  it('without the filter the kernel itself lets every attempt reach it (the control)', () => {
    const r = unfiltered.results;
    assert.equal(unfiltered.status.seccomp, '0');
    assert.ok(['ok', 'ENOKEY'].includes(r['keyctl'] ?? ''), `keyctl: ${r['keyctl']}`);
    assert.equal(r['unshareUser'], 'EINVAL'); // Node has threads: a user namespace needs a single-threaded caller
    assert.equal(r['mount'], 'ENOENT');
    assert.equal(r['cloneNewUser'], 'EINVAL');
    assert.equal(r['bpf'], 'EINVAL');
    assert.equal(r['ioUring'], 'EFAULT');
    for (const name of ['socketInet', 'personalityQuery', 'getppid', 'open']) assert.equal(r[name], 'ok', name);
    // The kernel reads socket's family as an int: with high bits it is still AF_VSOCK (which libseccomp's 64-bit
    // comparison of Docker's "> 40" rule would let through).
    assert.ok(['ok', 'EAFNOSUPPORT'].includes(r['socketVsock'] ?? ''), `socket(AF_VSOCK): ${r['socketVsock']}`);
    assert.equal(r['socketVsockHighBits'], r['socketVsock']);
    assert.equal(r['minusOne'], 'ENOSYS');
  });

  it('loads into every thread of the process: Seccomp 2, no_new_privs, one filter', () => {
    assert.deepEqual(filtered.status, { seccomp: '2', noNewPrivs: '1', filters: '1' });
    assert.equal(filtered.tsync, true);
  });

  it("refuses with EPERM what Docker's default refuses under the default capabilities", () => {
    const r = filtered.results;
    for (const name of ['keyctl', 'unshareUser', 'mount', 'cloneNewUser', 'bpf', 'ioUring', 'socketVsock', 'socketVsockHighBits']) assert.equal(r[name], 'EPERM', name);
  });

  it('lets ordinary calls through', () => {
    const r = filtered.results;
    for (const name of ['socketInet', 'personalityQuery', 'getppid', 'open']) assert.equal(r[name], 'ok', name);
    assert.equal(r['minusOne'], 'EPERM');
  });

  it('kills a process that calls through the x32 ABI', { skip: process.arch !== 'x64' && 'x32 is an x86_64 ABI' }, () => {
    const control = spawnChild({ filter: false, x32: true });
    // Without the filter the kernel answers (ENOSYS where it has no x32 support) and the child goes on.
    assert.equal(control.stdout, 'survived', control.stderr);
    const r = spawnChild({ filter: true, x32: true });
    assert.equal(r.signal, 'SIGSYS', `status ${String(r.status)} signal ${String(r.signal)}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  });

  it('with CAP_SYS_ADMIN in the set lets namespaces, mounts and bpf reach the kernel', () => {
    const r = sysAdmin.results;
    assert.equal(sysAdmin.status.seccomp, '2');
    assert.equal(r['unshareUser'], 'EINVAL');
    assert.equal(r['mount'], 'ENOENT');
    assert.equal(r['cloneNewUser'], 'EINVAL');
    assert.equal(r['bpf'], 'EINVAL');
    // What no capability opens stays shut.
    assert.equal(r['keyctl'], 'EPERM');
    assert.equal(r['ioUring'], 'EPERM');
  });
});
