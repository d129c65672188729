/** healthcheck: a string test runs in a shell; durations typed; disable and NONE read the same. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, service } from '../../../support/canonical.js';

describe('healthcheck', () => {
  it('a string test runs in a shell; durations become Go strings; retries a number', () => {
    const yaml = 'services:\n  web:\n    healthcheck: {test: curl -f localhost, interval: 90s, timeout: 1500ms, retries: "3", start_period: 0s, start_interval: 5s}\n';
    assert.deepEqual(service(yaml).healthcheck, {
      test: ['CMD-SHELL', 'curl -f localhost'],
      interval: '1m30s',
      timeout: '1.5s',
      retries: 3,
      start_period: '0s',
      start_interval: '5s',
    });
  });

  it('disable: true and test: [NONE] mean the same and read the same', () => {
    const none = { test: ['NONE'], disable: true };
    assert.deepEqual(service('services:\n  web:\n    healthcheck: {disable: true}\n').healthcheck, none);
    assert.deepEqual(service('services:\n  web:\n    healthcheck: {test: [NONE]}\n').healthcheck, none);
    assert.deepEqual(service('services:\n  web:\n    healthcheck: {disable: "false", test: [CMD, ok]}\n').healthcheck, { test: ['CMD', 'ok'] });
  });

  it('a bad duration is refused with Go wording', () => {
    assert.equal(
      canonicalError('services:\n  web:\n    healthcheck: {interval: "10"}\n').message,
      'services.web.healthcheck.interval invalid duration "10": time: missing unit in duration "10"',
    );
  });
});
