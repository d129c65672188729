/**
 * The options every command already had, each with what it does, against a
 * real engine: logs (-t, --no-log-prefix, --tail, --ansi always), ps (-q,
 * --status, --filter, --no-trunc), up (--scale, --no-recreate, --attach,
 * --abort-on-container-failure, --wait-timeout, --pull), port/exec --index,
 * run (--entrypoint, -w, -u, --name), wait (--down-project), events --json,
 * pause/unpause, top, stop -t, kill -s, down -v and --rmi all, volume create -d.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineHarness, until } from '../../support/engine-harness.js';

const STACK = (env: string): string => `name: optz
services:
  talker:
    image: busybox:test
    command: [sh, -c, "echo one; echo two; echo three; exec sleep 3600"]
    stop_signal: SIGKILL
  worker:
    image: busybox:test
    command: [sleep, "3600"]
    environment: {MARK: "${env}"}
    ports: ["127.0.0.1::80"]
    volumes: [data:/data]
  quitter:
    image: busybox:test
    command: [sh, -c, "sleep 0.5; exit 3"]
    profiles: [quit]
  sick:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 1s, start_interval: 100ms, start_period: 60s}
    profiles: [sick]
  ghost:
    image: 127.0.0.1:1/missing:1
    profiles: [ghost]
  trapper:
    image: busybox:test
    command: [sh, -c, "trap 'exit 7' TERM; while true; do sleep 0.1; done"]
    profiles: [trap]
volumes:
  data: {}
`;

/** Where an ANSI escape sequence starts. */
const ESC = '\u001b[';

const SHORT = `name: shortz
services:
  base:
    image: busybox:test
    command: [sh, -c, "echo base-line; sleep 1"]
  top:
    image: busybox:test
    command: [sh, -c, "echo top-line; sleep 1; exit 4"]
    depends_on: [base]
`;

const RMI = `name: rmiz
services:
  app:
    image: optz-own:1
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`;

