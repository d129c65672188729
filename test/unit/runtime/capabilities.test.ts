import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES, capabilityMask } from '../../../src/runtime/capabilities.js';
import { heldCapabilities } from '../../../src/sys/process.js';
import { TscComposeError } from '../../../src/errors/index.js';

const bit = (name: string): bigint => 1n << BigInt((CAPABILITIES as readonly string[]).indexOf(name));
const ALL = CAPABILITIES.reduce((m, c) => m | bit(c), 0n);
/** A machine like this one: every capability but CAP_SYS_RESOURCE in the bounding set. */
const SANDBOX = ALL & ~bit('SYS_RESOURCE');

test("capabilities: Docker's default set when the engine holds everything", () => {
  assert.equal(capabilityMask({ held: ALL }), 0xa80425fbn);
});

test('capabilities: privileged means every capability the engine holds, not every one the kernel knows', () => {
  assert.equal(capabilityMask({ privileged: true, held: SANDBOX }), SANDBOX);
  assert.equal(capabilityMask({ add: ['ALL'], held: SANDBOX }), SANDBOX);
  assert.equal(capabilityMask({ privileged: true, drop: ['NET_ADMIN'], held: SANDBOX }), SANDBOX & ~bit('NET_ADMIN'));
});

test('capabilities: a named cap_add the engine does not hold is a clear error naming it', () => {
  assert.throws(
    () => capabilityMask({ add: ['SYS_RESOURCE'], held: SANDBOX }, 'db'),
    (err: unknown) => err instanceof TscComposeError && err.code === 'TSC_CAPABILITY_NOT_HELD' && /CAP_SYS_RESOURCE/.test(err.message) && err.service === 'db',
  );
  assert.equal(capabilityMask({ add: ['cap_net_admin'], held: SANDBOX }), 0xa80425fbn | bit('NET_ADMIN'));
});

test('capabilities: a default the engine lacks is left out rather than failing every start', () => {
  assert.equal(capabilityMask({ held: ALL & ~bit('MKNOD') }), 0xa80425fbn & ~bit('MKNOD'));
});

test('capabilities: what the engine holds is its permitted set within its bounding set', () => {
  assert.equal(heldCapabilities('CapPrm:\t000001fffeffffff\nCapBnd:\t000001fffeffff00\n'), 0x1fffeffff00n);
  assert.equal(heldCapabilities('CapPrm:\t0000000000000000\nCapBnd:\t000001ffffffffff\n'), 0n);
});
