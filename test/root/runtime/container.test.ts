/**
 * Real containers on the real kernel: isolation, limits, lifecycle, exec, and
 * that nothing is left behind. One conformance suite, run against both
 * executors: the C shim and the koffi-only Node fallback.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeFixture, logText } from '../../support/runtime-fixture.js';
import type { RuntimeFixture } from '../../support/runtime-fixture.js';

let fx: RuntimeFixture;

async function runToEnd(args: string[], overrides = {}): Promise<{ id: string; exitCode: number; out: string; err: string; oomKilled: boolean }> {
  const config = fx.config(args, overrides);
  await fx.runtime.start(config);
  await fx.runtime.wait(config.id);
  const status = await fx.runtime.exitStatus(config.id);
  return { id: config.id, exitCode: status?.exitCode ?? -1, out: logText(fx, config.id), err: logText(fx, config.id, 'stderr'), oomKilled: status?.oomKilled ?? false };
}

for (const executor of ['shim', 'node'] as const) {
describe(`containers (${executor} executor)`, () => {
  const previous = process.env['TSC_COMPOSE_EXECUTOR'];
  before(async () => {
    process.env['TSC_COMPOSE_EXECUTOR'] = executor;
    fx = await runtimeFixture();
  });
  after(async () => {
    await fx.cleanup();
    if (previous === undefined) delete process.env['TSC_COMPOSE_EXECUTOR'];
    else process.env['TSC_COMPOSE_EXECUTOR'] = previous;
  });
  // Node cannot enter a mount namespace (it is multithreaded), so exec needs the shim.
  const needsShim = executor === 'node' ? 'exec needs the C shim' : false;

  it('PID 1 in its own pid namespace, own hostname, no host processes or files', async () => {
    fs.writeFileSync(path.join(fx.root, 'host-secret'), 'x');
    const r = await runToEnd(['sh', '-c', `echo pid=$$; hostname; ps -o pid | wc -l; ls ${fx.root} 2>&1; cat /proc/1/cmdline | tr '\\0' ' '`]);
    assert.equal(r.exitCode, 0, r.err);
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'pid=1');
    assert.equal(lines[1], 'box');
    assert.ok(Number(lines[2]) <= 4, `only the container's processes are visible: ${lines[2]}`);
    assert.match(r.out, /No such file or directory/);
  });

  it("Docker's default capabilities; mount denied; /sys read-only; hostname change denied", async () => {
    const r = await runToEnd(['sh', '-c', 'grep -E "^Cap(Bnd|Eff)" /proc/self/status; mount -t tmpfs x /tmp; echo mount=$?; touch /sys/x; echo sys=$?; hostname evil; echo hostname=$?']);
    assert.match(r.out, /CapBnd:\t00000000a80425fb/);
    assert.match(r.out, /CapEff:\t00000000a80425fb/);
    assert.match(r.out, /mount=(1|255)/);
    assert.match(r.out, /sys=1/);
    assert.match(r.out, /hostname=1/);
    assert.match(r.err, /Read-only file system/);
  });

  it('masks /proc paths Docker masks and keeps /proc/sys read-only', async () => {
    const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'].filter((p) => fs.existsSync(p));
    assert.ok(masked.length > 0, 'the host has at least one of the masked files');
    const r = await runToEnd(['sh', '-c', `for f in ${masked.join(' ')}; do wc -c < $f; done; echo 1 > /proc/sys/kernel/hostname; echo w=$?`]);
    assert.equal(r.out, [...masked.map(() => '0'), 'w=1'].join('\n'));
  });

  it('keeps the exit code and reports a signal death as 128+N', async () => {
    assert.equal((await runToEnd(['sh', '-c', 'exit 3'])).exitCode, 3);
    const config = fx.config(['sleep', '30']);
    const state = await fx.runtime.start(config);
    process.kill(state.pid, 'SIGKILL');
    const status = await fx.runtime.wait(config.id);
    assert.equal(status?.exitCode, 137);
  });

  it('a command missing from the image is a clear error and leaves nothing running', async () => {
    const config = fx.config(['no-such-command']);
    await assert.rejects(fx.runtime.start(config), /exec "no-such-command": executable file not found in \$PATH/);
    assert.equal(fx.runtime.isRunning(config.id), false);
    assert.equal(fs.existsSync(`/sys/fs/cgroup/memory/tsc-compose/${config.id}`), false, 'cgroup removed');
  });

  it('a memory limit ends in an OOM kill reported as such (exit 137)', async () => {
    const r = await runToEnd(['sh', '-c', 'x=$(head -c 80000000 /dev/zero | tr "\\0" a); echo survived'], {
      resources: { memoryLimit: 16 * 1024 * 1024, memorySwapLimit: 16 * 1024 * 1024 },
    });
    assert.equal(r.exitCode, 137);
    assert.equal(r.oomKilled, true);
  });

  it('pids_limit stops a fork bomb while the container stays usable', async () => {
    const r = await runToEnd(['sh', '-c', '(for i in $(seq 60); do sleep 5 & done); echo still-here'], { resources: { pidsLimit: 20 } });
    assert.match(r.out, /still-here/);
    assert.match(r.err, /can't fork|Resource temporarily unavailable|fork/i);
  });

  it('cpu quota is visible in the cgroup', async () => {
    const config = fx.config(['sleep', '30'], { resources: { cpus: 0.5 } });
    await fx.runtime.start(config);
    const quota = fs.readFileSync(`/sys/fs/cgroup/cpu/tsc-compose/${config.id}/cpu.cfs_quota_us`, 'utf8').trim();
    assert.equal(quota, '50000');
    await fx.runtime.stop(config.id, 'SIGTERM', 200);
  });

  it('exec sees the same processes and files and returns the exit code; stop escalates to SIGKILL', { skip: needsShim }, async () => {
    const config = fx.config(['sh', '-c', 'echo marker > /tmp/seen; sleep 60']);
    await fx.runtime.start(config);
    for (let i = 0; i < 50 && !fs.existsSync(path.join(fx.runtime.paths(config.id).upper, 'tmp/seen')); i++) await sleep(20);
    const code = await fx.runtime.exec(config.id, { args: ['sh', '-c', 'test "$(cat /tmp/seen)" = marker && ps | grep -q "sleep 60" && exit 7'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } });
    assert.equal(code, 7);
    // As docker exec: a command that cannot start is exit status 127, the shim saying why on the stderr we share.
    assert.equal(await fx.runtime.exec(config.id, { args: ['no-such-command'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } }), 127);
    const t0 = Date.now();
    await fx.runtime.stop(config.id, 'SIGTERM', 300); // sh as PID 1 ignores SIGTERM
    assert.ok(Date.now() - t0 < 5000);
    assert.equal((await fx.runtime.exitStatus(config.id))?.exitCode, 137);
  });

  it('the writable layer survives stop/start and a bind mount and a tmpfs are where they should be', async () => {
    const data = path.join(fx.root, 'bind-src');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, 'in.txt'), 'from host\n');
    const config = fx.config(['sh', '-c', 'cat /data/in.txt; echo out > /data/out.txt; echo layer >> /kept; cat /kept | wc -l; mount | grep -c " /scratch "'], {
      mounts: [
        { type: 'bind', source: data, target: '/data' },
        { type: 'tmpfs', target: '/scratch', tmpfsSize: 1024 * 1024 },
      ],
    });
    await fx.runtime.start(config);
    await fx.runtime.wait(config.id);
    await fx.runtime.start(config);
    await fx.runtime.wait(config.id);
    const out = logText(fx, config.id);
    assert.match(out, /from host\n1\n1\nfrom host\n2\n1/);
    assert.equal(fs.readFileSync(path.join(data, 'out.txt'), 'utf8'), 'out\n');
  });

  it('init: true forwards SIGTERM to the command; without it PID 1 ignores it until SIGKILL', async () => {
    const withInit = fx.config(['sleep', '30'], { init: true });
    await fx.runtime.start(withInit);
    await fx.runtime.stop(withInit.id, 'SIGTERM', 3000);
    assert.equal((await fx.runtime.exitStatus(withInit.id))?.exitCode, 143);
    const noInit = fx.config(['sleep', '30']);
    await fx.runtime.start(noInit);
    await fx.runtime.stop(noInit.id, 'SIGTERM', 300);
    assert.equal((await fx.runtime.exitStatus(noInit.id))?.exitCode, 137);
    const missing = fx.config(['not-there'], { init: true });
    await assert.rejects(fx.runtime.start(missing), /executable file not found/);
  });

  it('ulimits, namespaced sysctls and oom_score_adj reach the process', async () => {
    const r = await runToEnd(['sh', '-c', 'ulimit -n; ulimit -Hn; cat /proc/sys/net/core/somaxconn; cat /proc/self/oom_score_adj'], {
      ulimits: [{ name: 'nofile', soft: 1000, hard: 2000 }],
      sysctls: { 'net.core.somaxconn': '511' },
      oomScoreAdj: 300,
    });
    assert.equal(r.out, '1000\n2000\n511\n300', r.err);
  });

  it('shares namespaces: another container\'s network and ipc, the host\'s uts', async () => {
    const first = fx.config(['sh', '-c', 'hostname first; sleep 30'], { hostname: 'first' });
    const state = await fx.runtime.start(first);
    const r = await runToEnd(['sh', '-c', 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; hostname'], {
      namespaces: { net: { path: `/proc/${state.pid}/ns/net` }, ipc: { path: `/proc/${state.pid}/ns/ipc` }, pid: 'private', uts: 'host' },
    });
    const [net, ipc, host] = r.out.split('\n');
    assert.equal(net, fs.readlinkSync(`/proc/${state.pid}/ns/net`));
    assert.equal(ipc, fs.readlinkSync(`/proc/${state.pid}/ns/ipc`));
    assert.equal(host, fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
    await fx.runtime.stop(first.id, 'SIGKILL', 0);
  });

  it('read_only rootfs refuses writes', async () => {
    const r = await runToEnd(['sh', '-c', 'touch /x; echo $?'], { readOnlyRootfs: true });
    assert.match(r.out, /^1$/m);
  });

  it('leaves no mount, cgroup or process behind after removal', async () => {
    const config = fx.config(['sleep', '30']);
    const state = await fx.runtime.start(config);
    await fx.runtime.remove(config.id);
    assert.equal(fs.readFileSync('/proc/mounts', 'utf8').includes(config.id), false);
    for (const ctrl of ['memory', 'pids', 'cpu', 'freezer']) assert.equal(fs.existsSync(`/sys/fs/cgroup/${ctrl}/tsc-compose/${config.id}`), false, ctrl);
    assert.throws(() => process.kill(state.monitorPid, 0));
    assert.throws(() => process.kill(state.pid, 0));
  });
});
}
