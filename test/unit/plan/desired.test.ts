/** desiredFromProject on projects loaded by the real loader, and reconcile on them end to end. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject } from '../../../src/compose/loader.js';
import type { LoadResult } from '../../../src/compose/loader.js';
import { desiredFromProject } from '../../../src/plan/desired.js';
import type { DesiredState } from '../../../src/plan/desired.js';
import { reconcile, planDown } from '../../../src/plan/plan.js';
import type { ObservedState } from '../../../src/plan/observed.js';
import { TscComposeError } from '../../../src/errors/index.js';
import { memoryReader } from '../../support/memory-reader.js';
import { golden } from '../../support/plan-builders.js';

function load(text: string, profiles: string[] = []): LoadResult {
  return loadProject(
    { configFiles: ['/p/compose.yaml'], workingDir: '/p', explicitName: 'shop', environment: new Map(), envFiles: [], profiles, warnings: [] },
    { reader: memoryReader({ '/p/compose.yaml': text }), homeDir: '/h', shellEnv: new Map() },
  );
}

const STACK = `services:
  web:
    image: nginx
    environment: {MODE: prod}
    depends_on:
      api: {condition: service_healthy, restart: true}
    networks: [front]
  api:
    image: api:1
    deploy: {replicas: 2}
    healthcheck: {test: [CMD, "true"]}
    depends_on:
      db: {condition: service_healthy}
      metrics: {condition: service_started, required: false}
    networks: [front, back]
  db:
    image: postgres
    container_name: shop-database
    healthcheck: {test: [CMD-SHELL, pg_isready]}
    volumes: [data:/var/lib/postgresql/data, ./init:/init, logs:/logs]
    networks: [back]
  tools:
    image: busybox
    network_mode: host
    profiles: [debug]
volumes:
  data: {}
  logs: {name: shared-logs}
  unused: {}
networks:
  front: {}
  back: {name: shop-backend}
  outside: {external: true, name: corp}
`;

const IMAGES = { web: 'sha256:web', api: 'sha256:api', db: 'sha256:db' };

it('names networks, volumes and containers as docker compose does', () => {
  const r = load(STACK);
  const d = desiredFromProject(r.project, { imageIds: IMAGES, disabledServices: r.disabledServices });
  assert.equal(d.project, 'shop');
  assert.deepEqual(
    d.services.map((s) => [s.name, s.replicas, s.imageId, s.containerName ?? '-', s.hasHealthcheck]),
    [
      ['web', 1, 'sha256:web', '-', false],
      ['api', 2, 'sha256:api', '-', true],
      ['db', 1, 'sha256:db', 'shop-database', true],
    ],
  );
  const byName = Object.fromEntries(d.services.map((s) => [s.name, s]));
  assert.deepEqual(byName['web']?.networks, ['shop_front']);
  assert.deepEqual(byName['api']?.networks, ['shop_front', 'shop-backend']);
  assert.deepEqual(byName['db']?.volumes, ['shop_data', 'shared-logs']);
  assert.deepEqual(byName['web']?.dependsOn, { api: { condition: 'service_healthy', restart: true, required: true } });
  assert.deepEqual(byName['api']?.dependsOn['metrics'], { condition: 'service_started', restart: false, required: false });
  // Only what the chosen services use; external ones flagged.
  assert.deepEqual(
    d.networks.map((n) => [n.name, n.external]),
    [
      ['shop_front', false],
      ['shop-backend', false],
    ],
  );
  assert.deepEqual(
    d.volumes.map((v) => v.name),
    ['shop_data', 'shared-logs'],
  );
  assert.ok(d.networks.every((n) => /^[0-9a-f]{16}$/.test(n.configHash)));
  // Profile-disabled services are part of the file: their containers are not orphans.
  assert.deepEqual(d.allServices, ['web', 'api', 'db', 'tools']);
});

it('selects services with their dependencies, or without them under noDeps; scale overrides', () => {
  const r = load(STACK);
  const withDeps = desiredFromProject(r.project, { selected: ['api'], imageIds: IMAGES, scale: { api: 3 } });
  assert.deepEqual(
    withDeps.services.map((s) => s.name),
    ['api', 'db'],
  );
  assert.equal(withDeps.services[0]?.replicas, 3);
  assert.deepEqual(withDeps.selected, ['api']);
  assert.deepEqual(
    withDeps.unselected?.map((s) => s.name),
    ['web'],
  );
  const alone = desiredFromProject(r.project, { selected: ['api'], noDeps: true, imageIds: IMAGES });
  assert.deepEqual(
    alone.services.map((s) => s.name),
    ['api'],
  );
  assert.deepEqual(alone.services[0]?.dependsOn, {});
  assert.deepEqual(
    alone.networks.map((n) => n.name),
    ['shop_front', 'shop-backend'],
  );
  assert.deepEqual(alone.volumes, []);
});

it('network_mode host joins no network; a disabled healthcheck is no healthcheck', () => {
  const r = load(
    `services:
  a: {image: x, network_mode: host, healthcheck: {disable: true}}
  b: {image: x, healthcheck: {test: [NONE]}}
`,
  );
  const d = desiredFromProject(r.project, { imageIds: {} });
  assert.deepEqual(d.services[0]?.networks, []);
  assert.equal(d.services[0]?.hasHealthcheck, false);
  assert.equal(d.services[1]?.hasHealthcheck, false);
  assert.equal(d.services[0]?.imageId, '');
  assert.deepEqual(
    d.networks.map((n) => n.name),
    ['shop_default'],
  );
});

it('refuses container_name with more than one replica, and unknown services', () => {
  const r = load(`services:\n  a: {image: x, container_name: only-one}\n`);
  assert.throws(() => desiredFromProject(r.project, { imageIds: {}, scale: { a: 2 } }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CONTAINER_NAME_SCALE');
  assert.throws(() => desiredFromProject(r.project, { imageIds: {}, selected: ['nope'] }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_NO_SUCH_SERVICE');
});

/** What the engine would observe after executing the plan for `desired` (every container running with its hash). */
function observedAfterUp(d: DesiredState): ObservedState {
  return {
    containers: d.services.flatMap((s) =>
      Array.from({ length: s.replicas }, (_, i) => ({
        id: `${s.name}-${i + 1}`,
        name: s.containerName ?? `${d.project}-${s.name}-${i + 1}`,
        service: s.name,
        number: i + 1,
        oneOff: false,
        configHash: s.configHash,
        imageId: s.imageId,
        state: 'running' as const,
        networks: s.networks,
      })),
    ),
    networks: d.networks.map((n) => ({ name: n.name, configHash: n.configHash })),
    volumes: d.volumes.map((v) => ({ name: v.name })),
  };
}

