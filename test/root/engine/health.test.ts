/**
 * Health checks against real busybox containers: the exec probe runs inside
 * the container with its environment, working directory and user, captures
 * stdout and stderr, is killed at its timeout; the monitor turns a CMD-SHELL
 * probe from failing to healthy once a file exists. Everything is removed
 * afterwards, also on failure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from '../../support/runtime-fixture.js';
import type { RuntimeFixture } from '../../support/runtime-fixture.js';
import { executorCommand } from '../../../src/runtime/process/shim.js';
import { resolveHealthcheck } from '../../../src/engine/health/healthcheck.js';
import type { HealthState } from '../../../src/engine/health/healthcheck.js';
import { HealthMonitor } from '../../../src/engine/health/monitor.js';
import { execProbe } from '../../../src/engine/health/exec-probe.js';

const needsShim = executorCommand().kind === 'node' ? 'exec needs the C shim' : false;

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Host processes whose command line is exactly `args` (the probe's processes are host processes too). */
async function hostProcesses(args: string[]): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const wanted = `${args.join('\0')}\0`;
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8') === wanted) found.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

describe('health checks in real containers', { skip: needsShim }, () => {
  let fx: RuntimeFixture;
  const monitors: HealthMonitor[] = [];

  before(async () => {
    fx = await runtimeFixture();
  });
  after(async () => {
    for (const m of monitors) m.stop();
    await fx?.cleanup();
  });

  async function running(overrides = {}): Promise<string> {
    const config = fx.config(['sleep', '600'], overrides);
    await fx.runtime.start(config);
    return config.id;
  }

  it("the probe runs with the container's env, cwd and user and captures stdout and stderr", async () => {
    const id = await running({ env: ['PATH=/bin:/sbin:/usr/bin', 'GREETING=hello from env'], cwd: '/tmp', user: { uid: 1234, gid: 4321, additionalGids: [] } });
    const probe = execProbe(fx.runtime, id);
    const r = await probe(['/bin/sh', '-c', 'echo "$GREETING"; pwd; id -u; id -g; echo to-stderr >&2; exit 3'], 5_000, new AbortController().signal);
    assert.equal(r.exitCode, 3);
    assert.equal(r.timedOut, false);
    const lines = r.output.split('\n');
    for (const line of ['hello from env', '/tmp', '1234', '4321', 'to-stderr']) assert.ok(lines.includes(line), `${line} in ${JSON.stringify(r.output)}`);
  });

  it('a CMD-SHELL probe fails until a file exists, then the container is healthy', async () => {
    const id = await running();
    const config = resolveHealthcheck({ test: ['CMD-SHELL', 'test -f /tmp/ready && echo ready || { echo not yet; exit 1; }'], interval: '100ms', timeout: '5s', retries: 2 }, undefined);
    assert.ok(config);
    const changes: HealthState[] = [];
    const monitor = new HealthMonitor(config, execProbe(fx.runtime, id), { startedAtMs: Date.now(), onChange: (s) => changes.push(s) });
    monitors.push(monitor);
    monitor.start();
    await waitFor('unhealthy', () => monitor.state.status === 'unhealthy');
    assert.equal(changes[0]?.status, 'starting');
    assert.deepEqual(monitor.state.log.map((r) => [r.exitCode, r.output]).slice(0, 2), [
      [1, 'not yet\n'],
      [1, 'not yet\n'],
    ]);
    const touched = await fx.runtime.execCapture(id, { args: ['touch', '/tmp/ready'], timeoutMs: 5_000 });
    assert.equal(touched.exitCode, 0, touched.output);
    await waitFor('healthy', () => monitor.state.status === 'healthy');
    const last = monitor.state.log.at(-1);
    assert.deepEqual([last?.exitCode, last?.output], [0, 'ready\n']);
    assert.equal(monitor.state.failingStreak, 0);
    assert.ok(Date.parse(last?.end ?? '') >= Date.parse(last?.start ?? ''));
    assert.ok(monitor.state.log.length <= 5);
    monitor.stop();
  });

  it('a probe past its timeout is killed and recorded as Docker does', async () => {
    const id = await running();
    const config = resolveHealthcheck({ test: ['CMD', 'sleep', '77'], interval: '50ms', timeout: '300ms', retries: 1 }, undefined);
    assert.ok(config);
    const monitor = new HealthMonitor(config, execProbe(fx.runtime, id), { startedAtMs: Date.now(), onChange: () => undefined });
    monitors.push(monitor);
    const t0 = Date.now();
    monitor.start();
    await waitFor('the first result', () => monitor.state.log.length > 0);
    monitor.stop();
    assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
    assert.equal(monitor.state.status, 'unhealthy');
    assert.deepEqual([monitor.state.log[0]?.exitCode, monitor.state.log[0]?.output], [-1, 'Health check exceeded timeout (300ms)']);
    assert.deepEqual(await hostProcesses(['sleep', '77']), [], 'the timed-out probe was killed');
  });

  it('a probe that ignores SIGTERM is still killed at the timeout, and what it wrote is kept', async () => {
    const id = await running();
    const probe = execProbe(fx.runtime, id);
    const t0 = Date.now();
    const r = await probe(['/bin/sh', '-c', 'trap "" TERM; echo partial; exec sleep 78'], 400, new AbortController().signal);
    assert.ok(Date.now() - t0 < 3_000);
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, -1);
    assert.equal(r.output, 'partial\n');
    assert.deepEqual(await hostProcesses(['sleep', '78']), []);
  });

  it('long output is cut at 4 KiB with "..." in the health log', async () => {
    const id = await running();
    const config = resolveHealthcheck({ test: ['CMD-SHELL', "head -c 10000 /dev/zero | tr '\\0' x"], interval: '50ms', timeout: '5s' }, undefined);
    assert.ok(config);
    const monitor = new HealthMonitor(config, execProbe(fx.runtime, id), { startedAtMs: Date.now(), onChange: () => undefined });
    monitors.push(monitor);
    monitor.start();
    await waitFor('the first result', () => monitor.state.log.length > 0);
    monitor.stop();
    assert.equal(monitor.state.status, 'healthy');
    assert.equal(monitor.state.log[0]?.output, `${'x'.repeat(4096)}...`);
  });

  it('a probe of a container that is not running fails with exit -1 and says why', async () => {
    const id = await running();
    await fx.runtime.stop(id, 'SIGKILL', 1_000);
    const config = resolveHealthcheck({ test: ['CMD', 'true'], interval: '50ms', retries: 1 }, undefined);
    assert.ok(config);
    const monitor = new HealthMonitor(config, execProbe(fx.runtime, id), { startedAtMs: Date.now(), onChange: () => undefined });
    monitors.push(monitor);
    monitor.start();
    await waitFor('the first result', () => monitor.state.log.length > 0);
    monitor.stop();
    assert.equal(monitor.state.status, 'unhealthy');
    assert.equal(monitor.state.log[0]?.exitCode, -1);
    assert.match(monitor.state.log[0]?.output ?? '', /is not running/);
  });

  it('leaves no exec spec files behind in the container run directory', async () => {
    const id = await running();
    const probe = execProbe(fx.runtime, id);
    await probe(['true'], 2_000, new AbortController().signal);
    await probe(['sleep', '79'], 200, new AbortController().signal);
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(fx.runtime.paths(id).runDir).filter((f) => f.startsWith('exec-')), []);
  });
});
