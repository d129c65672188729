/** `down` as one plan, `up -t` on restarted dependents and `create`, end to end from the CLI with busybox services on the real kernel. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineHarness } from '../../support/engine-harness.js';

// busybox `sleep` as PID 1 has no SIGTERM handler, so the kernel drops SIGTERM: only the grace period's SIGKILL ends it.
const RESTARTS = (dbValue: string): string => `name: restarts
services:
  db:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    environment: {V: "${dbValue}"}
  web:
    image: busybox:test
    command: [sleep, "3600"]
    stop_grace_period: 1h
    depends_on:
      db: {condition: service_started, restart: true}
`;

const VOLUMES = `name: downs
services:
  db:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    volumes: [data:/data, /scratch]
volumes:
  data: {}
`;

const HOST = `name: shared
services:
  app:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`;

const GUEST = `name: guest
services:
  visitor:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    networks: [outside]
networks:
  outside:
    external: true
    name: shared_default
`;

describe('engine: down as one plan, up -t on restarted dependents, create', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('down');
  });
  after(async () => {
    await h.destroy();
  });

  const storeEntries = (dir: string): string[] => {
    const p = path.join(h.state, 'engine', 'state', dir);
    return fs.existsSync(p) ? fs.readdirSync(p) : [];
  };
  const volumes = (): string[] => h.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean);
  const networks = (): string[] => h.ok(['network', 'ls', '-q']).split('\n').filter(Boolean);

  it('up -t 1 gives the restart of a restart: true dependent 1 s, not its own hour', () => {
    h.writeCompose(RESTARTS('1'));
    h.ok(['up', '-d']);
    const before = h.ps();
    const webBefore = before.find((c) => c.Service === 'web');
    assert.equal(webBefore?.State, 'running');
    h.writeCompose(RESTARTS('2'));
    assert.match(h.ok(['up', '-d', '--dry-run', '-t', '1']), /service:web:1, RestartContainer, dependency db recreated/);
    // With the container's own grace period this would outlast the CLI's time limit.
    const r = h.cli(['up', '-d', '-t', '1'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    const after = h.ps();
    const webAfter = after.find((c) => c.Service === 'web');
    assert.equal(webAfter?.ID, webBefore?.ID, 'restarted in place, not recreated');
    assert.equal(webAfter?.State, 'running');
    assert.notEqual(webAfter?.Pid, webBefore?.Pid, 'a new process');
    assert.notEqual(after.find((c) => c.Service === 'db')?.ID, before.find((c) => c.Service === 'db')?.ID, 'db recreated');
    const down = h.cli(['down', '-t', '0'], { timeoutMs: 90_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(h.ps(), []);
  });

  it('create makes the containers and starts none (its plan has no start); start then runs them', () => {
    h.writeCompose(RESTARTS('1'));
    const plan = h.ok(['create', '--dry-run']);
    assert.match(plan, /service:web:1, CreateContainer/);
    assert.doesNotMatch(plan, /StartContainer|WaitDependency/);
    h.ok(['create']);
    assert.deepEqual(
      h.ps().map((c) => [c.Service, c.State]).sort(),
      [['db', 'created'], ['web', 'created']],
    );
    h.ok(['start']);
    assert.deepEqual(
      h.ps().map((c) => [c.Service, c.State]).sort(),
      [['db', 'running'], ['web', 'running']],
    );
    const down = h.cli(['down', '-t', '0'], { timeoutMs: 90_000 });
    assert.equal(down.code, 0, down.stderr);
  });

  it('down -v removes the containers, one-off ones too, the network and the named and anonymous volumes', () => {
    h.writeCompose(VOLUMES);
    h.ok(['up', '-d']);
    h.ok(['run', '-d', 'db', 'sleep', '3600']);
    assert.equal(h.ps().length, 2);
    const made = volumes().filter((v) => v.startsWith('downs'));
    assert.ok(made.includes('downs_data'), made.join(' '));
    assert.equal(made.filter((v) => v.includes('-anon-')).length, 2, `one anonymous volume per container: ${made.join(' ')}`);
    assert.ok(networks().includes('downs_default'));
    h.ok(['down']);
    assert.deepEqual(h.ps(), []);
    assert.deepEqual(
      volumes().filter((v) => v.startsWith('downs')).sort(),
      made.sort(),
      'down without -v keeps every volume',
    );
    h.ok(['up', '-d']);
    const r = h.cli(['down', '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.ps(), []);
    assert.deepEqual(
      volumes().filter((v) => v.startsWith('downs')),
      [],
    );
    assert.equal(networks().includes('downs_default'), false);
  });

  it('down keeps, with a warning, a network and an image another project still uses; the next down removes them', () => {
    h.writeCompose(HOST);
    h.writeCompose(GUEST, 'guest.yaml');
    h.ok(['up', '-d']);
    h.ok(['-f', 'guest.yaml', 'up', '-d']);
    const kept = h.cli(['down', '--rmi', 'all']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stderr, /network shared_default is kept: still in use by guest-visitor-1/);
    assert.match(kept.stderr, /image busybox:test is kept: still in use by guest-visitor-1/);
    assert.deepEqual(
      h.ps(['-f', 'guest.yaml']).map((c) => [c.Name, c.State]),
      [['guest-visitor-1', 'running']],
    );
    assert.ok(networks().includes('shared_default'));
    assert.match(h.ok(['image', 'ls']), /busybox/);

    h.ok(['-f', 'guest.yaml', 'down']);
    assert.ok(networks().includes('shared_default'), 'an external network stays with the project that uses it');
    // Nothing of `shared` runs any more: its network (left without containers) and its image go now.
    const gone = h.cli(['down', '--rmi', 'all']);
    assert.equal(gone.code, 0, gone.stderr);
    assert.doesNotMatch(gone.stderr, /is kept/);
    assert.equal(networks().includes('shared_default'), false);
    assert.doesNotMatch(h.ok(['image', 'ls']), /busybox/);
    assert.deepEqual(storeEntries('containers'), []);
    assert.deepEqual(storeEntries('networks'), []);
    assert.deepEqual(storeEntries('projects'), []);
  });
});