it('loaded project: first up, unchanged up, one edited service, down', () => {
  const first = desiredFromProject(load(STACK).project, { imageIds: IMAGES });
  assert.equal(
    reconcile(first, { containers: [], networks: [], volumes: [] }, { recreate: 'diverged', removeOrphans: false }).toString(),
    golden(
      '[] -> #1 network:shop_front, CreateNetwork, not found',
      '[] -> #2 network:shop-backend, CreateNetwork, not found',
      '[] -> #3 volume:shop_data, CreateVolume, not found',
      '[] -> #4 volume:shared-logs, CreateVolume, not found',
      '[2,3,4] -> #5 service:db:1, CreateContainer, no existing container',
      '[5] -> #6 service:db:1, StartContainer, no existing container',
      '[6] -> #7 service:api, WaitDependency, depends on db (service_healthy)',
      '[1,2,7] -> #8 service:api:1, CreateContainer, no existing container',
      '[8] -> #9 service:api:1, StartContainer, no existing container',
      '[1,2,7] -> #10 service:api:2, CreateContainer, no existing container',
      '[10] -> #11 service:api:2, StartContainer, no existing container',
      '[9,11] -> #12 service:web, WaitDependency, depends on api (service_healthy)',
      '[1,12] -> #13 service:web:1, CreateContainer, no existing container',
      '[13] -> #14 service:web:1, StartContainer, no existing container',
    ),
  );
  const observed = observedAfterUp(first);
  const again = desiredFromProject(load(STACK).project, { imageIds: IMAGES });
  assert.equal(reconcile(again, observed, { recreate: 'diverged', removeOrphans: false }).isEmpty(), true);

  // Editing api's environment recreates api only; web follows (restart: true), db is untouched.
  const edited = desiredFromProject(load(STACK.replace('image: api:1', 'image: api:1\n    environment: {DEBUG: "1"}')).project, { imageIds: IMAGES });
  assert.equal(
    reconcile(edited, observed, { recreate: 'diverged', removeOrphans: false }).toString(),
    golden(
      '[] -> #1 service:api:2, StopContainer, config hash changed',
      '[1] -> #2 service:api:2, RemoveContainer, config hash changed',
      '[] -> #3 service:api:1, StopContainer, config hash changed',
      '[3] -> #4 service:api:1, RemoveContainer, config hash changed',
      '[] -> #5 service:api, WaitDependency, depends on db (service_healthy)',
      '[4,5] -> #6 service:api:1, CreateContainer, config hash changed',
      '[6] -> #7 service:api:1, StartContainer, config hash changed',
      '[2,5] -> #8 service:api:2, CreateContainer, config hash changed',
      '[8] -> #9 service:api:2, StartContainer, config hash changed',
      '[7,9] -> #10 service:web, WaitDependency, depends on api (service_healthy)',
      '[10] -> #11 service:web:1, RestartContainer, dependency api recreated',
    ),
  );

  assert.equal(
    planDown('shop', observed, { volumes: true, removeOrphans: false, desired: again }).toString(),
    golden(
      '[] -> #1 service:web:1, StopContainer, down',
      '[1] -> #2 service:web:1, RemoveContainer, down',
      '[1] -> #3 service:api:2, StopContainer, down',
      '[3] -> #4 service:api:2, RemoveContainer, down',
      '[1] -> #5 service:api:1, StopContainer, down',
      '[5] -> #6 service:api:1, RemoveContainer, down',
      '[3,5] -> #7 service:db:1, StopContainer, down',
      '[7] -> #8 service:db:1, RemoveContainer, down',
      '[2,4,6] -> #9 network:shop_front, RemoveNetwork, down',
      '[4,6,8] -> #10 network:shop-backend, RemoveNetwork, down',
      '[2,4,6,8] -> #11 volume:shop_data, RemoveVolume, down -v',
      '[2,4,6,8] -> #12 volume:shared-logs, RemoveVolume, down -v',
    ),
  );
});
