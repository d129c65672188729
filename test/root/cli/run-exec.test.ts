/** `image import`, `run`, `exec` and `rm` end to end from the CLI, against the real kernel, in an isolated state root. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN } from '../../support/paths.js';
import { busyboxRootfsTar } from '../../support/busybox.js';
import { Runtime } from '../../../src/runtime/container.js';
import { stateLayout } from '../../../src/state/roots.js';

let root: string;
let project: string;

function cli(args: string[], cwd = project, input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), TSC_COMPOSE_ROOT: path.join(root, 'state') },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('run and exec from the CLI', () => {
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-cli-rt-'));
    project = path.join(root, 'proj');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(root, 'busybox.tar'), await busyboxRootfsTar());
    fs.writeFileSync(
      path.join(project, 'compose.yaml'),
      `services:
  box:
    image: busybox:test
    environment: {GREETING: hello}
    working_dir: /work
    volumes: [data:/data, ./shared:/shared]
  daemon:
    image: busybox:test
    command: [sleep, "60"]
    user: nobody
  ghost:
    image: nowhere.invalid/missing:1
    pull_policy: never
  stranger:
    image: busybox:test
    user: alice
  strict:
    image: busybox:test
    volumes:
      - type: bind
        source: ./does-not-exist
        target: /x
        bind: {create_host_path: false}
volumes:
  data: {}
`,
    );
  });
  after(async () => {
    cli(['down', '-v']);
    cli(['engine', 'stop']);
    // Containers outlive the CLI by design: remove whatever a failed test left running in this state root.
    const runtime = new Runtime(stateLayout({ dataRoot: path.join(root, 'state'), runRoot: path.join(root, 'state', 'run') }));
    for (const c of runtime.list()) await runtime.remove(c.id);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('imports a rootfs tarball as an image', () => {
    const r = cli(['image', 'import', '--change', 'CMD ["sh"]', path.join(root, 'busybox.tar'), 'busybox:test']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/);
    assert.match(cli(['images']).stdout, /busybox\s+test\s+[a-f0-9]{12}/);
  });

  it('run: output streamed, exit code kept, environment, working dir, bind mount, named volume across --rm runs', () => {
    const r = cli(['run', '--rm', '-e', 'EXTRA=x', 'box', 'sh', '-c', 'echo "$GREETING $EXTRA $(pwd)"; echo err >&2; echo v > /data/f; echo s > /shared/f; exit 5']);
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.stdout, 'hello x /work\n');
    assert.match(r.stderr, /err\n/);
    assert.equal(fs.readFileSync(path.join(project, 'shared', 'f'), 'utf8'), 's\n');
    const again = cli(['run', '--rm', 'box', 'cat', '/data/f']);
    assert.equal(again.stdout, 'v\n', again.stderr);
  });

  it('run attaches stdin in the foreground, as docker compose run does', () => {
    const r = cli(['run', '--rm', '-T', 'box', 'sh', '-c', 'tr a-z A-Z'], project, 'piped in\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'PIPED IN\n');
  });

  it('run gives the container a terminal when ours is one, and none with -T', () => {
    // Keys typed once the container runs; the outer terminal comes from `script`.
    const driver = path.join(root, 'tty-driver.sh');
    fs.writeFileSync(driver, `exec ${process.execPath} ${BIN} run --rm box sh -c 'tty; read line; echo typed-$line; exit 6'\n`);
    const viaTty = spawnSync('sh', ['-c', `(sleep 1.5; printf 'abc\\r'; sleep 1) | script -qec 'sh ${driver}' /dev/null`], {
      cwd: project,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), TSC_COMPOSE_ROOT: path.join(root, 'state'), TERM: 'xterm' },
      timeout: 30_000,
    });
    assert.match(viaTty.stdout, /\/dev\/pts\/\d+/);
    assert.match(viaTty.stdout, /typed-abc/);
    assert.equal(viaTty.status, 6);
    assert.equal(cli(['run', '--rm', '-T', 'box', 'tty']).stdout, 'not a tty\n');
  });

  it('exec joins a container started with run -d, by service name and by container name', () => {
    const started = cli(['run', '-d', '--name', 'the-daemon', 'daemon']);
    assert.equal(started.code, 0, started.stderr);
    const r = cli(['exec', 'daemon', 'sh', '-c', 'id -u; ps -o comm | grep -cx sleep; exit 9']);
    assert.equal(r.code, 9);
    assert.equal(r.stdout, '65534\n1\n');
    assert.equal(cli(['exec', '-u', 'root', 'the-daemon', 'id', '-u']).stdout, '0\n');
    // With a terminal of our own, exec gives the process one from the container's devpts (`script` provides ours).
    const viaTty = spawnSync('script', ['-qec', `${process.execPath} ${BIN} exec the-daemon sh -c 'tty; exit 4'`, '/dev/null'], {
      cwd: project,
      encoding: 'utf8',
      input: '',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), TSC_COMPOSE_ROOT: path.join(root, 'state'), TERM: 'xterm' },
      timeout: 30_000,
    });
    assert.match(viaTty.stdout, /\/dev\/pts\/\d+/);
    assert.equal(viaTty.status, 4);
    assert.equal(cli(['exec', '-T', 'the-daemon', 'sh', '-c', 'tty']).stdout, 'not a tty\n');
    assert.equal(cli(['rm', '-s', '-f', 'the-daemon']).code, 0);
    assert.notEqual(cli(['exec', 'daemon', 'true']).code, 0);
  });

  it('bad input gets a clear error naming the service and leaves nothing behind', () => {
    const containersDir = path.join(root, 'state', 'containers');
    const before = fs.existsSync(containersDir) ? fs.readdirSync(containersDir).length : 0;
    const cases: Array<[string[], RegExp]> = [
      [['run', '--rm', 'ghost'], /image "nowhere\.invalid\/missing:1" not found locally and pull_policy is "never"/],
      [['run', '--rm', 'stranger'], /service "stranger": unable to find user alice/],
      [['run', '--rm', 'strict'], /bind source path does not exist: .*does-not-exist/],
      [['run', '--rm', 'box', 'no-such-command'], /exec "no-such-command": executable file not found in \$PATH/],
      [['run', '--rm', 'nobody-knows'], /no such service: nobody-knows/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const afterCount = fs.existsSync(containersDir) ? fs.readdirSync(containersDir).length : 0;
    assert.equal(afterCount, before, 'no container left behind');
    assert.equal(fs.readFileSync('/proc/mounts', 'utf8').includes(root), false, 'no mount left behind');
  });
});
