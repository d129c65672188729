/** extra_hosts: compose-go's HostsList, sorted host=ip entries. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, service } from '../../../support/canonical.js';

describe('extra_hosts', () => {
  it('extra_hosts: both separators and the map form become sorted host=ip; brackets and commas handled', () => {
    assert.deepEqual(service('services:\n  web:\n    extra_hosts: ["somehost:162.242.195.82", "other=50.31.209.229", "v6:[::1]", "multi=1.1.1.1,2.2.2.2"]\n').extra_hosts, [
      'multi=1.1.1.1',
      'multi=2.2.2.2',
      'other=50.31.209.229',
      'somehost=162.242.195.82',
      'v6=::1',
    ]);
    assert.deepEqual(service('services:\n  web:\n    extra_hosts: {gw: host-gateway, two: [10.0.0.1, 10.0.0.2]}\n').extra_hosts, ['gw=host-gateway', 'two=10.0.0.1', 'two=10.0.0.2']);
    assert.equal(canonicalError('services:\n  web:\n    extra_hosts: [nohost]\n').message, 'services.web.extra_hosts.0 invalid additional host, missing IP: nohost');
  });

  it('an empty host name is refused', () => {
    assert.equal(canonicalError('services:\n  web:\n    extra_hosts: ["=1.2.3.4"]\n').message, "services.web.extra_hosts bad host name ''");
  });
});
