/**
 * `--help` everywhere: the global help, every command's, every subcommand's
 * (image, volume, network, engine) ends with a newline and never reaches the
 * engine; in `run` and `exec` a `--help` after the service belongs to the
 * container's command.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS } from '../../../src/cli/command-table.js';
import { asksForHelp } from '../../../src/cli/args.js';
import type { OptionSpec } from '../../../src/cli/args.js';
import { REACHED_ENGINE, cliTempDir, runCliUnprivileged, runCliUnprivilegedAsync } from '../../support/cli-process.js';
import type { CliRun } from '../../support/cli-process.js';

const SUBCOMMANDS: Record<string, string[]> = {
  image: ['import', 'load', 'save', 'ls', 'rm', 'prune', 'inspect'],
  volume: ['ls', 'inspect', 'create', 'rm', 'prune'],
  network: ['ls', 'inspect', 'prune'],
  engine: ['run', 'status', 'stop', 'logs', 'install'],
};

describe('--help', () => {
  let dir: string;
  const cli = (args: string[]): CliRun => runCliUnprivileged(args, { cwd: dir, home: dir });
  /** Runs every argument list, a few at a time. */
  const cliAll = async (list: string[][]): Promise<Array<{ args: string[]; r: CliRun }>> => {
    const out: Array<{ args: string[]; r: CliRun }> = [];
    for (let i = 0; i < list.length; i += 8) {
      const batch = list.slice(i, i + 8);
      out.push(...(await Promise.all(batch.map(async (args) => ({ args, r: await runCliUnprivilegedAsync(args, { cwd: dir, home: dir }) })))));
    }
    return out;
  };
  before(() => {
    dir = cliTempDir('tsc-help-');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: busybox\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the global help: --help, -h, help', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: {2}tsc-compose \[OPTIONS\] COMMAND\n/);
      assert.ok(r.stdout.endsWith('\n'), args.join(' '));
      assert.ok(!r.stdout.endsWith('\n\n'), args.join(' '));
    }
  });

  it('every command: CMD --help (and, for a few, CMD -h and help CMD)', async () => {
    const list = [...Object.keys(COMMANDS).map((name) => [name, '--help']), ['up', '-h'], ['exec', '-h'], ['help', 'run'], ['help', 'engine']];
    for (const { args, r } of await cliAll(list)) {
      const name = args[0] === 'help' ? (args[1] as string) : (args[0] as string);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '', args.join(' '));
      assert.ok(r.stdout.startsWith(`Usage: tsc-compose ${name} `), `${args.join(' ')}: ${r.stdout}`);
      assert.ok(r.stdout.endsWith(`${COMMANDS[name]?.summary}\n`), `${args.join(' ')} ends with its summary and a newline`);
    }
  });

  it('every subcommand of image, volume, network and engine', async () => {
    const list = Object.entries(SUBCOMMANDS).flatMap(([name, subs]) => subs.map((sub) => [name, sub, '--help']));
    for (const { args, r } of await cliAll(list)) {
      const [name, sub] = args as [string, string];
      assert.equal(r.code, 0, `${name} ${sub}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`Usage: tsc-compose ${name}`) && r.stdout.endsWith('\n'), `${name} ${sub} --help`);
    }
  });

  it('a missing or unknown subcommand is a usage error, found before the engine or the host state is touched', async () => {
    for (const { args, r } of await cliAll([['network'], ['network', 'bogus'], ['volume'], ['volume', 'bogus'], ['image', 'bogus'], ['engine'], ['engine', 'bogus']])) {
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, REACHED_ENGINE, args.join(' '));
      assert.match(r.stderr, /expected /, args.join(' '));
    }
  });

  it('run: --help after the service is the container command\'s, before it is ours', () => {
    const passed = cli(['run', 'nosuch', 'echo', '--help']);
    assert.equal(passed.code, 1, passed.stderr);
    assert.match(passed.stderr, /no such service: nosuch/, 'run went on to find the service: --help was not taken as ours');
    assert.equal(passed.stdout, '');
    const ours = cli(['run', '--rm', '--help', 'web', 'echo']);
    assert.equal(ours.code, 0, ours.stderr);
    assert.match(ours.stdout, /^Usage: tsc-compose run /);
    // `-e --help` sets a variable named --help: not a request for help.
    const value = cli(['run', '-e', '--help', 'nosuch', 'true']);
    assert.match(value.stderr, /no such service: nosuch/);
    const afterDashes = cli(['up', '--', '--help']);
    assert.doesNotMatch(afterDashes.stdout, /^Usage:/);
  });

  it('asksForHelp: the rules', () => {
    const opts: OptionSpec[] = [
      { name: 'env', short: 'e', type: 'string', multiple: true },
      { name: 'detach', short: 'd', type: 'boolean' },
      { name: 'user', short: 'u', type: 'string' },
    ];
    assert.equal(asksForHelp(['web', '--help']), true, 'a command without pass-through: anywhere');
    assert.equal(asksForHelp(['--', '--help']), false);
    assert.equal(asksForHelp(['web', 'cat', '--help'], opts), false);
    assert.equal(asksForHelp(['-d', '--help', 'web'], opts), true);
    assert.equal(asksForHelp(['-e', '--help', 'web'], opts), false);
    assert.equal(asksForHelp(['--env', '-h', 'web'], opts), false);
    assert.equal(asksForHelp(['--env=x', '-h', 'web'], opts), true);
    assert.equal(asksForHelp(['-du', '--help', 'web'], opts), false, 'a bundle ending in a flag that takes a value');
    assert.equal(asksForHelp(['-uroot', '--help', 'web'], opts), true, 'a value attached to its flag');
  });
});
