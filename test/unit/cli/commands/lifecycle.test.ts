/** kill -s: names with or without SIG, any case, and numbers are the same signal; others are refused. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signalName } from '../../../../src/cli/commands/lifecycle.js';
import { UsageError } from '../../../../src/errors/index.js';

describe('kill -s', () => {
  it('signal names', () => {
    assert.equal(signalName('SIGKILL'), 'SIGKILL');
    assert.equal(signalName('term'), 'SIGTERM');
    assert.equal(signalName('HUP'), 'SIGHUP');
    assert.equal(signalName('9'), 'SIGKILL');
    assert.equal(signalName('15'), 'SIGTERM');
    for (const bad of ['SIGNOPE', '0', '999', 'KILL9', '']) assert.throws(() => signalName(bad), UsageError, bad);
  });
});
