/**
 * The commands' flags and service names against a real engine: what each
 * accepted flag does (restart's dependents, rm's question, start --wait,
 * down SERVICE, kill --remove-orphans, ps --orphans=false, --index, stats -a,
 * ls --filter, cp -a, images SERVICE, up --no-start, --attach-dependencies,
 * --no-build, pull --include-deps, the prune questions) and `no such
 * service` with and without a compose file.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineHarness } from '../../support/engine-harness.js';

const STACK = `name: flagz
services:
  db:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      start_interval: 100ms
      start_period: 30s
  api:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    depends_on:
      db: {condition: service_started, restart: true}
  web:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    depends_on: [api]
`;

const WITHOUT_WEB = STACK.slice(0, STACK.indexOf('  web:'));

const ATTACH = `name: attachz
services:
  base:
    image: busybox:test
    command: [sh, -c, "echo base-line; sleep 1"]
  top:
    image: busybox:test
    command: [sh, -c, "echo top-line; sleep 1"]
    depends_on: [base]
`;

const BUILT = `name: builtz
services:
  app:
    build: .
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`;

const PULL = `name: pullz
services:
  dep:
    image: 127.0.0.1:1/missing:1
  app:
    image: busybox:test
    depends_on: [dep]
`;

describe('commands: flags and service names', () => {
  let h: EngineHarness;
  const pids = (): Record<string, number> => Object.fromEntries(h.ps().map((c) => [c.Service, c.Pid]));
  const services = (): string[] => h.ps().map((c) => c.Service).sort();

  before(async () => {
    h = await EngineHarness.create('commands');
    h.writeCompose(STACK);
    h.writeCompose(ATTACH, 'attach.yaml');
    h.writeCompose(BUILT, 'built.yaml');
    h.writeCompose(PULL, 'pull.yaml');
    h.ok(['up', '-d', '--wait']);
  });
  after(async () => {
    h.writeCompose(STACK);
    h.cli(['down', '-t', '0', '--remove-orphans']);
    h.cli(['-f', 'attach.yaml', 'down', '-t', '0']);
    h.cli(['-f', 'built.yaml', 'down', '-t', '0']);
    await h.destroy();
  });

  it('restart takes along what depends on the service with restart: true; --no-deps does not', () => {
    const before = pids();
    h.ok(['restart', 'db']);
    const after = pids();
    assert.notEqual(after['db'], before['db']);
    assert.notEqual(after['api'], before['api'], 'api depends on db with restart: true');
    assert.equal(after['web'], before['web'], 'web depends on api without restart: true');
    h.ok(['restart', '--no-deps', 'db']);
    const last = pids();
    assert.notEqual(last['db'], after['db']);
    assert.equal(last['api'], after['api']);
  });

  it('start --wait returns once the containers run and are healthy', () => {
    h.ok(['stop']);
    h.ok(['start', '--wait']);
    const list = h.ps();
    assert.deepEqual(list.map((c) => c.State), ['running', 'running', 'running']);
    assert.equal(list.find((c) => c.Service === 'db')?.Health, 'healthy');
  });

  it('rm asks first (no is no, yes removes), -f does not ask; a one-off container by name; an unknown name', () => {
    h.ok(['stop', 'web']);
    const no = h.cli(['rm', 'web'], { input: 'n\n' });
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.stdout, /Going to remove flagz-web-1\nAre you sure\? \[y\/N\] /);
    assert.ok(h.ps().some((c) => c.Service === 'web'), 'answered no: kept');
    const closed = h.cli(['rm', 'web'], { input: '' });
    assert.ok(closed.stdout.includes('Are you sure?') && h.ps().some((c) => c.Service === 'web'), 'no answer: kept');
    h.ok(['rm', 'web'], { input: 'y\n' });
    assert.deepEqual(services(), ['api', 'db']);
    h.ok(['run', '-d', '--name', 'flagz-oneoff', 'db']);
    const forced = h.cli(['rm', '-s', '-f', 'flagz-oneoff']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^Going to remove flagz-oneoff\n/);
    assert.ok(!h.ps().some((c) => c.Name === 'flagz-oneoff'));
    const unknown = h.cli(['rm', '-f', 'nosuchservice']);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.equal(unknown.stderr, 'no such service: nosuchservice\n');
    h.ok(['up', '-d']);
  });

  it('without a compose file (-p NAME) the services the engine knows decide', () => {
    const file = path.join(h.projectDir, 'compose.yaml');
    const aside = path.join(h.root, 'compose.yaml.aside');
    fs.renameSync(file, aside);
    try {
      for (const args of [['kill', 'nosuch'], ['rm', '-f', 'nosuch'], ['logs', 'nosuch'], ['ps', 'nosuch'], ['down', 'nosuch'], ['cp', 'nosuch:/etc/hostname', h.root]]) {
        const r = h.cli(['-p', 'flagz', ...args]);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, 'no such service: nosuch\n', args.join(' '));
      }
      const known = h.cli(['-p', 'flagz', 'ps', '--services', 'web']);
      assert.equal(known.code, 0, known.stderr);
      assert.equal(known.stdout, 'web\n');
    } finally {
      fs.renameSync(aside, file);
    }
  });

  it('--index names one container: a number nothing has is an error', () => {
    const logs = h.cli(['logs', '--index', '2', 'web']);
    assert.equal(logs.code, 1, logs.stderr);
    assert.match(logs.stderr, /no container number 2 of web/);
    assert.equal(h.cli(['logs', '--index', '1', 'web']).code, 0);
    const exec = h.cli(['exec', '--index', '2', 'web', 'true']);
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /service "web" has no running container number 2/);
    assert.equal(h.cli(['exec', '--index', '1', 'web', 'true']).code, 0);
  });

  it('exec: an unknown service; a --help after the service is the command\'s', () => {
    const unknown = h.cli(['exec', 'nosuch', 'true']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'no such service: nosuch\n');
    assert.equal(h.ok(['exec', '-T', 'web', 'echo', '--help']), '--help\n');
  });

  it('run: a --help after the service is the command\'s; --interactive=false gives no input', () => {
    assert.equal(h.ok(['run', '--rm', '-T', 'db', 'echo', '--help']), '--help\n');
    assert.equal(h.ok(['run', '--rm', '-T', 'db', 'cat'], { input: 'typed\n' }), 'typed\n');
    assert.equal(h.ok(['run', '--rm', '-T', '--interactive=false', 'db', 'cat'], { input: 'typed\n' }), '');
  });

  it('stats -a shows stopped containers too; --no-trunc the whole id', () => {
    h.ok(['stop', 'web']);
    const web = h.ps().find((c) => c.Service === 'web');
    assert.ok(web);
    const running = h.ok(['stats', '--no-stream', '--format', 'json']);
    assert.ok(!running.includes('flagz-web-1'));
    const rows = h.ok(['stats', '-a', '--no-stream', '--no-trunc', '--format', 'json']).trim().split('\n').map((l) => JSON.parse(l) as { ID: string; Name: string; PIDs: string });
    const row = rows.find((r) => r.Name === 'flagz-web-1');
    assert.equal(row?.ID, web.ID);
    assert.equal(row?.PIDs, '0');
    h.ok(['start', 'web']);
  });

  it('ls --filter name=', () => {
    assert.match(h.ok(['ls', '--filter', 'name=^flag', '-q']), /^flagz\n$/);
    assert.equal(h.ok(['ls', '--filter', 'name=^nomatch', '-q']), '');
  });

  it('cp -a keeps the owner, cp without it gives the file to whoever copies; an unknown service', () => {
    h.ok(['exec', '-T', 'db', 'sh', '-c', 'echo hi > /tmp/owned; chown 1234:4321 /tmp/owned']);
    const dest = path.join(h.root, 'owned');
    h.ok(['cp', '-a', 'db:/tmp/owned', dest]);
    const st = fs.statSync(dest);
    assert.deepEqual([st.uid, st.gid], [1234, 4321]);
    const plain = path.join(h.root, 'owned-plain');
    h.ok(['cp', 'db:/tmp/owned', plain]);
    const st2 = fs.statSync(plain);
    assert.deepEqual([st2.uid, st2.gid], [0, 0]);
    const unknown = h.cli(['cp', 'nosuch:/tmp/owned', dest]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'no such service: nosuch\n');
  });

  it('images SERVICE lists that service\'s image; an unknown one is refused', () => {
    assert.match(h.ok(['images', 'db']), /busybox\s+test\s+[a-f0-9]{12}/);
    const unknown = h.cli(['images', 'nosuch']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no such service: nosuch/);
  });

  it('ps --orphans=false leaves out, and kill --remove-orphans removes, containers the file no longer has', () => {
    h.writeCompose(WITHOUT_WEB);
    try {
      assert.ok(h.ok(['ps', '--services']).split('\n').includes('web'), 'orphans are shown by default');
      assert.deepEqual(h.ok(['ps', '--orphans=false', '--services']).trim().split('\n').sort(), ['api', 'db']);
      h.ok(['kill', '--remove-orphans', 'api']);
      assert.ok(!h.ps().some((c) => c.Service === 'web'), 'the orphan is gone');
      assert.equal(h.ps().find((c) => c.Service === 'api')?.State, 'exited', 'api was killed');
    } finally {
      h.writeCompose(STACK);
    }
    h.ok(['up', '-d']);
    assert.deepEqual(services(), ['api', 'db', 'web']);
  });

  it('down SERVICE removes it and what depends on it, and keeps the rest running', () => {
    h.ok(['down', 'api']);
    const list = h.ps();
    assert.deepEqual(list.map((c) => c.Service), ['db']);
    assert.equal(list[0]?.State, 'running');
    assert.equal(h.ok(['network', 'ls', '-q']), 'flagz_default\n', 'the network the rest uses is kept');
  });

  it('up --no-start creates and starts nothing', () => {
    h.ok(['down', '-t', '0']);
    h.ok(['up', '--no-start']);
    assert.deepEqual(h.ps().map((c) => c.State), ['created', 'created', 'created']);
    h.ok(['up', '-d']);
  });

  it('up SERVICE shows that service\'s logs; --attach-dependencies those of its dependencies too', () => {
    const only = h.cli(['-f', 'attach.yaml', 'up', '--no-color', 'top']);
    assert.equal(only.code, 0, only.stderr);
    assert.match(only.stdout, /top-1\s+\| top-line/);
    assert.doesNotMatch(only.stdout, /base-line/);
    h.ok(['-f', 'attach.yaml', 'down', '-t', '0']);
    const both = h.cli(['-f', 'attach.yaml', 'up', '--no-color', '--attach-dependencies', 'top']);
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stdout, /top-1\s+\| top-line/);
    assert.match(both.stdout, /base-1\s+\| base-line/);
    h.ok(['-f', 'attach.yaml', 'down', '-t', '0']);
  });

  it('--no-build runs the image a build would have made; without it a build-only service is refused', () => {
    const unsupported = h.cli(['-f', 'built.yaml', 'up', '-d']);
    assert.equal(unsupported.code, 1);
    assert.match(unsupported.stderr, /service "app" has no image and building images is not supported yet/);
    const missing = h.cli(['-f', 'built.yaml', 'up', '-d', '--no-build']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /with --no-build it runs the image "builtz-app", which is not here/);
    h.ok(['image', 'import', path.join(h.root, 'busybox.tar'), 'builtz-app']);
    h.ok(['-f', 'built.yaml', 'up', '-d', '--no-build']);
    const app = h.ps(['-f', 'built.yaml']).find((c) => c.Service === 'app');
    assert.equal(app?.State, 'running');
    assert.match(String(app?.['Image']), /(^|\/)builtz-app(:latest)?$/);
    // --rmi local: the image made for the build-only service goes, an image a service names stays.
    h.ok(['-f', 'built.yaml', 'down', '-t', '0', '--rmi', 'local']);
    const images = h.ok(['image', 'ls']);
    assert.doesNotMatch(images, /builtz-app/);
    assert.match(images, /busybox\s+test/);
  });

  it('pull --include-deps pulls what the service depends on too', () => {
    const alone = h.cli(['-f', 'pull.yaml', 'pull', '--policy', 'missing', 'app']);
    assert.equal(alone.code, 0, alone.stderr);
    const withDeps = h.cli(['-f', 'pull.yaml', 'pull', '--policy', 'missing', '--include-deps', 'app']);
    assert.notEqual(withDeps.code, 0);
    assert.match(withDeps.stderr, /127\.0\.0\.1:1\/missing:1/);
  });

  it('volume rm -f of a missing volume; the prune commands ask unless -f', () => {
    assert.equal(h.cli(['volume', 'rm', 'nosuchvolume']).code, 1);
    assert.equal(h.cli(['volume', 'rm', '-f', 'nosuchvolume']).code, 0);
    h.ok(['volume', 'create', 'flagz-spare']);
    const declined = h.cli(['volume', 'prune', '-a'], { input: 'n\n' });
    assert.equal(declined.code, 0);
    assert.match(declined.stdout, /Are you sure you want to continue\? \[y\/N\] /);
    assert.equal(h.cli(['volume', 'inspect', 'flagz-spare']).code, 0, 'answered no: kept');
    h.ok(['volume', 'prune', '-a', '-f']);
    assert.equal(h.cli(['volume', 'inspect', 'flagz-spare']).code, 1, 'pruned');
    const net = h.cli(['network', 'prune'], { input: '' });
    assert.equal(net.code, 0);
    assert.match(net.stdout, /Are you sure you want to continue\?/);
    assert.equal(h.ok(['network', 'prune', '-f']), '', 'the project network is in use: nothing to prune');
  });
});
