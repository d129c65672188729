/** deviceRules: Docker's default list, what devices:, device_cgroup_rules:, tun and privileged add, and what is refused. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRules } from '../../../../src/runtime/devices/defaults.js';
import type { DeviceRule } from '../../../../src/runtime/devices/rules.js';
import { TscComposeError } from '../../../../src/errors/index.js';

/** `allow c 1:3 rwm`, one line per rule, for exact comparisons. */
const lines = (rules: DeviceRule[]): string[] =>
  rules.map((r) => `${r.allow ? 'allow' : 'deny'} ${r.type}${r.type === 'a' ? '' : ` ${String(r.major ?? '*')}:${String(r.minor ?? '*')}`} ${r.access}`);

const DOCKER_DEFAULTS = [
  'deny a rwm',
  'allow c *:* m',
  'allow b *:* m',
  'allow c 1:3 rwm',
  'allow c 1:5 rwm',
  'allow c 1:7 rwm',
  'allow c 1:8 rwm',
  'allow c 1:9 rwm',
  'allow c 5:0 rwm',
  'allow c 5:1 rwm',
  'allow c 5:2 rwm',
  'allow c 136:* rwm',
];

describe('deviceRules', () => {
  it('with nothing asked: deny all, then Docker\'s allow list without /dev/net/tun', () => {
    assert.deepEqual(lines(deviceRules()), DOCKER_DEFAULTS);
    assert.deepEqual(lines(deviceRules({ privileged: false, devices: [], deviceCgroupRules: [] })), DOCKER_DEFAULTS);
  });

  it('tun only when asked', () => {
    assert.deepEqual(lines(deviceRules({ tun: true })), [...DOCKER_DEFAULTS, 'allow c 10:200 rwm']);
  });

  it('mapped devices with their permissions (rwm when none), then the cgroup rules, in order', () => {
    const rules = deviceRules({
      devices: [{ type: 'b', major: 7, minor: 3 }, { type: 'c', major: 10, minor: 232, permissions: 'r' }],
      deviceCgroupRules: ['c 189:* rmw', 'b 8:0 r'],
    });
    assert.deepEqual(lines(rules).slice(DOCKER_DEFAULTS.length), ['allow b 7:3 rwm', 'allow c 10:232 r', 'allow c 189:* rmw', 'allow b 8:0 r']);
  });

  it('an `a` cgroup rule names block and character devices with those numbers, not every device', () => {
    assert.deepEqual(lines(deviceRules({ deviceCgroupRules: ['a 7:* rw'] })).slice(DOCKER_DEFAULTS.length), ['allow b 7:* rw', 'allow c 7:* rw']);
    assert.deepEqual(lines(deviceRules({ deviceCgroupRules: ['a *:* r'] })).slice(DOCKER_DEFAULTS.length), ['allow b *:* r', 'allow c *:* r']);
  });

  it('privileged allows everything, whatever else is asked', () => {
    assert.deepEqual(lines(deviceRules({ privileged: true })), ['allow a rwm']);
    assert.deepEqual(lines(deviceRules({ privileged: true, devices: [{ type: 'b', major: 8, minor: 0 }], deviceCgroupRules: ['c 1:1 r'], tun: true })), ['allow a rwm']);
  });

  it('refuses a cgroup rule that is not in Docker\'s syntax, quoting it', () => {
    for (const bad of ['c 1:3', 'x 1:3 rwm', 'c 1 rwm', 'c 1:3 rwx', 'c  1:3 rwm', 'c -1:3 rwm', 'c 1:3 rwmr', ' c 1:3 rwm']) {
      assert.throws(() => deviceRules({ deviceCgroupRules: [bad] }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_RESOURCES' && e.message.includes(`"${bad}"`), bad);
    }
  });
});
