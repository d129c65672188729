/**
 * Attached `up` and Ctrl-C (graceful stop, then a forced kill on the second),
 * and kill -9 of the engine in the middle of `up`: the next `up` converges the
 * stack without starting anything twice.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineHarness, until } from '../../support/engine-harness.js';

const ATTACHED = `name: attached
services:
  polite:
    image: busybox:test
    # Leaves on SIGTERM with code 0: a graceful stop shows as exit 0, a kill as 137.
    command: [sh, -c, "trap 'echo got-term; exit 0' TERM; echo polite-ready; while true; do sleep 0.1; done"]
  stubborn:
    image: busybox:test
    command: [sh, -c, "trap '' TERM; echo stubborn-ready; while true; do sleep 0.1; done"]
    stop_grace_period: 600s
    profiles: [stubborn]
`;

const SLOW_CHAIN = `name: crashy
services:
  db:
    image: busybox:test
    command: [sh, -c, "sleep 2; touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      start_interval: 100ms
      start_period: 30s
  web:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    depends_on:
      db: {condition: service_healthy}
`;

describe('engine: Ctrl-C of attached up, engine killed during up', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('interrupt');
  });
  after(async () => {
    h.cli(['-p', 'attached', '--profile', 'stubborn', 'down', '-t', '0']);
    h.cli(['-p', 'crashy', 'down']);
    await h.destroy();
  });

  it('Ctrl-C of an attached up stops the stack gracefully and exits 130', async () => {
    h.writeCompose(ATTACHED);
    let out = '';
    const up = h.cliAsync(['up', '--no-color'], { onStdout: (t) => (out += t) });
    await until('polite printed its ready line', () => out.includes('polite-ready'));
    up.kill('SIGINT');
    const r = await up.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /Gracefully stopping/);
    assert.match(r.stdout, /polite-1\s+\| got-term/, 'the container saw SIGTERM and its last line was shown');
    const polite = h.ps().find((c) => c.Service === 'polite');
    assert.equal(polite?.State, 'exited');
    assert.equal(polite?.ExitCode, 0, 'stopped by SIGTERM, not killed');
    h.ok(['down']);
  });

  it('a second Ctrl-C kills what does not stop on SIGTERM', { timeout: 120_000 }, async () => {
    h.writeCompose(ATTACHED);
    let out = '';
    const up = h.cliAsync(['--profile', 'stubborn', 'up', '--no-color'], { onStdout: (t) => (out += t) });
    await until('both services are up', () => out.includes('stubborn-ready') && out.includes('polite-ready'));
    up.kill('SIGINT');
    // The graceful stop would wait 10 minutes for `stubborn` (past this test's timeout); the second Ctrl-C must not.
    await sleep(500);
    up.kill('SIGINT');
    const r = await up.done;
    assert.equal(r.code, 130, r.stderr);
    const stubborn = h.ps(['--profile', 'stubborn']).find((c) => c.Service === 'stubborn');
    assert.equal(stubborn?.State, 'exited');
    assert.equal(stubborn?.ExitCode, 137, 'killed by the second Ctrl-C');
    h.ok(['--profile', 'stubborn', 'down', '-t', '0']);
  });

  it('kill -9 of the engine during up: the next up converges, nothing is started twice', async () => {
    h.writeCompose(SLOW_CHAIN);
    const up = h.cliAsync(['--progress', 'plain', 'up', '-d', '--wait']);
    // db runs (and is not healthy for 2 s): the engine is in the middle of `up`.
    const db = await until('db is running', () => {
      const list = h.ps();
      return list.find((c) => c.Service === 'db' && c.State === 'running');
    });
    const pid = h.enginePid();
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    const first = await up.done;
    assert.notEqual(first.code, 0, 'the interrupted up reports failure');
    await until('engine gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    h.ok(['up', '-d', '--wait']); // starts a new engine, which re-adopts db
    const list = h.ps();
    assert.deepEqual(list.map((c) => c.Service).sort(), ['db', 'web'], 'one container per service');
    assert.ok(list.every((c) => c.State === 'running'));
    const db2 = list.find((c) => c.Service === 'db');
    assert.equal(db2?.ID, db.ID, 'db was adopted, not recreated');
    assert.equal(db2?.Pid, db.Pid, 'db was not restarted');
    assert.equal(db2?.Health, 'healthy');
    h.ok(['down']);
    assert.equal(h.ps().length, 0);
  });
});
