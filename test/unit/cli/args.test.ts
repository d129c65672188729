import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from '../../../src/cli/args.js';
import { GLOBAL_OPTIONS, toGlobalOptions } from '../../../src/cli/global-options.js';
import { UsageError } from '../../../src/errors/index.js';

it('global options stop at the command; the rest is the command\'s', () => {
  const r = parseOptions(['-f', 'a.yaml', '--file=b.yaml', '-pproj', '--profile', 'x,y', 'config', '-q', '--format', 'json'], GLOBAL_OPTIONS, true);
  assert.deepEqual(r.positionals, ['config', '-q', '--format', 'json']);
  const g = toGlobalOptions(r.options);
  assert.deepEqual(g.files, ['a.yaml', 'b.yaml']);
  assert.equal(g.projectName, 'proj');
  assert.deepEqual(g.profiles, ['x', 'y']);
});

it('bundled short booleans, --flag=false, and -- end option parsing', () => {
  const specs = [
    { name: 'detach', short: 'd', type: 'boolean' as const },
    { name: 'quiet', short: 'q', type: 'boolean' as const },
    { name: 'tail', type: 'string' as const },
  ];
  const r = parseOptions(['-dq', '--tail=5', '--quiet=false', 'svc', '--', '-x'], specs);
  assert.equal(r.options['detach'], true);
  assert.equal(r.options['quiet'], false);
  assert.equal(r.options['tail'], '5');
  assert.deepEqual(r.positionals, ['svc', '-x']);
});

it('unknown flags and missing values are usage errors', () => {
  assert.throws(() => parseOptions(['--nope'], GLOBAL_OPTIONS), UsageError);
  assert.throws(() => parseOptions(['-f'], GLOBAL_OPTIONS), /flag needs an argument/);
  assert.throws(() => toGlobalOptions(parseOptions(['--ansi', 'sometimes'], GLOBAL_OPTIONS).options), /invalid --ansi/);
});
