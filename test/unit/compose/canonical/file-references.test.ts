/** Service secrets and configs: references to top-level entries, uid/gid as text, mode as a number. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, service } from '../../../support/canonical.js';

describe('secrets and configs references', () => {
  it('secrets and configs references: name → {source}; uid/gid text, mode octal text → number', () => {
    const web = service('services:\n  web:\n    secrets: [s1, {source: s2, target: t, uid: 103, gid: "103", mode: "0440"}]\n    configs: [c1, {source: c2, mode: 292}]\n');
    assert.deepEqual(web.secrets, [{ source: 's1' }, { source: 's2', target: 't', uid: '103', gid: '103', mode: 0o440 }]);
    assert.deepEqual(web.configs, [{ source: 'c1' }, { source: 'c2', mode: 292 }]);
    assert.match(canonicalError('services:\n  web:\n    secrets: [{source: s, mode: "rw"}]\n').message, /^services\.web\.secrets\.0\.mode invalid file mode "rw"/);
  });

  it('build secrets are not collapsed by target (they are not mounts)', () => {
    assert.deepEqual(service('services:\n  web:\n    build: {context: ., secrets: [a, a]}\n').build?.secrets, [{ source: 'a' }, { source: 'a' }]);
  });
});
