/** What the families share: one entry per key in a list (later entries winning in place), Go's text of a scalar. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scalarText, show } from '../../../../src/compose/canonical/transformer.js';
import { service } from '../../../support/canonical.js';

describe('one mount per target', () => {
  it('secrets, configs and devices with the same target collapse, later entries winning in place', () => {
    const web = service(`services:
  web:
    secrets: [token, {source: token, mode: "0400"}, {source: other, target: /run/secrets/x}]
    configs: [conf, {source: conf, target: /conf, uid: "1"}]
    devices: ["/dev/a:/dev/x", {source: /dev/b, target: /dev/x}, "/dev/c"]
`);
    assert.deepEqual(web.secrets, [{ source: 'token', mode: 0o400 }, { source: 'other', target: '/run/secrets/x' }]);
    assert.deepEqual(web.configs, [{ source: 'conf', target: '/conf', uid: '1' }]);
    assert.deepEqual(web.devices, [{ source: '/dev/b', target: '/dev/x' }, { source: '/dev/c', target: '/dev/c', permissions: 'rwm' }]);
  });
});

describe('scalar text', () => {
  it('is Go`s fmt.Sprint of a YAML scalar; error messages quote text and show the rest as JSON', () => {
    assert.equal(scalarText('a'), 'a');
    assert.equal(scalarText(1.5), '1.5');
    assert.equal(scalarText(true), 'true');
    assert.equal(scalarText(null), 'null');
    assert.equal(show('a'), '"a"');
    assert.equal(show(3), '3');
    assert.equal(show({ a: 1 }), '{"a":1}');
    assert.equal(show(undefined), 'undefined');
  });
});
