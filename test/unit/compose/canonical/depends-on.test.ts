/** depends_on: a list or a mapping → a mapping with compose-go's defaults. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, service } from '../../../support/canonical.js';

describe('depends_on', () => {
  it('a list becomes service_started + required', () => {
    assert.deepEqual(service('services:\n  web:\n    depends_on: [db, cache]\n').depends_on, {
      db: { condition: 'service_started', required: true },
      cache: { condition: 'service_started', required: true },
    });
  });

  it('the long form gets its defaults; restart false disappears, strings are cast', () => {
    const yaml = `services:
  web:
    depends_on:
      db: {condition: service_healthy, restart: "true"}
      migrate: {condition: service_completed_successfully, required: "false", restart: false}
      cache: {}
`;
    assert.deepEqual(service(yaml).depends_on, {
      db: { condition: 'service_healthy', restart: true, required: true },
      migrate: { condition: 'service_completed_successfully', required: false },
      cache: { condition: 'service_started', required: true },
    });
  });

  it('an entry that is neither null nor a mapping is refused at its key', () => {
    const err = canonicalError('services:\n  web:\n    depends_on:\n      db: yes-please\n');
    assert.equal(err.message, 'services.web.depends_on.db unsupported value "yes-please"');
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 4, column: 7 });
  });
});
