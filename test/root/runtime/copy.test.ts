/**
 * docker cp both ways against real busybox containers: a running one
 * (through /proc/PID/root) and a stopped one (its overlay layers), with
 * symlinks planted in the container that point at host paths, absolutely or
 * with `..`: nothing on the host is read or written through them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processFixture } from '../../support/process-fixture.js';
import type { ProcessFixture } from '../../support/process-fixture.js';
import { waitForExit } from '../../../src/runtime/process/index.js';
import type { ContainerProcess, ProcessSpec } from '../../../src/runtime/process/index.js';
import { copyFromContainer, copyToContainer } from '../../../src/runtime/copy.js';
import type { ContainerFilesystem } from '../../../src/runtime/copy.js';
import { getXattr } from '../../../src/sys/fs.js';

let fx: ProcessFixture;
let scratch: string;
/** Exists on the host only. */
let hostOnly: string;
/** Exists on the host and (as an empty directory) in the containers. */
let hostMirror: string;
let hostSnapshot: string;

/** Every entry under a directory with its type, mode, owner and content, to prove nothing changed. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    const what = st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : st.isFile() ? fs.readFileSync(p, 'utf8') : st.isDirectory() ? 'dir' : 'other';
    out.push(`${path.relative(dir, p)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs} ${what}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) walk(path.join(p, n));
  };
  walk(dir);
  return out.join('\n');
}

function hostState(): string {
  return `${snapshot(hostOnly)}\n${snapshot(hostMirror)}`;
}

/** Symlinks that would lead to the host if followed there. */
function plantEvil(): string {
  const up = '../'.repeat(12);
  return [
    'mkdir -p /evil',
    `ln -s ${hostOnly} /evil/abs`,
    `ln -s ${up}${hostOnly.slice(1)} /evil/rel`,
    `ln -s ${hostOnly}/secret /evil/file-abs`,
    `ln -s ${hostMirror} /evil/mirror`,
    'ln -s / /evil/root',
    `mkdir -p ${hostMirror}`,
  ].join('; ');
}

const SETUP = [
  'mkdir -p /data/sub',
  'echo hello > /data/a.txt',
  'chmod 640 /data/a.txt',
  'chown 1000:1001 /data/a.txt',
  'echo suid > /data/suid && chown 1000:1001 /data/suid && chmod 6755 /data/suid',
  'ln -s a.txt /data/link',
  'echo nested > /data/sub/n.txt',
  'chmod 711 /data/sub',
].join('; ');

/** A host tree to copy in: a file with an owner and a mode, a directory, a relative symlink. */
function hostTree(name: string): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(path.join(dir, 'inner'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'f.txt'), 'from host\n');
  fs.chmodSync(path.join(dir, 'f.txt'), 0o604);
  fs.chownSync(path.join(dir, 'f.txt'), 1234, 4321);
  fs.writeFileSync(path.join(dir, 'inner', 'deep.txt'), 'deep\n');
  fs.symlinkSync('f.txt', path.join(dir, 'ln'));
  fs.chmodSync(path.join(dir, 'inner'), 0o750);
  return dir;
}

function expectFailure(fn: () => void, code: string): void {
  assert.throws(fn, (err: unknown) => (err as { code?: string }).code === code, `expected ${code}`);
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 500 && !fs.existsSync(file); i++) await sleep(10);
  assert.ok(fs.existsSync(file), `${file} appeared`);
}