describe('command options', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('options');
    h.writeCompose(STACK('a'));
    h.writeCompose(SHORT, 'short.yaml');
    h.writeCompose(RMI, 'rmi.yaml');
    h.ok(['image', 'import', path.join(h.root, 'busybox.tar'), 'optz-own:1']);
    h.ok(['up', '-d']);
    await until('talker printed its lines', () => h.ok(['logs', 'talker']).includes('three'));
  });
  after(async () => {
    h.writeCompose(STACK('a'));
    h.cli(['--profile', '*', 'down', '-t', '0', '-v']);
    h.cli(['-f', 'short.yaml', 'down', '-t', '0']);
    h.cli(['-f', 'rmi.yaml', 'down', '-t', '0']);
    await h.destroy();
  });

  it('logs: --no-log-prefix, --tail, -t, --ansi always', () => {
    assert.equal(h.ok(['logs', '--no-log-prefix', 'talker']), 'one\ntwo\nthree\n');
    assert.equal(h.ok(['logs', '--no-log-prefix', '--tail', '1', 'talker']), 'three\n');
    assert.match(h.ok(['logs', '--no-log-prefix', '-t', '--tail', '1', 'talker']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$/);
    assert.match(h.ok(['logs', '--tail', '1', 'talker']), /^talker-1\s+\| three\n$/);
    assert.ok(!h.ok(['logs', 'talker']).includes(ESC), 'no colors into a pipe');
    assert.ok(h.ok(['--ansi', 'always', 'logs', 'talker']).includes(ESC), 'colors forced');
    assert.ok(!h.ok(['--ansi', 'always', 'logs', '--no-color', 'talker']).includes(ESC));
  });

  it('logs -f follows until interrupted', async () => {
    let out = '';
    const follow = h.cliAsync(['logs', '-f', '--no-log-prefix', 'talker'], { onStdout: (t) => (out += t) });
    await until('the lines so far', () => out.includes('three'));
    follow.kill('SIGINT');
    const r = await follow.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'one\ntwo\nthree\n');
  });

  it('ps: -q, --status, --filter status=, --no-trunc', () => {
    const ids = h.ps().map((c) => c.ID).sort();
    assert.deepEqual(h.ok(['ps', '-q']).trim().split('\n').sort(), ids);
    h.ok(['stop', '-t', '0', 'worker']);
    assert.equal(h.ok(['ps', '--status', 'exited', '--services']), 'worker\n');
    assert.equal(h.ok(['ps', '--filter', 'status=running', '--services']), 'talker\n');
    assert.match(h.ok(['ps', 'talker']), /"sh -c echo one; ech…"/);
    assert.match(h.ok(['ps', '--no-trunc', 'talker']), /echo three; exec sleep 3600/);
    h.ok(['start', 'worker']);
  });

  it('up --scale; port and exec --index reach the second container', () => {
    h.ok(['up', '-d', '--scale', 'worker=2']);
    const workers = h.ps().filter((c) => c.Service === 'worker');
    assert.deepEqual(workers.map((c) => c.Name), ['optz-worker-1', 'optz-worker-2']);
    assert.match(h.ok(['port', '--index', '2', 'worker', '80']), /^127\.0\.0\.1:\d+\n$/);
    assert.notEqual(h.ok(['port', '--index', '2', 'worker', '80']), h.ok(['port', 'worker', '80']));
    assert.equal(h.ok(['exec', '-T', '--index', '2', 'worker', 'hostname']).trim(), workers[1]?.ID.slice(0, 12));
    const copied = path.join(h.root, 'hostname-2');
    h.ok(['cp', '--index', '2', 'worker:/etc/hostname', copied]);
    assert.equal(fs.readFileSync(copied, 'utf8').trim(), workers[1]?.ID.slice(0, 12));
    h.ok(['up', '-d', '--scale', 'worker=1']);
    assert.equal(h.ps().filter((c) => c.Service === 'worker').length, 1);
  });

  it('up --no-recreate keeps a changed service\'s container; up recreates it', () => {
    const before = h.ps().find((c) => c.Service === 'worker')?.ID;
    h.writeCompose(STACK('b'));
    h.ok(['up', '-d', '--no-recreate']);
    assert.equal(h.ps().find((c) => c.Service === 'worker')?.ID, before);
    h.ok(['up', '-d']);
    assert.notEqual(h.ps().find((c) => c.Service === 'worker')?.ID, before);
  });

  it('up --attach shows only that service; --abort-on-container-failure stops the rest and returns the failed code', () => {
    const attached = h.cli(['-f', 'short.yaml', 'up', '--no-color', '--attach', 'base']);
    assert.equal(attached.code, 0, attached.stderr);
    assert.match(attached.stdout, /base-1\s+\| base-line/);
    assert.doesNotMatch(attached.stdout, /top-line/);
    h.ok(['-f', 'short.yaml', 'down', '-t', '0']);
    const stamped = h.cli(['-f', 'short.yaml', 'up', '--timestamps', '--no-log-prefix', '--attach', 'base']);
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z base-line$/m);
    h.ok(['-f', 'short.yaml', 'down', '-t', '0']);
    const failed = h.cli(['-f', 'short.yaml', 'up', '--no-color', '--abort-on-container-failure']);
    assert.equal(failed.code, 4, failed.stderr);
    assert.match(failed.stderr, /Aborting on container exit/);
    h.ok(['-f', 'short.yaml', 'down', '-t', '0']);
  });

  it('up --wait --wait-timeout gives up on a container that never gets healthy; --pull never does not pull', () => {
    const sick = h.cli(['--profile', 'sick', 'up', '-d', '--wait', '--wait-timeout', '1', 'sick']);
    assert.equal(sick.code, 1);
    assert.match(sick.stderr, /timeout waiting for optz-sick-1 to be healthy/);
    h.ok(['--profile', 'sick', 'down', '-t', '0', 'sick']);
    const ghost = h.cli(['--profile', 'ghost', 'up', '-d', '--pull', 'never', 'ghost']);
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /not found locally and pull_policy is "never"/);
  });

  it('run --entrypoint, -w, -u, --name', () => {
    assert.equal(h.ok(['run', '--rm', '-T', '-w', '/tmp', '-u', '65534', '--entrypoint', 'sh', 'talker', '-c', 'pwd; id -u']), '/tmp\n65534\n');
    const ghost = h.cli(['--profile', 'ghost', 'run', '--rm', '--pull', 'never', 'ghost']);
    assert.match(ghost.stderr, /not found locally and pull_policy is "never"/);
    assert.equal(h.ok(['exec', '-T', '-w', '/tmp', '-e', 'SEEN=yes', 'worker', 'sh', '-c', 'echo "$(pwd) $SEEN"']), '/tmp yes\n');
    h.ok(['run', '-d', '--name', 'optz-named', 'worker']);
    assert.ok(h.ps().some((c) => c.Name === 'optz-named'));
    h.ok(['rm', '-s', '-f', 'optz-named']);
  });

  it('wait prints the exit code; --down-project takes the project down after', () => {
    h.ok(['--profile', 'quit', 'up', '-d', 'quitter']);
    const r = h.cli(['--profile', 'quit', 'wait', 'quitter']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '3\n');
    assert.ok(h.ps().length > 0);
    assert.equal(h.cli(['--profile', 'quit', 'wait', '--down-project', 'quitter']).code, 3);
    assert.equal(h.ps().length, 0, 'the project is down');
    h.ok(['up', '-d']);
  });

  it('events --json, pause/unpause, top, kill -s', async () => {
    let out = '';
    let plain = '';
    const events = h.cliAsync(['events', '--json', 'worker'], { onStdout: (t) => (out += t) });
    const plainEvents = h.cliAsync(['events', 'worker'], { onStdout: (t) => (plain += t) });
    // The command subscribes once it is connected, which it does not announce: pause and unpause until both events show.
    await until('pause and unpause events', () => {
      if (out.includes('"action":"pause"') && out.includes('"action":"unpause"') && plain.includes(' container unpause ')) return true;
      h.ok(['pause', 'worker']);
      assert.equal(h.ps().find((c) => c.Service === 'worker')?.State, 'paused');
      h.ok(['unpause', 'worker']);
      return false;
    });
    assert.equal(h.ps().find((c) => c.Service === 'worker')?.State, 'running');
    events.kill('SIGINT');
    plainEvents.kill('SIGINT');
    await Promise.all([events.done, plainEvents.done]);
    assert.match(plain, /^\S+ container unpause [a-f0-9]+ \(name=optz-worker-1, /m);
    const first = JSON.parse(out.split('\n').find((l) => l.includes('"action":"pause"')) ?? '{}') as { service?: string; type?: string };
    assert.deepEqual([first.service, first.type], ['worker', 'container']);
    assert.match(h.ok(['top', 'worker']), /optz-worker-1\n(.|\n)*sleep 3600/);
    h.ok(['--profile', 'trap', 'up', '-d', 'trapper']);
    h.ok(['--profile', 'trap', 'kill', '-s', 'TERM', 'trapper']);
    const trapper = (): { State: string; ExitCode: number } | undefined => h.ps(['--profile', 'trap']).find((c) => c.Service === 'trapper');
    await until('trapper exited', () => trapper()?.State === 'exited');
    assert.equal(trapper()?.ExitCode, 7, 'its TERM trap ran: SIGTERM, not the default SIGKILL');
    h.ok(['--profile', 'trap', 'down', '-t', '0', 'trapper']);
  });

  it('stats streams until interrupted; ls -a and --format json; volume ls --format json', async () => {
    let out = '';
    const stats = h.cliAsync(['stats', 'worker'], { onStdout: (t) => (out += t) });
    await until('two samples', () => out.split('optz-worker-1').length > 2);
    stats.kill('SIGINT');
    assert.equal((await stats.done).code, 0);
    const projects = JSON.parse(h.ok(['ls', '--format', 'json'])) as Array<{ Name: string; Status: string }>;
    assert.match(projects.find((p) => p.Name === 'optz')?.Status ?? '', /running\(\d+\)/);
    h.ok(['-f', 'rmi.yaml', 'create']);
    assert.doesNotMatch(h.ok(['ls', '-q']), /rmiz/, 'nothing of rmiz runs');
    assert.match(h.ok(['ls', '-a', '-q']), /rmiz/);
    h.ok(['-f', 'rmi.yaml', 'down']);
    const volumes = h.ok(['volume', 'ls', '--format', 'json']).trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Driver: string });
    assert.deepEqual(volumes.map((v) => [v.Name, v.Driver]), [['optz_data', 'local']]);
  });

  it('volume create -d: local only', () => {
    assert.equal(h.ok(['volume', 'create', '-d', 'local', 'optz-local']), 'optz-local\n');
    const other = h.cli(['volume', 'create', '-d', 'nfs', 'optz-nfs']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /driver "nfs" is not supported/);
    h.ok(['volume', 'rm', 'optz-local']);
  });

  it('down -v removes the named volumes; --rmi all the services\' images', () => {
    assert.equal(h.cli(['volume', 'inspect', 'optz_data']).code, 0);
    h.ok(['down', '-t', '0', '-v']);
    assert.equal(h.cli(['volume', 'inspect', 'optz_data']).code, 1);
    h.ok(['-f', 'rmi.yaml', 'up', '-d']);
    h.ok(['-f', 'rmi.yaml', 'down', '-t', '0', '--rmi', 'all']);
    assert.doesNotMatch(h.ok(['image', 'ls']), /optz-own/);
    assert.match(h.ok(['image', 'ls']), /busybox\s+test/, 'images of other projects stay');
  });
});
