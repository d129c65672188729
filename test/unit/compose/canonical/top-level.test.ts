/** Top-level networks, volumes, secrets, configs and include entries. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, canonicalError, runCanonical } from '../../../support/canonical.js';

describe('top-level entries', () => {
  it('a null entry becomes a mapping; labels and driver options become strings', () => {
    const tree = canonical('volumes:\n  data:\n  tuned: {driver_opts: {size: 10}, labels: [a=1]}\nnetworks:\n  n: {ipam: {config: [{subnet: 10.0.0.0/24, aux_addresses: {h: 10.0.0.5}}]}}\n');
    assert.deepEqual(tree['volumes'], { data: {}, tuned: { driver_opts: { size: '10' }, labels: { a: '1' } } });
    assert.deepEqual(tree['networks'], { n: { ipam: { config: [{ subnet: '10.0.0.0/24', aux_addresses: { h: '10.0.0.5' } }] } } });
  });

  it('external: a boolean is cast (false disappears); the deprecated {name} becomes name + external: true, with a warning', () => {
    const run = runCanonical('networks:\n  a: {external: "true"}\n  b: {external: false}\n  c: {external: {name: outside}}\n');
    assert.deepEqual(run.output['networks'], { a: { external: true }, b: {}, c: { external: true, name: 'outside' } });
    assert.equal(run.ctx.warnings.length, 1);
    assert.equal(run.ctx.warnings[0]?.message, 'networks.c: external.name is deprecated. Please set name and external: true');
  });

  it('name and external.name must agree', () => {
    assert.equal(canonicalError('volumes:\n  v: {name: a, external: {name: b}}\n').message, 'volumes.v name and external.name conflict; only use name');
  });

  it('network flags: internal/attachable false disappear, enable_ipv6 false is kept', () => {
    assert.deepEqual(canonical('networks:\n  n: {internal: "false", attachable: "true", enable_ipv6: "false"}\n')['networks'], { n: { attachable: true, enable_ipv6: false } });
  });

  it('an include entry given as a path becomes {path}', () => {
    assert.deepEqual(canonical('include: [a.yaml, {path: [b.yaml], env_file: c.env}]\nservices: {}\n')['include'], [{ path: 'a.yaml' }, { path: ['b.yaml'], env_file: 'c.env' }]);
  });
});