/** Container-to-host copies and escapes, the same for both views. */
function checkCopiesOut(c: ContainerFilesystem | number, label: string): void {
  const out = path.join(scratch, `out-${label}`);
  fs.mkdirSync(out);
  // file → new file: content and mode kept; owned by whoever copies, as docker cp without -a
  copyFromContainer(c, '/data/a.txt', path.join(out, 'a-copy'));
  assert.equal(fs.readFileSync(path.join(out, 'a-copy'), 'utf8'), 'hello\n');
  const st = fs.statSync(path.join(out, 'a-copy'));
  assert.equal(st.mode & 0o7777, 0o640);
  assert.deepEqual([st.uid, st.gid], [0, 0]);
  // -a: owner and group kept too
  copyFromContainer(c, '/data/a.txt', path.join(out, 'a-archived'), { archive: true });
  const archived = fs.statSync(path.join(out, 'a-archived'));
  assert.deepEqual([archived.uid, archived.gid, archived.mode & 0o7777], [1000, 1001, 0o640]);
  // A set-id file of the container is not recreated set-id on the host unless -a asks.
  copyFromContainer(c, '/data/suid', path.join(out, 'suid'));
  assert.equal(fs.statSync(path.join(out, 'suid')).mode & 0o7777, 0o755);
  copyFromContainer(c, '/data/suid', path.join(out, 'suid-archived'), { archive: true });
  assert.equal(fs.statSync(path.join(out, 'suid-archived')).mode & 0o7777, 0o6755);
  // file → into a directory
  copyFromContainer(c, '/data/a.txt', out);
  assert.equal(fs.readFileSync(path.join(out, 'a.txt'), 'utf8'), 'hello\n');
  // symlink copied as a link
  copyFromContainer(c, '/data/link', path.join(out, 'l'));
  assert.equal(fs.readlinkSync(path.join(out, 'l')), 'a.txt');
  // dir → into an existing directory, as itself
  copyFromContainer(c, '/data', out);
  assert.deepEqual(fs.readdirSync(path.join(out, 'data')).sort(), ['a.txt', 'link', 'sub', 'suid']);
  assert.equal(fs.readFileSync(path.join(out, 'data', 'sub', 'n.txt'), 'utf8'), 'nested\n');
  assert.equal(fs.statSync(path.join(out, 'data', 'sub')).mode & 0o7777, 0o711);
  // dir/. → its contents into a new directory
  copyFromContainer(c, '/data/.', path.join(out, 'contents'));
  assert.deepEqual(fs.readdirSync(path.join(out, 'contents')).sort(), ['a.txt', 'link', 'sub', 'suid']);
  // a path through a symlink to a directory is followed inside the container
  copyFromContainer(c, '/evil/root/data/a.txt', path.join(out, 'via-root'));
  assert.equal(fs.readFileSync(path.join(out, 'via-root'), 'utf8'), 'hello\n');
  // errors as docker cp has them
  expectFailure(() => copyFromContainer(c, '/data/missing', path.join(out, 'x')), 'TSC_CP_NOT_FOUND');
  expectFailure(() => copyFromContainer(c, '/data', path.join(out, 'a-copy')), 'TSC_CP_CONFLICT');

  // Escapes: the host file behind the links is never read.
  for (const p of ['/evil/abs/secret', '/evil/rel/secret', `/evil/root${hostOnly}/secret`, `/evil/root/../../..${hostOnly}/secret`, `/evil/file-abs/.`]) {
    assert.throws(() => copyFromContainer(c, p, path.join(out, 'stolen')), Error, p);
    assert.equal(fs.existsSync(path.join(out, 'stolen')), false, p);
  }
  // The link itself may be copied (as a link, its target text only).
  copyFromContainer(c, '/evil/file-abs', path.join(out, 'link-only'));
  assert.equal(fs.readlinkSync(path.join(out, 'link-only')), `${hostOnly}/secret`);
  // A directory holding the links: copied as links, never their targets' contents.
  copyFromContainer(c, '/evil', path.join(out, 'evil'));
  assert.ok(fs.lstatSync(path.join(out, 'evil', 'abs')).isSymbolicLink());
  assert.equal(fs.existsSync(path.join(out, 'evil', 'abs-secret')), false);
}

