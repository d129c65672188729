/**
 * Flags tsc-compose refuses, and the checks that come before the engine:
 * each refusal names the flag and why, with exit 2 (1 for what is a missing
 * feature with its own code, as --build); an unknown service is `no such
 * service: X` with exit 1. The CLI runs as nobody: had a command gone on to
 * the engine, it would have said so (it needs root) instead.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REACHED_ENGINE, cliTempDir, runCliUnprivilegedAsync } from '../../support/cli-process.js';
import type { CliRun } from '../../support/cli-process.js';

const COMPOSE = `name: flags
services:
  db:
    image: busybox
  web:
    image: busybox
    depends_on: [db]
  built:
    build: .
`;

describe('refused flags and unknown services, before the engine', () => {
  let dir: string;
  const cli = (args: string[], input?: string): Promise<CliRun> => runCliUnprivilegedAsync(args, { cwd: dir, home: dir, ...(input !== undefined ? { input } : {}) });
  before(() => {
    dir = cliTempDir('tsc-flags-');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), COMPOSE);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const expect = async (args: string[], code: number, message: RegExp): Promise<void> => {
    const r = await cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, REACHED_ENGINE, `${args.join(' ')} reached the engine`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  };

  it('up and create: --build (as a build: section), -y, --menu', async () => {
    await Promise.all([
      expect(['up', '--build'], 1, /--build: building images is not supported yet/),
      expect(['create', '--build'], 1, /--build: building images is not supported yet/),
      expect(['up', '-d', '--yes'], 2, /--yes\/-y: up asks no questions/),
      expect(['create', '-y'], 2, /--yes\/-y: up asks no questions/),
      expect(['up', '--menu'], 2, /--menu .* is not supported/),
    ]);
  });

  it('up: what only an attached up does, with -d, --wait or --no-start', async () => {
    await Promise.all([
      expect(['up', '-d', '--no-color'], 2, /--no-color and --detach are incompatible/),
      expect(['up', '--wait', '--attach', 'web'], 2, /--attach and --wait are incompatible/),
      expect(['up', '--no-start', '--timestamps'], 2, /--timestamps and --no-start are incompatible/),
      expect(['up', '-d', '--attach-dependencies'], 2, /--attach-dependencies and --detach are incompatible/),
      expect(['up', '-d', '--abort-on-container-exit'], 2, /--abort-on-container-exit and --detach are incompatible/),
      expect(['up', '--no-start', '--wait'], 2, /--no-start and --wait are incompatible/),
      expect(['up', '-d', '--wait-timeout', '5'], 2, /--wait-timeout needs --wait/),
      expect(['create', '-d'], 2, /unknown shorthand flag: 'd'/),
      expect(['create', '--attach', 'web'], 2, /unknown flag: --attach/),
    ]);
  });

  it('up: services named in flags exist', async () => {
    await Promise.all([
      expect(['up', '--exit-code-from', 'nosuch'], 1, /no such service: nosuch/),
      expect(['up', '--attach', 'nosuch'], 1, /no such service: nosuch/),
      expect(['up', '-d', '--scale', 'nosuch=2'], 1, /no such service: nosuch/),
    ]);
  });

  it('global options: --parallel, --dry-run outside up/create, --progress against --ansi', async () => {
    await Promise.all([
      expect(['--parallel', '2', 'ps'], 2, /--parallel is not supported/),
      expect(['--dry-run', 'down'], 2, /--dry-run is supported by up and create only/),
      expect(['--progress', 'tty', '--ansi', 'never', 'ps'], 2, /can't use --progress tty while ANSI support is disabled/),
      expect(['--progress', 'plain', '--ansi', 'always', 'ps'], 2, /can't use --progress plain while ANSI support is forced/),
    ]);
  });

  it('commands: flags not supported yet, and values checked', async () => {
    await Promise.all([
      expect(['rm', '-a'], 2, /rm -a\/--all is not supported/),
      expect(['run', '-d', '--rm', 'web'], 2, /--rm with -d is not supported yet/),
      expect(['exec', '-d', 'web', 'true'], 2, /exec -d\/--detach is not supported yet/),
      expect(['exec', '--privileged', 'web', 'true'], 2, /exec --privileged is not supported yet/),
      expect(['exec', '--interactive=false', 'web', 'true'], 2, /exec --interactive=false is not supported yet/),
      expect(['exec', '--index', '0', 'web', 'true'], 2, /invalid --index "0"/),
      expect(['cp', '-L', 'web:/etc/hostname', '.'], 2, /cp -L\/--follow-link is not supported yet/),
      expect(['cp', '--index', 'x', 'web:/etc/hostname', '.'], 2, /invalid --index "x"/),
      expect(['logs', '--index', 'two', 'web'], 2, /invalid --index "two"/),
      expect(['port', '--protocol', 'sctp', 'web', '80'], 2, /invalid --protocol "sctp"/),
      expect(['port', 'web', 'http'], 2, /invalid PRIVATE_PORT "http"/),
      expect(['ps', '--status', 'sleeping'], 2, /invalid status "sleeping"/),
      expect(['ls', '--filter', 'label=x'], 2, /only name=NAME is supported/),
      expect(['stats', '--format', '{{.Name}}'], 2, /invalid --format/),
      expect(['kill', '-s', 'SIGNOPE'], 2, /invalid signal "SIGNOPE"/),
      expect(['stop', '-t', 'soon'], 2, /invalid --timeout "soon"/),
      expect(['start', '--wait-timeout', '3'], 2, /--wait-timeout needs --wait/),
      expect(['down', '-t', '1.5'], 2, /invalid --timeout "1.5"/),
      expect(['down', '--rmi', 'all', 'web'], 2, /--rmi removes the images of the whole project/),
      expect(['pull', '--policy', 'never'], 2, /invalid --policy "never"/),
      expect(['version', '--format', 'yaml'], 2, /invalid --format "yaml"/),
      expect(['version', 'extra'], 2, /version takes no arguments/),
      expect(['logout', 'a', 'b'], 2, /logout takes at most one SERVER/),
      expect(['image', 'ls', 'busybox'], 2, /image ls takes no REPOSITORY filter yet/),
      expect(['image', 'rm', '-f', 'busybox'], 2, /unknown shorthand flag: 'f'/),
      expect(['volume', 'ls', '--format', 'yaml'], 2, /invalid --format "yaml"/),
      expect(['network', 'ls', '--format', 'yaml'], 2, /invalid --format "yaml"/),
      expect(['network', 'prune', 'x'], 2, /network prune takes no NAME/),
    ]);
  });

  it('an unknown service: `no such service: X`, exit 1, for every command whose file can tell', async () => {
    const commands = [
      ['start'], ['stop'], ['restart'], ['kill'], ['pause'], ['unpause'], ['logs'], ['ps'], ['top'], ['events'], ['wait'],
      ['up', '-d'], ['create'], ['run', '--rm'], ['pull'], ['images'], ['down'], ['port'],
    ];
    await Promise.all(commands.map((c) => expect([...c, 'nosuch', ...(c[0] === 'port' ? ['80'] : [])], 1, /^no such service: nosuch\n$/)));
    // A service that exists is not refused: it goes on to the engine (which needs root).
    const known = await cli(['stop', 'web']);
    assert.match(known.stderr, REACHED_ENGINE);
  });

  it('--no-build: a build-only service needs the image a build would have made', async () => {
    // The check reads the local image store, which needs root: as nobody it stops there, after the flag was taken.
    const r = await cli(['up', '-d', '--no-build', 'built']);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stderr, /unknown flag|building images is not supported yet: /);
  });
});
