/** devices (short form → long form) and device requests (gpus, deploy devices: count all is -1). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, service } from '../../../support/canonical.js';

describe('devices and device requests', () => {
  it('devices: short form → {source, target, permissions}', () => {
    assert.deepEqual(service('services:\n  web:\n    devices: ["/dev/a", "/dev/b:/dev/c", "/dev/d:/dev/e:r", {source: /dev/f, target: /dev/g}]\n').devices, [
      { source: '/dev/a', target: '/dev/a', permissions: 'rwm' },
      { source: '/dev/b', target: '/dev/c', permissions: 'rwm' },
      { source: '/dev/d', target: '/dev/e', permissions: 'r' },
      { source: '/dev/f', target: '/dev/g' },
    ]);
    assert.match(canonicalError('services:\n  web:\n    devices: ["a:b:c:d"]\n').message, /confusing device mapping, please use long syntax: a:b:c:d/);
  });

  it('gpus and device requests: count all is -1, and the default', () => {
    assert.deepEqual(service('services:\n  web:\n    gpus: all\n')['gpus'], [{ count: -1 }]);
    assert.deepEqual(service('services:\n  web:\n    gpus: [{driver: nvidia, count: "2"}, {device_ids: ["0"]}]\n')['gpus'], [
      { driver: 'nvidia', count: 2 },
      { device_ids: ['0'] },
    ]);
    const devices = service('services:\n  web:\n    deploy:\n      resources:\n        reservations:\n          devices: [{capabilities: [gpu]}, {capabilities: [gpu], count: all}]\n')
      .deploy?.resources?.reservations?.devices;
    assert.deepEqual(devices, [
      { capabilities: ['gpu'], count: -1 },
      { capabilities: ['gpu'], count: -1 },
    ]);
  });

  it('a count that is neither all nor a number is refused at the count', () => {
    assert.equal(
      canonicalError('services:\n  web:\n    gpus: [{count: some}]\n').message,
      "services.web.gpus.0.count invalid value \"some\", the only value allowed is 'all' or a number",
    );
  });
});
