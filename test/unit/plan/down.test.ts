/** Golden plans for `down`: reverse dependency order, networks and volumes, orphans, one-off containers. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planDown } from '../../../src/plan/plan.js';
import { container, converged, dep, desiredOf, golden, service } from '../../support/plan-builders.js';

const db = service('db', { volumes: ['proj_data'] });
const api = service('api', { dependsOn: { db: dep('service_healthy') } });
const front = service('front', { dependsOn: { api: dep() } });
const desired = desiredOf([front, api, db]);

it('stops in the reverse of start order, then removes the networks; volumes only with -v', () => {
  const observed = converged(desired);
  assert.equal(
    planDown('proj', observed, { volumes: false, removeOrphans: false, desired }).toString(),
    golden(
      '[] -> #1 service:front:1, StopContainer, down',
      '[1] -> #2 service:front:1, RemoveContainer, down',
      '[1] -> #3 service:api:1, StopContainer, down',
      '[3] -> #4 service:api:1, RemoveContainer, down',
      '[3] -> #5 service:db:1, StopContainer, down',
      '[5] -> #6 service:db:1, RemoveContainer, down',
      '[2,4,6] -> #7 network:proj_default, RemoveNetwork, down',
    ),
  );
  const withVolumes = planDown('proj', observed, { volumes: true, removeOrphans: false, desired, timeoutS: 2 });
  assert.equal(withVolumes.toString().split('\n').at(-1), '[2,4,6] -> #8 volume:proj_data, RemoveVolume, down -v');
  assert.equal(withVolumes.operations[0]?.timeoutS, 2);
});

it('orders by the engine-style dependsOn map too, and stops replicas highest first', () => {
  const observed = converged(desiredOf([service('web', { replicas: 2 }), service('db')]));
  assert.equal(
    planDown('proj', observed, { volumes: false, removeOrphans: false, dependsOn: { web: ['db'], db: [] } }).toString(),
    golden(
      '[] -> #1 service:web:2, StopContainer, down',
      '[1] -> #2 service:web:2, RemoveContainer, down',
      '[] -> #3 service:web:1, StopContainer, down',
      '[3] -> #4 service:web:1, RemoveContainer, down',
      '[1,3] -> #5 service:db:1, StopContainer, down',
      '[5] -> #6 service:db:1, RemoveContainer, down',
      '[2,4,6] -> #7 network:proj_default, RemoveNetwork, down',
    ),
  );
});

it('keeps orphans (and the network they use) unless removeOrphans; removes one-off containers', () => {
  const web = service('web');
  const d = desiredOf([web]);
  const observed = converged(d, { containers: [container(web, 1), container('old', 1), container(web, 2, { oneOff: true, name: 'proj-web-run-abc' })] });
  const kept = planDown('proj', observed, { volumes: false, removeOrphans: false, desired: d });
  assert.equal(
    kept.toString(),
    golden(
      '[] -> #1 service:web:1, StopContainer, down',
      '[1] -> #2 service:web:1, RemoveContainer, down',
      '[] -> #3 container:proj-web-run-abc, StopContainer, one-off container',
      '[3] -> #4 container:proj-web-run-abc, RemoveContainer, one-off container',
    ),
  );
  assert.deepEqual(
    kept.orphans.map((o) => o.name),
    ['proj-old-1'],
  );
  assert.equal(
    planDown('proj', observed, { volumes: false, removeOrphans: true, desired: d }).toString(),
    golden(
      '[] -> #1 service:old:1, StopContainer, orphaned container',
      '[1] -> #2 service:old:1, RemoveContainer, orphaned container',
      '[] -> #3 service:web:1, StopContainer, down',
      '[3] -> #4 service:web:1, RemoveContainer, down',
      '[] -> #5 container:proj-web-run-abc, StopContainer, one-off container',
      '[5] -> #6 container:proj-web-run-abc, RemoveContainer, one-off container',
      '[2,4,6] -> #7 network:proj_default, RemoveNetwork, down',
    ),
  );
});

it('never removes external networks or volumes; without a file removes every container', () => {
  const web = service('web', { networks: ['shared'], volumes: ['ext'] });
  const observed = {
    containers: [container(web, 1), container('other', 1, { networks: [] })],
    networks: [{ name: 'shared', configHash: '', external: true }],
    volumes: [{ name: 'ext', external: true }, { name: 'proj_cache' }],
  };
  assert.equal(
    planDown('proj', observed, { volumes: true, removeOrphans: false }).toString(),
    golden(
      '[] -> #1 service:other:1, StopContainer, down',
      '[1] -> #2 service:other:1, RemoveContainer, down',
      '[] -> #3 service:web:1, StopContainer, down',
      '[3] -> #4 service:web:1, RemoveContainer, down',
      '[2,4] -> #5 volume:proj_cache, RemoveVolume, down -v',
    ),
  );
});

it('plans nothing when nothing exists', () => {
  const p = planDown('proj', { containers: [], networks: [], volumes: [] }, { volumes: true, removeOrphans: true });
  assert.equal(p.isEmpty(), true);
});

it('removes a network an interrupted run left without containers; keeps, with a warning, one another project uses', () => {
  const web = service('web');
  const d = desiredOf([web]);
  const observed = converged(d, {
    networks: [
      { name: 'proj_default', configHash: 'net-proj_default', usedBy: ['other-app-1'] },
      { name: 'proj_left', configHash: 'x' },
    ],
  });
  const p = planDown('proj', observed, { volumes: false, removeOrphans: false, desired: d });
  assert.equal(
    p.toString(),
    golden(
      '[] -> #1 service:web:1, StopContainer, down',
      '[1] -> #2 service:web:1, RemoveContainer, down',
      '[] -> #3 network:proj_left, RemoveNetwork, down',
    ),
  );
  assert.deepEqual(p.warnings, ['network proj_default is kept: still in use by other-app-1']);
});

it('-v removes anonymous volumes with the named ones, once every container is gone', () => {
  const db = service('db', { volumes: ['proj_data'] });
  const d = desiredOf([db]);
  const observed = converged(d, { volumes: [{ name: 'proj_data' }, { name: 'proj-anon-db10000000000-0' }] });
  assert.equal(
    planDown('proj', observed, { volumes: true, removeOrphans: false, desired: d }).toString(),
    golden(
      '[] -> #1 service:db:1, StopContainer, down',
      '[1] -> #2 service:db:1, RemoveContainer, down',
      '[2] -> #3 network:proj_default, RemoveNetwork, down',
      '[2] -> #4 volume:proj_data, RemoveVolume, down -v',
      '[2] -> #5 volume:proj-anon-db10000000000-0, RemoveVolume, down -v',
    ),
  );
});

describe('--rmi', () => {
  const web = service('web', { imageId: 'sha256:web' });
  const db = service('db', { imageId: 'sha256:db' });
  const cache = service('cache', { imageId: 'sha256:cache' });
  const d = desiredOf([web, db, cache]);
  const observed = converged(d, {
    networks: [],
    images: [
      { reference: 'web:1', id: 'sha256:web', usedBy: [] },
      { reference: 'db:1', id: 'sha256:db', usedBy: ['other-db-1'] },
      { reference: 'proj-cache', id: 'sha256:cache', usedBy: [] },
    ],
  });
  const images = [
    { reference: 'web:1', customTag: true },
    { reference: 'db:1', customTag: true },
    { reference: 'proj-cache', customTag: false },
    { reference: 'gone:1', customTag: true },
  ];

  it('all: every local image the services ran, after every container, except one another project runs', () => {
    const p = planDown('proj', observed, { volumes: false, removeOrphans: false, desired: d, removeImages: { mode: 'all', images } });
    assert.deepEqual(
      p.operations.filter((op) => op.type === 'RemoveImage').map((op) => `[${op.dependsOn.join(',')}] -> #${op.id} ${op.resource}, ${op.type}, ${op.cause}`),
      ['[2,4,6] -> #7 image:proj-cache, RemoveImage, down --rmi all', '[2,4,6] -> #8 image:web:1, RemoveImage, down --rmi all'],
    );
    assert.equal(p.operations[6]?.name, 'proj-cache');
    assert.deepEqual(p.warnings, ['image db:1 is kept: still in use by other-db-1']);
  });

  it('local: only images without a custom tag', () => {
    const p = planDown('proj', observed, { volumes: false, removeOrphans: false, desired: d, removeImages: { mode: 'local', images } });
    assert.deepEqual(
      p.operations.filter((op) => op.type === 'RemoveImage').map((op) => op.resource),
      ['image:proj-cache'],
    );
    assert.deepEqual(p.warnings, []);
  });

  it('keeps an image an orphan that stays still runs', () => {
    const withOrphan = { ...observed, containers: [...observed.containers, container('old', 1, { imageId: 'sha256:web' })] };
    const p = planDown('proj', withOrphan, { volumes: false, removeOrphans: false, desired: d, removeImages: { mode: 'all', images } });
    assert.deepEqual(
      p.operations.filter((op) => op.type === 'RemoveImage').map((op) => op.resource),
      ['image:proj-cache'],
    );
    assert.deepEqual(p.warnings, ['image db:1 is kept: still in use by other-db-1', 'image web:1 is kept: still in use by proj-old-1']);
  });
});
