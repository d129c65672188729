/** Capabilities at the process boundary: names, Docker's default set, the five sets and their masks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CAPABILITY_NAMES,
  capabilityMask,
  capabilityMasks,
  capabilityName,
  capabilityNamesOf,
  capabilitySets,
  defaultDockerCapabilities,
} from '../../../../src/runtime/process/capabilities.js';
import { CAPABILITIES, capabilityMask as composeCapabilityMask } from '../../../../src/runtime/capabilities.js';
import { TscComposeError } from '../../../../src/errors/index.js';

describe('process capabilities', () => {
  it("Docker's default capability set is 0xa80425fb", () => {
    assert.equal(capabilityMask(defaultDockerCapabilities), 0xa80425fbn);
    assert.equal(defaultDockerCapabilities.length, 14);
    const sets = capabilitySets();
    assert.deepEqual(sets.inheritable, []);
    assert.deepEqual(sets.ambient, []);
    assert.deepEqual(capabilityNamesOf(0xa80425fbn).sort(), [...defaultDockerCapabilities].sort());
  });

  it('capability names are accepted with or without CAP_, in any case; unknown ones are refused', () => {
    assert.equal(capabilityName('net_admin'), 'CAP_NET_ADMIN');
    assert.equal(capabilityName('CAP_SYS_ADMIN'), 'CAP_SYS_ADMIN');
    assert.equal(capabilityMask(['CHECKPOINT_RESTORE']), 1n << 40n);
    assert.throws(() => capabilityName('FLY'), (e: unknown) => e instanceof TscComposeError && /unknown capability "FLY"/.test(e.message));
  });

  it('a mask names its capabilities and back; bits past the last capability are refused, not dropped', () => {
    const all = (1n << BigInt(CAPABILITY_NAMES.length)) - 1n;
    assert.equal(capabilityMask(capabilityNamesOf(all)), all);
    assert.deepEqual(capabilityNamesOf(0n), []);
    assert.throws(() => capabilityNamesOf(1n << 41n), /has bits past CAP_CHECKPOINT_RESTORE/);
  });

  it('the masks the runtime stores for services (cap_add, cap_drop, privileged) become the same sets', () => {
    // Both tables are in kernel order: the container's mask and the sets lowered from its names agree bit for bit.
    assert.deepEqual(CAPABILITY_NAMES.map((n) => n.slice(4)), [...CAPABILITIES]);
    for (const opts of [{}, { privileged: true }, { add: ['NET_ADMIN'], drop: ['MKNOD'] }, { drop: ['ALL'] }]) {
      const mask = composeCapabilityMask({ ...opts, held: (1n << BigInt(CAPABILITIES.length)) - 1n });
      assert.deepEqual(capabilityMasks(capabilitySets(capabilityNamesOf(mask))), { bounding: mask, effective: mask, permitted: mask, inheritable: 0n, ambient: 0n });
    }
  });
});
