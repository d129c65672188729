/** Run by test/run.sh after every suite (a step of its own, not a file that must sort last): the suites left no mount, cgroup, shim process or state directory behind. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';

it('no leftover mounts, cgroups, processes, engines, links, namespaces, rules or temporary state', () => {
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => /tsc-(rt|cli|images|volumes|unpack)-|tsc-compose/.test(l));
  assert.deepEqual(mounts, []);
  const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-mindepth', '1', '-maxdepth', '3', '-type', 'd', '-name', 'tsc-compose*'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(cgroups, '');
  const shims = spawnSync('pgrep', ['-f', 'tsc-compose-shim'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(shims, '', 'no container monitor is still running');
  const engines = spawnSync('pgrep', ['-f', 'engine/daemon/main.js'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(engines, '', 'no engine is still running');
  const links = fs.readdirSync('/sys/class/net').filter((n) => /^tsc(br-|v)/.test(n));
  assert.deepEqual(links, [], 'no bridge or veth left');
  const netns = fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns').filter((n) => n.startsWith('tsc-')) : [];
  assert.deepEqual(netns, [], 'no network namespace left');
  const rules = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes('TSC-'));
  assert.deepEqual(rules, [], 'no iptables chain or rule left');
  const temp = fs.readdirSync(os.tmpdir()).filter((n) => /^tsc-(rt|cli-rt|images|volumes|unpack|cg|pull|proc|bench)-/.test(n));
  assert.deepEqual(temp, []);
});
