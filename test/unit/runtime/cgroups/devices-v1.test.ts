/** v1DeviceWrites: the devices.allow/devices.deny lines from what devices.list shows to a target policy. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDevicesList, v1DeviceWrites } from '../../../../src/runtime/cgroups/devices-v1.js';
import { deviceRules } from '../../../../src/runtime/devices/defaults.js';
import { devicePolicy } from '../../../../src/runtime/devices/rules.js';

/** One `file=rule` per write(); `|` where a new descriptor is opened. */
const show = (writes: Array<{ file: string; values: string[] }>): string[] => writes.flatMap((w, i) => w.values.map((v, j) => `${i > 0 && j === 0 ? '| ' : ''}${w.file}=${v}`));
const DEFAULTS = devicePolicy(deviceRules());
const DEFAULT_LINES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm'];

describe('v1 device writes', () => {
  it('a new cgroup (allow all): the whole policy, reset first', () => {
    assert.deepEqual(show(v1DeviceWrites('a *:* rwm\n', DEFAULTS)), ['devices.deny=a', ...DEFAULT_LINES.map((l, i) => `${i === 0 ? '| ' : ''}devices.allow=${l}`)]);
  });

  it('privileged: allow all, from either mode', () => {
    const all = devicePolicy(deviceRules({ privileged: true }));
    assert.deepEqual(show(v1DeviceWrites('a *:* rwm\n', all)), ['devices.allow=a']);
    assert.deepEqual(show(v1DeviceWrites(`${DEFAULT_LINES.join('\n')}\n`, all)), ['devices.allow=a']);
  });

  it('the same policy again on a running container writes nothing', () => {
    assert.deepEqual(v1DeviceWrites(`${DEFAULT_LINES.join('\n')}\n`, DEFAULTS), []);
  });

  it('a changed policy: grants first, then removals, never `a`', () => {
    const target = devicePolicy(deviceRules({ tun: true, devices: [{ type: 'c', major: 1, minor: 3, permissions: 'rw' }] }));
    // The kernel shows what it holds; here 1:3 lost m, 10:229 is extra, 10:200 missing.
    const list = [...DEFAULT_LINES.filter((l) => l !== 'c 1:3 rwm'), 'c 1:3 rw', 'c 10:229 rwm'].join('\n');
    assert.deepEqual(show(v1DeviceWrites(list, target)), ['devices.allow=c 1:3 m', 'devices.allow=c 10:200 rwm', '| devices.deny=c 10:229 rwm']);
    const narrower = devicePolicy([{ allow: false, type: 'a', access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }]);
    assert.deepEqual(show(v1DeviceWrites('c 1:3 rwm\nb *:* m\n', narrower)), ['devices.deny=c 1:3 wm', 'devices.deny=b *:* m']);
  });

  it('deny everything: an empty devices.list, and `a` on its own', () => {
    const none = devicePolicy([{ allow: false, type: 'a', access: 'rwm' }]);
    assert.deepEqual(show(v1DeviceWrites('', none)), []);
    assert.deepEqual(show(v1DeviceWrites('a *:* rwm\n', none)), ['devices.deny=a']);
    assert.deepEqual(show(v1DeviceWrites('', DEFAULTS)), DEFAULT_LINES.map((l) => `devices.allow=${l}`));
  });

  it('reads devices.list as the kernel prints it; anything else means "write it all"', () => {
    assert.deepEqual(parseDevicesList('a *:* rwm\n'), { defaultAllow: true });
    assert.deepEqual(parseDevicesList('c 1:3 rwm\nb 8:* r\n'), {
      defaultAllow: false,
      exceptions: [{ type: 'c', major: 1, minor: 3, access: 7 }, { type: 'b', major: 8, minor: undefined, access: 2 }],
    });
    assert.equal(parseDevicesList('something else\n'), undefined);
    assert.deepEqual(show(v1DeviceWrites('garbage\n', DEFAULTS)).slice(0, 2), ['devices.deny=a', '| devices.allow=c *:* m']);
  });
});
