/** String-or-list keys become lists of strings; dns drops empty entries. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCanonical, service, serviceOf } from '../../../support/canonical.js';

describe('lists of strings', () => {
  it('string-or-list keys become lists of strings; dns drops empty entries', () => {
    const web = service('services:\n  web:\n    dns: 8.8.8.8\n    dns_search: [a.example, ""]\n    tmpfs: /run\n    expose: ["3000", 8000, "9091-9092"]\n    group_add: [1000, audio]\n');
    assert.deepEqual(web.dns, ['8.8.8.8']);
    assert.deepEqual(web.dns_search, ['a.example', '']);
    assert.deepEqual(web.tmpfs, ['/run']);
    assert.deepEqual(web.expose, ['3000', '8000', '9091-9092']);
    assert.deepEqual(web.group_add, ['1000', 'audio']);
    assert.deepEqual(service('services:\n  web:\n    dns: ["", 1.1.1.1]\n').dns, ['1.1.1.1']);
  });

  it('a list keeps the positions of its entries; null stays null', () => {
    const run = runCanonical('services:\n  web:\n    expose:\n      - 80\n      - 81\n    dns_search: null\n');
    const web = serviceOf(run.output);
    assert.ok(web.expose);
    assert.deepEqual(run.ctx.positions.key(web.expose, 1), { file: '/p/compose.yaml', line: 5, column: 9 });
    assert.equal(web.dns_search, null);
  });
});
