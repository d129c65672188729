/** ulimits: a single number is both limits; soft and hard typed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, service } from '../../../support/canonical.js';

describe('ulimits', () => {
  it('ulimits: a single number is both limits', () => {
    assert.deepEqual(service('services:\n  web:\n    ulimits: {nproc: 65535, nofile: {soft: "20000", hard: 40000}}\n').ulimits, {
      nproc: { soft: 65535, hard: 65535 },
      nofile: { soft: 20000, hard: 40000 },
    });
  });

  it('a limit that is not a number is refused at its key', () => {
    assert.equal(canonicalError('services:\n  web:\n    ulimits: {nofile: {soft: many, hard: 1}}\n').message, 'services.web.ulimits.nofile.soft must be an integer, got "many"');
  });
});
