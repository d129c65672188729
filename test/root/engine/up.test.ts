/** `up`/`down` and the engine end to end from the CLI with busybox services on the real kernel. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineHarness, until } from '../../support/engine-harness.js';

const STACK = (webValue: string): string => `name: chain
services:
  db:
    image: busybox:test
    command: [sh, -c, "sleep 0.3; touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      start_interval: 100ms
      start_period: 20s
    volumes: [data:/data]
  cache:
    image: busybox:test
    command: [sh, -c, "touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    depends_on:
      db: {condition: service_healthy}
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 1s
      start_interval: 100ms
      start_period: 20s
  web:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    restart: always
    environment: {V: "${webValue}"}
    depends_on:
      cache: {condition: service_healthy}
volumes:
  data: {}
`;

describe('engine: up, recreate, restart policies, re-adoption', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('up');
  });
  after(async () => {
    await h.destroy();
  });

  const ids = (): Record<string, string> => Object.fromEntries(h.ps().map((c) => [c.Service, c.ID]));

  it('up -d --wait brings a service_healthy chain up, in order, healthy', () => {
    h.writeCompose(STACK('1'));
    h.ok(['up', '-d', '--wait']);
    const ps = h.ps();
    assert.deepEqual(ps.map((c) => [c.Name, c.State]).sort(), [['chain-cache-1', 'running'], ['chain-db-1', 'running'], ['chain-web-1', 'running']]);
    assert.equal(ps.find((c) => c.Service === 'db')?.Health, 'healthy');
    assert.equal(ps.find((c) => c.Service === 'cache')?.Health, 'healthy');
    const events = h.ok(['ps', '--format', 'json', 'web']);
    assert.match(events, /"Name":"chain-web-1"/);
  });

  it('up again with an unchanged file changes nothing; --dry-run shows an empty plan', () => {
    const before = ids();
    const dry = h.ok(['up', '-d', '--dry-run']);
    assert.equal(dry.trim(), '');
    h.ok(['up', '-d', '--wait']);
    assert.deepEqual(ids(), before);
  });

  it('editing one service recreates only it', () => {
    const before = ids();
    h.writeCompose(STACK('2'));
    const dry = h.ok(['up', '-d', '--dry-run']);
    assert.match(dry, /service:web:1/);
    assert.doesNotMatch(dry, /service:(db|cache)/);
    h.ok(['up', '-d', '--wait']);
    const after = ids();
    assert.equal(after['db'], before['db']);
    assert.equal(after['cache'], before['cache']);
    assert.notEqual(after['web'], before['web']);
    const env = h.ok(['exec', '-T', 'web', 'sh', '-c', 'echo $V']);
    assert.equal(env, '2\n');
  });

  it('kill -9 of a restart: always service PID 1 is followed by a restart', async () => {
    const web = h.ps().find((c) => c.Service === 'web');
    assert.ok(web && web.Pid > 0);
    process.kill(web.Pid, 'SIGKILL');
    const back = await until('web restarted', () => {
      const w = h.ps().find((c) => c.Service === 'web');
      return w && w.State === 'running' && w.Pid !== web.Pid && w.RestartCount >= 1 ? w : undefined;
    });
    assert.equal(back.ID, web.ID, 'restarted in place, not recreated');
  });

  it('kill -9 of the engine: a new engine re-adopts every container, nothing started twice', async () => {
    const before = h.ps();
    const pid = h.enginePid();
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    await until('engine gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const after = h.ps(); // starts a new engine
    assert.deepEqual(
      after.map((c) => [c.ID, c.State, c.Pid]).sort(),
      before.map((c) => [c.ID, c.State, c.Pid]).sort(),
    );
    assert.notEqual(h.enginePid(), pid);
    // The adopted container's restart policy still works.
    const web = after.find((c) => c.Service === 'web');
    assert.ok(web);
    process.kill(web.Pid, 'SIGKILL');
    await until('web restarted under the new engine', () => {
      const w = h.ps().find((c) => c.Service === 'web');
      return w && w.State === 'running' && w.Pid !== web.Pid;
    });
    h.ok(['up', '-d', '--wait']);
    assert.equal(h.ps().length, 3, 'no duplicates after up');
  });

  it('stop is remembered; start brings the services back in dependency order', () => {
    h.ok(['stop', 'web']);
    assert.equal(h.ps().find((c) => c.Service === 'web')?.State, 'exited');
    h.ok(['start', 'web']);
    assert.equal(h.ps().find((c) => c.Service === 'web')?.State, 'running');
  });

  it('a named volume survives down + up and is gone after down -v', () => {
    h.ok(['exec', '-T', 'db', 'sh', '-c', 'echo kept > /data/f']);
    h.ok(['down']);
    assert.equal(h.ps().length, 0);
    assert.match(h.ok(['volume', 'ls', '-q']), /chain_data/);
    h.ok(['up', '-d', '--wait']);
    assert.equal(h.ok(['exec', '-T', 'db', 'cat', '/data/f']), 'kept\n');
    h.ok(['down', '-v']);
    assert.doesNotMatch(h.ok(['volume', 'ls', '-q']), /chain_data/);
    const store = path.join(h.state, 'engine', 'state');
    assert.deepEqual(fs.readdirSync(path.join(store, 'containers')), []);
    assert.deepEqual(fs.readdirSync(path.join(store, 'networks')), []);
  });
});

describe('engine: attached up, abort and exit codes, failing dependencies', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('abort');
  });
  after(async () => {
    await h.destroy();
  });

  it('--abort-on-container-exit stops everything when one exits and returns its code', async () => {
    h.writeCompose(`name: abort
services:
  quick:
    image: busybox:test
    command: [sh, -c, "echo quick says hi; sleep 0.5; exit 3"]
  long:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`);
    const r = await h.cliAsync(['up', '--abort-on-container-exit']).done;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /quick-1\s+\| quick says hi/);
    assert.match(r.stdout, /abort-quick-1 exited with code 3/);
    assert.ok(h.ps().every((c) => c.State === 'exited'));
    h.ok(['down']);
  });

  it('--exit-code-from returns that service exit code', async () => {
    h.writeCompose(`name: abort
services:
  test:
    image: busybox:test
    command: [sh, -c, "sleep 0.3; exit 7"]
  server:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`);
    const r = await h.cliAsync(['up', '--exit-code-from', 'test']).done;
    assert.equal(r.code, 7, r.stderr);
    h.ok(['down']);
  });

  it('a dependency that never gets healthy fails up --wait naming it', () => {
    h.writeCompose(`name: abort
services:
  sick:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "false"]
      interval: 100ms
      retries: 2
  app:
    image: busybox:test
    command: [sleep, "3600"]
    depends_on:
      sick: {condition: service_healthy}
`);
    const r = h.cli(['up', '-d', '--wait']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dependency failed to start: container abort-sick-1 is unhealthy/);
    h.ok(['down']);
  });

  it('service_completed_successfully waits for a one-shot job', () => {
    h.writeCompose(`name: abort
services:
  migrate:
    image: busybox:test
    command: [sh, -c, "sleep 0.3; echo done > /shared/m"]
    volumes: [shared:/shared]
  app:
    image: busybox:test
    command: [sh, -c, "cat /shared/m; exec sleep 3600"]
    stop_signal: SIGKILL
    volumes: [shared:/shared]
    depends_on:
      migrate: {condition: service_completed_successfully}
volumes:
  shared: {}
`);
    h.ok(['up', '-d', '--wait']);
    assert.match(h.ok(['logs', 'app']), /app-1\s+\| done/);
    h.ok(['down', '-v']);
  });
});
