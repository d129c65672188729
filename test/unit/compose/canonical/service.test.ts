/** A service as a whole: its limits against deploy.resources; extends and logging long forms; an empty body. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, canonicalError, service } from '../../../support/canonical.js';

describe('the service as a whole', () => {
  it('service-level limits must agree with deploy.resources (compose-go wording)', () => {
    const ok = service('services:\n  web:\n    mem_limit: 1g\n    cpus: 0.5\n    deploy: {resources: {limits: {memory: 1024m, cpus: "0.5"}}}\n');
    assert.equal(ok.mem_limit, 1024 ** 3);
    const err = canonicalError('services:\n  web:\n    cpus: 1\n    deploy: {resources: {limits: {cpus: 2}}}\n');
    assert.equal(err.message, "services.web.cpus can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': cpus 1 conflicts with deploy.resources.limits.cpus 2");
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 3, column: 5 });
    assert.match(canonicalError('services:\n  web:\n    mem_reservation: 1m\n    deploy: {resources: {reservations: {memory: 2m}}}\n').message, /'mem_reservation' and 'deploy\.resources\.reservations\.memory'/);
    assert.match(canonicalError('services:\n  web:\n    pids_limit: 10\n    deploy: {resources: {limits: {pids: 20}}}\n').message, /'pids_limit' and 'deploy\.resources\.limits\.pids'/);
  });

  it('logging options become strings', () => {
    assert.deepEqual(service('services:\n  web:\n    logging: {driver: json-file, options: {max-size: 10m, max-file: 3, empty: null}}\n').logging, {
      driver: 'json-file',
      options: { 'max-size': '10m', 'max-file': '3', empty: '' },
    });
  });

  it('extends as a string names a service', () => {
    assert.deepEqual(service('services:\n  web:\n    extends: base\n')['extends'], { service: 'base' });
  });

  it('an empty service body becomes an empty mapping', () => {
    assert.deepEqual(canonical('services:\n  web:\n')['services'], { web: {} });
  });

  it('a service that is not a mapping is refused', () => {
    assert.equal(canonicalError('services:\n  web: [a]\n').message, 'services.web must be a mapping');
  });
});
