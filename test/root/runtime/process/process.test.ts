/**
 * The container process boundary against the real kernel, with the specs the
 * runtime builds for its containers: the shim's in-container steps, its
 * monitor, exec and init.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isLiveProcess } from '../../../../src/sys/process.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs } from '../../../support/busybox.js';
import { processFixture, textOf } from '../../../support/process-fixture.js';
import type { ProcessFixture } from '../../../support/process-fixture.js';
import {
  ContainerCommandError,
  ContainerStartError,
  execInContainer,
  readExitStatus,
  readLogs,
  readPidFile,
  stateFiles,
  waitForExit,
} from '../../../../src/runtime/process/index.js';
import type { ExecProcessSpec, LogEntry } from '../../../../src/runtime/process/index.js';

let fx: ProcessFixture;

function hostMountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
}

/** Processes whose command line mentions `text` (the shim's spec path names the container's directory). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) found.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

function execSpec(pid: number, args: string[]): ExecProcessSpec {
  return {
    pid,
    cgroupProcs: [],
    capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
    noNewPrivileges: true,
    user: { uid: 0, gid: 0 },
    cwd: '/',
    env: ['PATH=/bin:/sbin:/usr/bin'],
    args,
  };
}

describe('container process boundary', () => {
  before(async () => {
    fx = await processFixture();
  });
  after(async () => {
    await fx.cleanup();
  });

  it('PID 1 in its own pid namespace, its hostname, no host processes or paths', async () => {
    fs.writeFileSync(path.join(fx.root, 'host-only'), 'x');
    const r = await fx.run(['sh', '-c', `echo $$; hostname; ls ${fx.root}/host-only; ps -o pid,comm > /tmp/ps; cat /tmp/ps`]);
    assert.equal(r.status.exitCode, 0, r.stderr);
    const [pid1, hostname, ...ps] = r.stdout.trim().split('\n');
    assert.equal(pid1, '1');
    assert.equal(hostname, 'box');
    assert.deepEqual(ps.map((l) => l.trim().split(/\s+/)), [['PID', 'COMMAND'], ['1', 'sh'], [ps[2]?.trim().split(/\s+/)[0] ?? '', 'ps']], 'only the container\'s own processes');
    assert.match(r.stderr, /host-only: No such file or directory/);
  });

  it("mount is denied, /sys is read-only and the capability sets are Docker's defaults", async () => {
    const r = await fx.run(['sh', '-c', 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status; mkdir -p /tmp/m; mount -t tmpfs x /tmp/m; echo mount=$?; touch /sys/x; echo sys=$?; hostname other; echo hostname=$?']);
    assert.match(r.stdout, /CapBnd:\t00000000a80425fb/);
    assert.match(r.stdout, /CapEff:\t00000000a80425fb/);
    assert.match(r.stdout, /CapPrm:\t00000000a80425fb/);
    assert.match(r.stdout, /CapInh:\t0000000000000000/);
    assert.match(r.stdout, /CapAmb:\t0000000000000000/);
    assert.match(r.stdout, /mount=(1|255)/);
    assert.match(r.stderr, /mount: .*(permission denied|Operation not permitted)/i);
    assert.match(r.stdout, /sys=1/);
    assert.match(r.stderr, /\/sys\/x: Read-only file system/);
    assert.match(r.stdout, /hostname=1/);
  });

  it('the device nodes, masked and read-only /proc paths', async () => {
    const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list'].filter((p) => fs.existsSync(p));
    const r = await fx.run(['sh', '-c', `stat -c '%F %t:%T %a' /dev/null /dev/zero /dev/urandom; echo x > /dev/null && echo null-ok; for f in ${masked.join(' ')}; do wc -c < $f; done; echo 1 > /proc/sys/kernel/domainname; echo sysctl=$?`]);
    assert.equal(r.status.exitCode, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 4), ['character special file 1:3 666', 'character special file 1:5 666', 'character special file 1:9 666', 'null-ok']);
    assert.deepEqual(lines.slice(4, 4 + masked.length), masked.map(() => '0'));
    assert.ok(lines.includes('sysctl=1'), r.stdout);
  });

  it('runs as the given user with its groups, and then has no effective capabilities (as in Docker)', async () => {
    const r = await fx.run(['sh', '-c', 'id -u; id -g; id -G; grep -E "^Cap(Eff|Bnd)" /proc/self/status; pwd'], { user: { uid: 65534, gid: 65534, additionalGids: [5, 1000] }, cwd: '/home/work' });
    assert.equal(r.status.exitCode, 0, r.stderr);
    assert.equal(r.stdout, '65534\n65534\n65534 5 1000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n/home/work\n');
  });

  it('keeps the exit code, and a signal death as 128+N', async () => {
    assert.equal((await fx.run(['sh', '-c', 'exit 3'])).status.exitCode, 3);
    const spec = fx.spec(['sleep', '60']);
    const started = await fx.start(spec);
    assert.ok(isLiveProcess(started.containerPid));
    assert.equal(readExitStatus(spec.statusFile), undefined, 'no status while it runs');
    assert.deepEqual(readPidFile(stateFiles(spec.stateDir).pid), { containerPid: started.containerPid, monitorPid: started.monitorPid });
    process.kill(started.containerPid, 'SIGKILL');
    const status = await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 10_000 });
    assert.equal(status?.exitCode, 137);
    assert.equal(status?.signal, 9);
    assert.equal(status?.pid, started.containerPid);
    assert.match(status?.finishedAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  it('captures stdout and stderr with their stream, partial lines included; reads with tail, since and follow', async () => {
    const r = await fx.run(['sh', '-c', 'echo one; echo two >&2; echo three; printf "no newline"']);
    // Each stream keeps its order (between the two pipes there is none to keep, as with Docker).
    assert.deepEqual(
      r.entries.filter((e) => e.stream === 'stdout').map((e) => [e.line, e.partial]),
      [['one', false], ['three', false], ['no newline', true]],
    );
    assert.deepEqual(r.entries.filter((e) => e.stream === 'stderr').map((e) => [e.line, e.partial]), [['two', false]]);
    assert.ok(r.entries.every((e, i) => i === 0 || e.time >= r.entries[i - 1]!.time), 'records are in time order');
    const tail: LogEntry[] = [];
    for await (const e of readLogs(r.spec.logFile, { tail: 2 })) tail.push(e);
    assert.deepEqual(tail, r.entries.slice(2));
    const since: LogEntry[] = [];
    for await (const e of readLogs(r.spec.logFile, { since: r.entries[1]!.time })) since.push(e);
    assert.deepEqual(since, r.entries.slice(1));

    // Following: records arrive while the container runs; the end comes with its exit.
    const spec = fx.spec(['sh', '-c', 'for i in 1 2 3; do echo tick$i; sleep 0.1; done; printf "prompt> "; sleep 0.6; echo done']);
    const started = await fx.start(spec);
    const seen: Array<{ line: string; at: number }> = [];
    const t0 = Date.now();
    for await (const e of readLogs(spec.logFile, { follow: true, statusFile: spec.statusFile, pollMs: 10 })) seen.push({ line: e.line, at: Date.now() - t0 });
    await started.waitMonitorExit();
    assert.deepEqual(seen.map((s) => s.line), ['tick1', 'tick2', 'tick3', 'prompt> ', 'done']);
    assert.ok(seen[0]!.at < seen[4]!.at - 500, 'records were read as they were written');
    const prompt = (await fx.logs(spec)).find((e) => e.line === 'prompt> ');
    assert.equal(prompt?.partial, true, 'an unfinished line is written once the stream is quiet');
  });

  it('a line longer than 16 KiB is split into partial records that add up to it', async () => {
    const r = await fx.run(['sh', '-c', 'head -c 20000 /dev/zero | tr "\\0" a; echo; echo next']);
    assert.deepEqual(r.entries.map((e) => [e.line.length, e.partial]), [[16384, true], [3616, false], [4, false]]);
    assert.equal(r.stdout, `${'a'.repeat(20000)}\nnext\n`);
  });

  it('the init subcommand runs a command under a reaping, signal-forwarding init', async () => {
    const shim = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../native/build/tsc-compose-shim');
    assert.equal(spawnSync(shim, ['init', '--', 'sh', '-c', 'exit 5']).status, 5);
    const child = spawn(shim, ['init', 'sleep', '30'], { stdio: 'ignore' });
    try {
      await sleep(100);
      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 143, 'the command got SIGTERM and init exited 128+15');
    } finally {
      // On failure: the command first (init does not take it along when it dies), then init.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ').filter(Boolean);
        for (const kid of kids) process.kill(Number(kid), 'SIGKILL');
        child.kill('SIGKILL');
      }
    }
    const missing = spawnSync(shim, ['init', 'no-such-command'], { encoding: 'utf8' });
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /exec "no-such-command": executable file not found in \$PATH/);
  });

  it('the monitor outlives the Node process that started the container', async () => {
    const spec = fx.spec(['sh', '-c', 'sleep 0.5; echo finished; exit 4']);
    const index = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../src/runtime/process/index.js');
    const script = `import { spawnContainerProcess } from ${JSON.stringify(index)};
const started = await spawnContainerProcess(JSON.parse(process.argv[1]));
console.log(JSON.stringify({ containerPid: started.containerPid, monitorPid: started.monitorPid }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(spec)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const pids = JSON.parse(r.stdout) as { containerPid: number; monitorPid: number };
    assert.ok(isLiveProcess(pids.monitorPid), 'the monitor still runs after its parent exited');
    const status = await waitForExit(spec.statusFile, { monitorPid: pids.monitorPid, timeoutMs: 10_000 });
    assert.equal(status?.exitCode, 4);
    assert.equal(textOf(await fx.logs(spec), 'stdout'), 'finished\n');
    for (let i = 0; i < 100 && isLiveProcess(pids.monitorPid); i++) await sleep(10);
    assert.equal(isLiveProcess(pids.monitorPid), false, 'the monitor exits after writing the status');
  });

  it('exec sees the same processes and files, gets our input and returns the exit code', async () => {
    const spec = fx.spec(['sh', '-c', 'echo from-pid1 > /tmp/shared; while [ ! -f /tmp/back ]; do sleep 0.02; done; cat /tmp/back; exec sleep 60']);
    const started = await fx.start(spec);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(spec.rootfs.type === 'overlay' ? spec.rootfs.upperdir : '', 'tmp/shared')); i++) await sleep(10);
    const r = await execInContainer(execSpec(started.containerPid, ['sh', '-c', 'cat /tmp/shared; ps -o pid,comm | grep -c sleep; hostname; read x; echo got-$x; echo oops >&2; exit 7']), {
      stateDir: spec.stateDir,
      stdio: 'pipe',
      input: 'hello\n',
    });
    assert.equal(r.exitCode, 7);
    assert.equal(r.stdout.toString(), 'from-pid1\n1\nbox\ngot-hello\n');
    assert.equal(r.stderr.toString(), 'oops\n');
    assert.ok(r.pid !== undefined && r.pid > 0);
    // The other way: what exec writes, PID 1 sees.
    await execInContainer(execSpec(started.containerPid, ['sh', '-c', 'echo from-exec > /tmp/back']), { stateDir: spec.stateDir, stdio: 'pipe' });
    for (let i = 0; i < 200 && !textOf(await fx.logs(spec), 'stdout').includes('from-exec'); i++) await sleep(10);
    assert.equal(textOf(await fx.logs(spec), 'stdout'), 'from-exec\n');
    await assert.rejects(
      execInContainer(execSpec(started.containerPid, ['no-such-tool']), { stateDir: spec.stateDir, stdio: 'pipe' }),
      (err: unknown) => err instanceof ContainerCommandError && err.message === 'exec "no-such-tool": executable file not found in $PATH',
    );
    const tty = await execInContainer({ ...execSpec(started.containerPid, ['sh', '-c', 'tty; exit 3']), terminal: true }, { stateDir: spec.stateDir, stdio: 'pipe' });
    assert.equal(tty.exitCode, 3);
    assert.match(tty.stdout.toString(), /^\/dev\/pts\/\d+\r\n$/, 'a terminal from the container devpts');
    assert.deepEqual(fs.readdirSync(spec.stateDir).filter((n) => n.startsWith('exec-')), [], 'exec specs are removed');
    process.kill(started.containerPid, 'SIGKILL');
    await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 10_000 });
  });

  it('exec with stderr merged into stdout, a byte limit, and a timeout that kills the process', async () => {
    const spec = fx.spec(['sleep', '60']);
    const started = await fx.start(spec);
    try {
      const merged = await execInContainer(execSpec(started.containerPid, ['sh', '-c', 'echo out; echo err >&2; exit 2']), { stateDir: spec.stateDir, stdio: 'merged' });
      assert.equal(merged.exitCode, 2);
      assert.deepEqual(merged.stdout.toString().split('\n').filter(Boolean).sort(), ['err', 'out']);
      assert.equal(merged.stderr.length, 0);
      const limited = await execInContainer(execSpec(started.containerPid, ['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" a']), { stateDir: spec.stateDir, stdio: 'merged', maxOutputBytes: 100 });
      assert.deepEqual([limited.exitCode, limited.stdout.toString(), limited.truncated], [0, 'a'.repeat(100), true]);
      const slow = await execInContainer(execSpec(started.containerPid, ['sleep', '60']), { stateDir: spec.stateDir, stdio: 'merged', timeoutMs: 100 });
      assert.equal(slow.timedOut, true);
      assert.equal(slow.exitCode, 137, 'the shim was killed');
      assert.ok(slow.pid !== undefined);
      for (let i = 0; i < 200 && isLiveProcess(slow.pid); i++) await sleep(10);
      assert.equal(isLiveProcess(slow.pid), false, 'the process itself was killed, not only the shim');
    } finally {
      process.kill(started.containerPid, 'SIGKILL');
      await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 10_000 });
    }
  });

  it('a missing command is a clear error and leaves no process and no mount behind', async () => {
    const spec = fx.spec(['nosuchcmd', 'arg']);
    let pid1 = 0;
    await assert.rejects(
      fx.start(spec, { onCreated: (pid) => void (pid1 = pid) }),
      (err: unknown) =>
        err instanceof ContainerCommandError && err.code === 'TSC_EXEC_FAILED' && err.message === 'exec "nosuchcmd": executable file not found in $PATH' && err.argument === 'nosuchcmd',
    );
    assert.ok(pid1 > 0);
    assert.equal(isLiveProcess(pid1), false, 'PID 1 is gone');
    assert.deepEqual(processesMentioning(spec.stateDir), [], 'no shim is left');
    assert.deepEqual(hostMountsUnder(fx.root), [], 'nothing is mounted on the host');
    assert.equal(readExitStatus(spec.statusFile), undefined);
  });

  it('a failing step names the step, errno and argument; a failing hook stops the start', async () => {
    const missing = path.join(fx.root, 'no-such-dir');
    const spec = fx.spec(['true'], { mounts: [{ type: 'bind', source: missing, target: '/data', readOnly: true }] });
    await assert.rejects(fx.start(spec), (err: unknown) => {
      assert.ok(err instanceof ContainerStartError);
      assert.equal(err.step, 'mount');
      assert.equal(err.errnoName, 'ENOENT');
      assert.equal(err.argument, missing);
      assert.equal(err.message, `mount bind \`${missing}\` on \`/data\`: ENOENT`);
      return true;
    });
    const hooked = fx.spec(['sleep', '60']);
    let pid1 = 0;
    await assert.rejects(
      fx.start(hooked, {
        onCreated: (pid) => {
          pid1 = pid;
          throw new Error('no cgroup for you');
        },
      }),
      /no cgroup for you/,
    );
    assert.equal(isLiveProcess(pid1), false);
    assert.deepEqual(processesMentioning(hooked.stateDir), []);
    assert.deepEqual(hostMountsUnder(fx.root), []);
  });

  it('init: true forwards SIGTERM to the command and reaps; without it PID 1 ignores SIGTERM', async () => {
    const withInit = fx.spec(['sh', '-c', 'sleep 60 & wait'], { init: true });
    const a = await fx.start(withInit);
    await sleep(100);
    process.kill(a.containerPid, 'SIGTERM');
    const status = await waitForExit(withInit.statusFile, { monitorPid: a.monitorPid, timeoutMs: 5000 });
    assert.equal(status?.exitCode, 143);
    const without = fx.spec(['sleep', '60']);
    const b = await fx.start(without);
    await sleep(100);
    process.kill(b.containerPid, 'SIGTERM');
    assert.equal(await waitForExit(without.statusFile, { monitorPid: b.monitorPid, timeoutMs: 300 }), undefined, 'still running');
    process.kill(b.containerPid, 'SIGKILL');
    assert.equal((await waitForExit(without.statusFile, { monitorPid: b.monitorPid, timeoutMs: 5000 }))?.exitCode, 137);
  });

  it('a terminal from the container devpts, its size, and stdin from the engine', async () => {
    const tty = fx.spec(['sh', '-c', 'tty; stty size; read line; echo typed-$line'], {}, { terminal: { rows: 33, cols: 101 }, stdin: true });
    const a = await fx.start(tty, {}, { attach: true });
    const chunks: Buffer[] = [];
    a.console?.on('data', (c: Buffer) => chunks.push(c));
    const consoleDone = new Promise((r) => a.console?.on('close', r));
    a.stdin?.end('abc\n');
    const status = await waitForExit(tty.statusFile, { monitorPid: a.monitorPid, timeoutMs: 10_000 });
    await consoleDone;
    assert.equal(status?.exitCode, 0);
    const seen = Buffer.concat(chunks).toString();
    // The terminal echoes what it was sent, so the lines are the command's and the echo of `abc`.
    assert.deepEqual(seen.split('\r\n').filter((l) => l !== 'abc'), ['/dev/pts/0', '33 101', 'typed-abc', '']);
    assert.match(seen, /typed-abc/);
    assert.match(textOf(await fx.logs(tty), 'stdout'), /typed-abc/);

    const piped = fx.spec(['sh', '-c', 'tr a-z A-Z'], {}, { stdin: true });
    const b = await fx.start(piped);
    b.stdin?.end('shout\n');
    assert.equal((await waitForExit(piped.statusFile, { monitorPid: b.monitorPid, timeoutMs: 10_000 }))?.exitCode, 0);
    await b.waitMonitorExit();
    assert.equal(textOf(await fx.logs(piped), 'stdout'), 'SHOUT\n');
  });

  it('a directory rootfs, a read-only root, a bind mount and sysctls/rlimits', async () => {
    const data = fs.mkdtempSync(path.join(fx.root, 'data-'));
    fs.writeFileSync(path.join(data, 'greeting'), 'hi\n');
    // A tree of its own: the mount points made in it must not change the image layer other containers use.
    const tree = makeBusyboxRootfs('tsc-proc-dir-rootfs-');
    try {
      const spec = fx.spec(['sh', '-c', 'cat /data/greeting; touch /x; echo root=$?; touch /data/y; echo data=$?; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; ulimit -n; ulimit -Hn'], {
        readOnlyRootfs: true,
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' },
        ulimits: [{ name: 'nofile', soft: 123, hard: 456 }],
        mounts: [{ type: 'bind', source: data, target: '/data', readOnly: true }],
      });
      spec.rootfs = { type: 'directory', path: tree.dir };
      const started = await fx.start(spec);
      const status = await waitForExit(spec.statusFile, { monitorPid: started.monitorPid, timeoutMs: 10_000 });
      await started.waitMonitorExit();
      const out = textOf(await fx.logs(spec), 'stdout');
      assert.equal(status?.exitCode, 0);
      assert.equal(out, 'hi\nroot=1\ndata=1\n80\n123\n456\n');
      // The mount point was made in the directory, but the bind lived only in the container's mount namespace.
      assert.deepEqual(fs.readdirSync(path.join(tree.dir, 'data')), []);
      assert.deepEqual(hostMountsUnder(fx.root), []);
      assert.deepEqual(hostMountsUnder(tree.dir), []);
    } finally {
      tree.remove();
    }
  });
});