/** Host-to-container copies and escapes; `inContainer(p)` is where the test reads what landed (a host path). */
function checkCopiesIn(c: ContainerFilesystem | number, label: string, inContainer: (p: string) => string): void {
  const tree = hostTree(`tree-${label}`);
  const file = path.join(tree, 'f.txt');
  // file → into a directory, and → a new name
  copyToContainer(c, file, '/data/');
  copyToContainer(c, file, '/data/renamed.txt');
  for (const p of ['/data/f.txt', '/data/renamed.txt']) {
    assert.equal(fs.readFileSync(inContainer(p), 'utf8'), 'from host\n');
    const st = fs.statSync(inContainer(p));
    assert.equal(st.mode & 0o7777, 0o604);
    assert.deepEqual([st.uid, st.gid], [0, 0], 'owned by the container\'s root, as docker cp without -a');
  }
  copyToContainer(c, file, '/data/archived.txt', { archive: true });
  const archived = fs.statSync(inContainer('/data/archived.txt'));
  assert.deepEqual([archived.uid, archived.gid], [1234, 4321]);
  // dir → new directory; dir → into an existing one; dir/. → merged into one
  copyToContainer(c, tree, '/data/newtree');
  copyToContainer(c, tree, '/data/sub');
  copyToContainer(c, `${tree}/.`, '/data/sub');
  assert.deepEqual(fs.readdirSync(inContainer('/data/newtree')).sort(), ['f.txt', 'inner', 'ln']);
  assert.equal(fs.readlinkSync(inContainer('/data/newtree/ln')), 'f.txt');
  assert.equal(fs.statSync(inContainer('/data/newtree/inner')).mode & 0o7777, 0o750);
  assert.equal(fs.readFileSync(inContainer('/data/newtree/inner/deep.txt'), 'utf8'), 'deep\n');
  assert.deepEqual(fs.readdirSync(inContainer('/data/sub')).sort(), ['f.txt', 'inner', 'ln', 'n.txt', path.basename(tree)].sort());
  // errors
  expectFailure(() => copyToContainer(c, tree, '/data/a.txt'), 'TSC_CP_CONFLICT');
  expectFailure(() => copyToContainer(c, file, '/no/such/dir/x'), 'TSC_CP_NOT_FOUND');

  // Escapes: nothing lands on the host.
  for (const p of ['/evil/abs/planted', '/evil/rel/planted', `/evil/root/../..${hostOnly}/planted`, '/evil/abs/', '/evil/rel/']) {
    assert.throws(() => copyToContainer(c, file, p), Error, p);
  }
  // Through a link to a path that exists in the container as well: written inside the container.
  copyToContainer(c, file, '/evil/mirror/planted');
  assert.equal(fs.readFileSync(inContainer(`${hostMirror}/planted`), 'utf8'), 'from host\n');
  // A link at the destination is replaced, not written through.
  copyToContainer(c, file, '/evil/file-abs');
  assert.ok(fs.lstatSync(inContainer('/evil/file-abs')).isFile());
  assert.equal(fs.readFileSync(inContainer('/evil/file-abs'), 'utf8'), 'from host\n');
}

