/**
 * `privileged: true` is the host (as the guide says, and as Docker means it):
 * every capability the engine holds, no masks, writable /sys. On a machine
 * whose bounding set lacks a capability (this one lacks CAP_SYS_RESOURCE, as
 * any VM sandbox or nested container may), it must still start: asking for
 * every capability the kernel knows failed with `capset: EPERM`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EngineHarness } from '../support/engine-harness.js';
import { heldCapabilities } from '../../src/sys/process.js';
import { CAPABILITIES } from '../../src/runtime/capabilities.js';

const COMPOSE = `name: priv
services:
  host:
    image: busybox:test
    privileged: true
    command: [sleep, "3600"]
    stop_signal: SIGKILL
  plain:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`;

describe('security: privileged', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('priv');
    h.writeCompose(COMPOSE);
    h.ok(['up', '-d', '--wait']);
  });
  after(async () => {
    await h.destroy();
  });

  const capEff = (service: string): bigint => {
    const out = h.ok(['exec', '-T', service, 'grep', 'CapEff', '/proc/self/status']);
    return BigInt(`0x${out.split(/\s+/)[1]}`);
  };

  it('starts on a machine whose bounding set lacks capabilities, with every capability the engine holds', () => {
    assert.equal(capEff('host'), heldCapabilities());
  });

  it('a plain container has Docker’s default set', () => {
    assert.equal(capEff('plain'), 0xa80425fbn & heldCapabilities());
  });

  it('cap_add of a capability the engine does not hold is refused before anything starts', () => {
    const held = heldCapabilities();
    const missing = CAPABILITIES.find((c, i) => ((held >> BigInt(i)) & 1n) === 0n);
    if (!missing) return; // The engine holds all of them here: nothing to refuse.
    h.writeCompose(`name: priv2\nservices:\n  x:\n    image: busybox:test\n    cap_add: [${missing}]\n    command: ["true"]\n`, 'other.yaml');
    const r = h.cli(['-f', 'other.yaml', 'up', '-d']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`CAP_${missing}: the engine does not hold this capability`));
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.deepEqual(h.ps(['-f', 'other.yaml']).map((c) => c.Name), []);
  });
});
