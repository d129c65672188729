/** Service networks and models: a list of names becomes name → null; entries keep their settings. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { service } from '../../../support/canonical.js';

describe('networks and models', () => {
  it('networks: a list becomes name → null; entries keep their settings', () => {
    assert.deepEqual(service('services:\n  web:\n    networks: [front, back]\n').networks, { front: null, back: null });
    const web = service('services:\n  web:\n    networks:\n      front:\n      back: {aliases: [b], priority: "10", driver_opts: {mtu: 1400}}\n');
    assert.deepEqual(web.networks, { front: null, back: { aliases: ['b'], priority: 10, driver_opts: { mtu: '1400' } } });
  });

  it('models: a list becomes name → null', () => {
    const web = service('services:\n  web:\n    models: [llm]\n    provider: {type: model, options: {model: ai/x, flag: [a, 1]}}\n');
    assert.deepEqual(web['models'], { llm: null });
  });
});