describe('docker cp', () => {
  before(async () => {
    fx = await processFixture();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-proc-cp-'));
    hostOnly = path.join(scratch, 'host-only');
    hostMirror = path.join(scratch, 'host-mirror');
    fs.mkdirSync(path.join(hostOnly, 'victim'), { recursive: true });
    fs.mkdirSync(hostMirror);
    fs.writeFileSync(path.join(hostOnly, 'secret'), 'host secret\n');
    fs.writeFileSync(path.join(hostOnly, 'victim', 'keep'), 'keep\n');
    fs.writeFileSync(path.join(hostMirror, 'mine'), 'mine\n');
    hostSnapshot = hostState();
  });
  after(async () => {
    try {
      await fx.cleanup();
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('a running container: both directions through its root, symlinks never lead to the host', async () => {
    const spec = fx.spec(['sh', '-c', `${SETUP}; ${plantEvil()}; touch /ready; exec sleep 300`]);
    const started: ContainerProcess = await fx.start(spec);
    try {
      const root = `/proc/${started.containerPid}/root`;
      await waitFor(`${root}/ready`);
      checkCopiesOut(started.containerPid, 'running');
      checkCopiesIn({ pid: started.containerPid, lowerDirs: [], upper: '' }, 'running', (p) => `${root}${p}`);
      assert.equal(hostState(), hostSnapshot, 'the host paths are untouched');
      assert.equal(fs.existsSync(path.join(hostMirror, 'planted')), false);
    } finally {
      process.kill(started.containerPid, 'SIGKILL');
      await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 10_000 });
    }
  });

  it('a stopped container: its layers (upper over lower, whiteouts, opaque directories), writes to the upper layer only', async () => {
    const spec: ProcessSpec = fx.spec([
      'sh',
      '-c',
      // a whiteout for a file and a directory of the lower layer, and an opaque directory
      `${SETUP}; ${plantEvil()}; rm /bin/cat; rm -rf /var/log; rm -rf /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only`,
    ]);
    const started = await fx.start(spec);
    const status = await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 20_000 });
    assert.equal(status?.exitCode, 0);
    await started.waitMonitorExit();
    assert.equal(spec.rootfs.type, 'overlay');
    const rootfs = spec.rootfs;
    const lower = rootfs.lowerdirs[0] as string;
    const upper = rootfs.upperdir;
    const lowerBefore = snapshot(lower);
    const stopped: ContainerFilesystem = { lowerDirs: rootfs.lowerdirs, upper };

    // The union as the container saw it.
    const out = path.join(scratch, 'union');
    fs.mkdirSync(out);
    expectFailure(() => copyFromContainer(stopped, '/bin/cat', path.join(out, 'cat')), 'TSC_CP_NOT_FOUND');
    expectFailure(() => copyFromContainer(stopped, '/var/log', path.join(out, 'log')), 'TSC_CP_NOT_FOUND');
    copyFromContainer(stopped, '/bin/sh', path.join(out, 'sh'));
    assert.equal(fs.readlinkSync(path.join(out, 'sh')), '/bin/busybox');
    copyFromContainer(stopped, '/usr/sbin/.', path.join(out, 'sbin'));
    assert.deepEqual(fs.readdirSync(path.join(out, 'sbin')), ['only']);
    copyFromContainer(stopped, '/bin', path.join(out, 'bin'));
    assert.ok(fs.existsSync(path.join(out, 'bin', 'busybox')) && !fs.existsSync(path.join(out, 'bin', 'cat')));
    checkCopiesOut(stopped, 'stopped');

    // Writes: into the upper layer, a whiteout replaced (a directory made opaque), directories copied up.
    checkCopiesIn(stopped, 'stopped', (p) => path.join(upper, p));
    const file = path.join(scratch, 'tree-stopped', 'f.txt');
    copyToContainer(stopped, file, '/bin/cat');
    copyToContainer(stopped, path.join(scratch, 'tree-stopped'), '/var/log');
    copyToContainer(stopped, file, '/usr/bin/added');
    copyToContainer(stopped, file, '/etc/passwd');
    assert.equal(getXattr(path.join(upper, 'var/log'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(fs.statSync(path.join(upper, 'usr/bin')).mode & 0o7777, fs.statSync(path.join(lower, 'usr/bin')).mode & 0o7777);
    assert.equal(snapshot(lower), lowerBefore, 'the image layer is untouched');
    assert.equal(hostState(), hostSnapshot, 'the host paths are untouched');

    // The kernel's overlay shows what the copies made.
    // The same layers started again, as a restart does.
    const again = { ...fx.spec(['sh', '-c', `busybox cat /bin/cat /usr/bin/added /etc/passwd; ls /var/log; ls /usr/sbin; ls ${hostMirror}; busybox cat /data/sub/n.txt`]), rootfs: spec.rootfs };
    const run = await fx.start(again);
    await waitForExit(again.statusFile, { monitorPid: run.monitorPid, timeoutMs: 20_000 });
    await run.waitMonitorExit();
    const text = (await fx.logs(again)).map((e) => e.line).join('\n');
    assert.equal(
      text,
      ['from host', 'from host', 'from host', 'f.txt', 'inner', 'ln', 'only', 'planted', 'nested'].join('\n'),
    );
  });
});
