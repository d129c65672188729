/** devicePolicy: what an ordered rule list leaves a cgroup with, by the v1 kernel's rules. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { devicePolicy, exceptionLine, validateDeviceRules, type DevicePolicy, type DeviceRule } from '../../../../src/runtime/devices/rules.js';
import { deviceRules } from '../../../../src/runtime/devices/defaults.js';
import { TscComposeError } from '../../../../src/errors/index.js';

const show = (p: DevicePolicy): string[] => [p.defaultAllow ? 'default allow' : 'default deny', ...p.exceptions.map((e) => exceptionLine(e, e.access))];
const rule = (allow: boolean, type: 'a' | 'b' | 'c', major?: number | '*', minor?: number | '*', access = 'rwm'): DeviceRule => ({ allow, type, major, minor, access });

describe('devicePolicy', () => {
  it('Docker\'s defaults: deny by default, one exception per allowed device', () => {
    assert.deepEqual(show(devicePolicy(deviceRules())), [
      'default deny', 'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm',
    ]);
  });

  it('merges the access of one device named twice, and takes bits away only from the same device', () => {
    const p = devicePolicy([rule(false, 'a'), rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, 3, 'w'), rule(true, 'c', 1, '*', 'm'), rule(false, 'c', 1, 3, 'r'), rule(false, 'c', 1, 5, 'rwm')]);
    assert.deepEqual(show(p), ['default deny', 'c 1:3 w', 'c 1:* m']);
    assert.deepEqual(show(devicePolicy([rule(false, 'a'), rule(true, 'b', 7, 0, 'rw'), rule(false, 'b', 7, 0, 'rw')])), ['default deny']);
  });

  it('an `a` rule resets everything before it, whatever numbers or access follow it', () => {
    assert.deepEqual(show(devicePolicy([rule(false, 'a'), rule(true, 'c', 1, 3), rule(true, 'a', 7, '*', 'r')])), ['default allow']);
    assert.deepEqual(show(devicePolicy([rule(true, 'a'), rule(false, 'b', 8, '*'), rule(true, 'b', 8, '*', 'm')])), ['default allow', 'b 8:* rw']);
  });

  it('refuses a list that does not start with an `a` rule (the empty list included), and impossible rules', () => {
    const refused = (rules: DeviceRule[], text: RegExp): void =>
      assert.throws(() => devicePolicy(rules), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUP_RESOURCES' && text.test(e.message));
    refused([], /must start with an `a` rule/);
    refused([rule(true, 'c', 1, 3)], /must start with an `a` rule/);
    refused([rule(false, 'a'), rule(true, 'c', 1, 3, 'x')], /access must be made of r, w, m/);
    refused([rule(false, 'a'), rule(true, 'c', 1, 3, '')], /access/);
    refused([rule(false, 'a'), rule(true, 'c', 4096, 0)], /bad device major 4096/);
    refused([rule(false, 'a'), rule(true, 'b', 1, 0x100000)], /bad device minor/);
    refused([rule(false, 'a'), rule(true, 'c', 1.5, 0)], /bad device major/);
    refused([rule(false, 'a'), { allow: true, type: 'x' as 'c', access: 'r' }], /type must be a, b or c/);
    validateDeviceRules([rule(false, 'a'), rule(true, 'c', 4095, 0xfffff)]);
  });
});
