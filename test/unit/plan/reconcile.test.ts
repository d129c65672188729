/** Golden plans (Plan.toString(), as compose's reconcile_test.go) for each reconciliation rule. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reconcile } from '../../../src/plan/plan.js';
import type { Plan, ReconcileOptions } from '../../../src/plan/plan.js';
import type { DesiredState } from '../../../src/plan/desired.js';
import type { ObservedState } from '../../../src/plan/observed.js';
import { TscComposeError } from '../../../src/errors/index.js';
import { container, converged, dep, desiredOf, golden, service } from '../../support/plan-builders.js';

const UP: ReconcileOptions = { recreate: 'diverged', removeOrphans: false };

/** Plans and checks the DAG invariant every plan must keep: dependencies point to earlier operations. */
function plan(desired: DesiredState, observed: ObservedState, opts: Partial<ReconcileOptions> = {}): Plan {
  const p = reconcile(desired, observed, { ...UP, ...opts });
  p.operations.forEach((op, i) => {
    assert.equal(op.id, i + 1);
    for (const d of op.dependsOn) assert.ok(d < op.id, `#${op.id} depends on later #${d}`);
  });
  return p;
}

const EMPTY: ObservedState = { containers: [], networks: [], volumes: [] };

describe('first up', () => {
  it('creates networks and volumes before the containers using them, dependencies first', () => {
    const db = service('db', { volumes: ['proj_data'] });
    const web = service('web', { dependsOn: { db: dep() } });
    const p = plan(desiredOf([web, db]), EMPTY);
    assert.equal(
      p.toString(),
      golden(
        '[] -> #1 network:proj_default, CreateNetwork, not found',
        '[] -> #2 volume:proj_data, CreateVolume, not found',
        '[1,2] -> #3 service:db:1, CreateContainer, no existing container',
        '[3] -> #4 service:db:1, StartContainer, no existing container',
        '[4] -> #5 service:web, WaitDependency, depends on db (service_started)',
        '[1,5] -> #6 service:web:1, CreateContainer, no existing container',
        '[6] -> #7 service:web:1, StartContainer, no existing container',
      ),
    );
    const create = p.operations[5];
    assert.equal(create?.containerName, 'proj-web-1');
    assert.equal(create?.number, 1);
    assert.equal(create?.containerId, undefined);
    assert.deepEqual(p.operations[4]?.condition, { service: 'db', condition: 'service_started', required: true });
    assert.equal(p.isEmpty(), false);
  });

  it('waits per condition; independent services get no edge between them', () => {
    const db = service('db', { hasHealthcheck: true });
    const migrate = service('migrate');
    const web = service('web', { dependsOn: { db: dep('service_healthy'), migrate: dep('service_completed_successfully') } });
    const cache = service('cache');
    const p = plan(desiredOf([web, cache, db, migrate]), EMPTY);
    assert.equal(
      p.toString(),
      golden(
        '[] -> #1 network:proj_default, CreateNetwork, not found',
        '[1] -> #2 service:db:1, CreateContainer, no existing container',
        '[2] -> #3 service:db:1, StartContainer, no existing container',
        '[1] -> #4 service:migrate:1, CreateContainer, no existing container',
        '[4] -> #5 service:migrate:1, StartContainer, no existing container',
        '[3] -> #6 service:web, WaitDependency, depends on db (service_healthy)',
        '[5] -> #7 service:web, WaitDependency, depends on migrate (service_completed_successfully)',
        '[1,6,7] -> #8 service:web:1, CreateContainer, no existing container',
        '[8] -> #9 service:web:1, StartContainer, no existing container',
        '[1] -> #10 service:cache:1, CreateContainer, no existing container',
        '[10] -> #11 service:cache:1, StartContainer, no existing container',
      ),
    );
  });

  it('uses container_name for the new container', () => {
    const web = service('web', { containerName: 'my-web' });
    const p = plan(desiredOf([web]), converged(desiredOf([web]), { containers: [] }));
    assert.equal(p.toString(), golden('[] -> #1 service:web:1, CreateContainer, no existing container', '[1] -> #2 service:web:1, StartContainer, no existing container'));
    assert.equal(p.operations[0]?.containerName, 'my-web');
  });
});

describe('unchanged file', () => {
  it('plans nothing when everything runs as described', () => {
    const db = service('db', { volumes: ['proj_data'], hasHealthcheck: true });
    const web = service('web', { replicas: 2, dependsOn: { db: dep('service_healthy', { restart: true }) } });
    const desired = desiredOf([web, db]);
    const p = plan(desired, converged(desired));
    assert.equal(p.toString(), '');
    assert.equal(p.isEmpty(), true);
    assert.deepEqual(p.orphans, []);
  });

  it('starts exited and created containers again, leaves running, paused and restarting ones alone', () => {
    const db = service('db');
    const web = service('web', { replicas: 4, dependsOn: { db: dep('service_healthy') } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, {
      containers: [
        container(db, 1, { state: 'exited', exitCode: 137 }),
        container(web, 1),
        container(web, 2, { state: 'created' }),
        container(web, 3, { state: 'paused' }),
        container(web, 4, { state: 'restarting' }),
      ],
    });
    const p = plan(desired, observed);
    assert.equal(
      p.toString(),
      golden(
        '[] -> #1 service:db:1, StartContainer, container is exited',
        '[1] -> #2 service:web, WaitDependency, depends on db (service_healthy)',
        '[2] -> #3 service:web:2, StartContainer, container is created',
      ),
    );
    assert.equal(p.operations[0]?.containerId, container(db, 1).id);
  });
});

describe('recreate', () => {
  it('replaces a container whose config hash changed, keeping its number', () => {
    const web = service('web');
    const desired = desiredOf([web]);
    const observed = converged(desired, { containers: [container(web, 1, { configHash: 'old' })] });
    assert.equal(
      plan(desired, observed).toString(),
      golden(
        '[] -> #1 service:web:1, StopContainer, config hash changed',
        '[1] -> #2 service:web:1, RemoveContainer, config hash changed',
        '[2] -> #3 service:web:1, CreateContainer, config hash changed',
        '[3] -> #4 service:web:1, StartContainer, config hash changed',
      ),
    );
  });

  it('replaces a container whose image changed, and waits for the running dependency', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, { containers: [container(db, 1), container(web, 1, { imageId: 'img-old' })] });
    assert.equal(
      plan(desired, observed).toString(),
      golden(
        '[] -> #1 service:web:1, StopContainer, image changed',
        '[1] -> #2 service:web:1, RemoveContainer, image changed',
        '[] -> #3 service:web, WaitDependency, depends on db (service_started)',
        '[2,3] -> #4 service:web:1, CreateContainer, image changed',
        '[4] -> #5 service:web:1, StartContainer, image changed',
      ),
    );
  });

  it('force recreates everything, stopping dependents before their dependencies', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, db]);
    assert.equal(
      plan(desired, converged(desired), { recreate: 'force' }).toString(),
      golden(
        '[] -> #1 service:web:1, StopContainer, forced recreate',
        '[1] -> #2 service:web:1, RemoveContainer, forced recreate',
        '[1] -> #3 service:db:1, StopContainer, forced recreate',
        '[3] -> #4 service:db:1, RemoveContainer, forced recreate',
        '[4] -> #5 service:db:1, CreateContainer, forced recreate',
        '[5] -> #6 service:db:1, StartContainer, forced recreate',
        '[6] -> #7 service:web, WaitDependency, depends on db (service_started)',
        '[2,7] -> #8 service:web:1, CreateContainer, forced recreate',
        '[8] -> #9 service:web:1, StartContainer, forced recreate',
      ),
    );
  });

  it('never recreates with recreate: never, but still starts what is stopped', () => {
    const web = service('web');
    const desired = desiredOf([web]);
    assert.equal(plan(desired, converged(desired, { containers: [container(web, 1, { configHash: 'old', imageId: 'x' })] }), { recreate: 'never' }).toString(), '');
    assert.equal(
      plan(desired, converged(desired, { containers: [container(web, 1, { configHash: 'old', state: 'exited' })] }), { recreate: 'never' }).toString(),
      '[] -> #1 service:web:1, StartContainer, container is exited',
    );
  });

  it('force-recreates only the named services, their dependencies by recreateDependencies', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, db], { selected: ['web'] });
    assert.equal(
      plan(desired, converged(desired), { recreate: 'force', recreateDependencies: 'diverged' }).toString(),
      golden(
        '[] -> #1 service:web:1, StopContainer, forced recreate',
        '[1] -> #2 service:web:1, RemoveContainer, forced recreate',
        '[] -> #3 service:web, WaitDependency, depends on db (service_started)',
        '[2,3] -> #4 service:web:1, CreateContainer, forced recreate',
        '[4] -> #5 service:web:1, StartContainer, forced recreate',
      ),
    );
  });

  it('by default forces only the named services; --always-recreate-deps forces their dependencies too', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, db], { selected: ['web'] });
    const forced = (o: Partial<ReconcileOptions>): string[] =>
      plan(desired, converged(desired), { recreate: 'force', ...o })
        .operations.filter((op) => op.type === 'CreateContainer')
        .map((op) => op.resource);
    assert.deepEqual(forced({}), ['service:web:1']);
    assert.deepEqual(forced({ recreateDependencies: 'force' }), ['service:db:1', 'service:web:1']);
    // Without named services every service is "named".
    assert.deepEqual(
      plan(desiredOf([web, db]), converged(desiredOf([web, db])), { recreate: 'force' })
        .operations.filter((op) => op.type === 'CreateContainer')
        .map((op) => op.resource),
      ['service:db:1', 'service:web:1'],
    );
  });

  it('replaces a dead container', () => {
    const web = service('web');
    const desired = desiredOf([web]);
    assert.equal(
      plan(desired, converged(desired, { containers: [container(web, 1, { state: 'dead' })] })).toString(),
      golden(
        '[] -> #1 service:web:1, StopContainer, container is dead',
        '[1] -> #2 service:web:1, RemoveContainer, container is dead',
        '[2] -> #3 service:web:1, CreateContainer, container is dead',
        '[3] -> #4 service:web:1, StartContainer, container is dead',
      ),
    );
  });

  it('restarts running dependents with restart: true after the recreated dependency is up again, not the others', () => {
    const db = service('db', { hasHealthcheck: true });
    const web = service('web', { dependsOn: { db: dep('service_healthy', { restart: true }) } });
    const worker = service('worker', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, worker, db]);
    const observed = converged(desired, { containers: [container(db, 1, { configHash: 'old' }), container(web, 1), container(worker, 1)] });
    const p = plan(desired, observed, { timeoutS: 3 });
    assert.equal(
      p.toString(),
      golden(
        '[] -> #1 service:db:1, StopContainer, config hash changed',
        '[1] -> #2 service:db:1, RemoveContainer, config hash changed',
        '[2] -> #3 service:db:1, CreateContainer, config hash changed',
        '[3] -> #4 service:db:1, StartContainer, config hash changed',
        '[4] -> #5 service:web, WaitDependency, depends on db (service_healthy)',
        '[5] -> #6 service:web:1, RestartContainer, dependency db recreated',
      ),
    );
    assert.equal(p.operations[5]?.containerId, container(web, 1).id);
    assert.equal(p.operations[5]?.timeoutS, 3);
    assert.equal(p.operations[0]?.timeoutS, 3);
  });

  it('recreates, not restarts, a dependent that joins the namespaces of a recreated service', () => {
    const main = service('main');
    const sidecar = service('sidecar', { networks: [], joins: ['main'], dependsOn: { main: dep('service_started', { restart: true }) } });
    const desired = desiredOf([sidecar, main]);
    const observed = converged(desired, { containers: [container(main, 1, { configHash: 'old' }), container(sidecar, 1)] });
    assert.equal(
      plan(desired, observed).toString(),
      golden(
        '[] -> #1 service:sidecar:1, StopContainer, joins the namespaces of main, which is recreated',
        '[1] -> #2 service:sidecar:1, RemoveContainer, joins the namespaces of main, which is recreated',
        '[1] -> #3 service:main:1, StopContainer, config hash changed',
        '[3] -> #4 service:main:1, RemoveContainer, config hash changed',
        '[4] -> #5 service:main:1, CreateContainer, config hash changed',
        '[5] -> #6 service:main:1, StartContainer, config hash changed',
        '[6] -> #7 service:sidecar, WaitDependency, depends on main (service_started)',
        '[2,7] -> #8 service:sidecar:1, CreateContainer, joins the namespaces of main, which is recreated',
        '[8] -> #9 service:sidecar:1, StartContainer, joins the namespaces of main, which is recreated',
      ),
    );
  });

  it('restarts restart: true dependents that are not part of this run (up db)', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep('service_started', { restart: true }) } });
    const desired = desiredOf([db], { selected: ['db'], unselected: [web], allServices: ['db', 'web'] });
    const observed = converged(desiredOf([db, web]), { containers: [container(db, 1, { configHash: 'old' }), container(web, 1)] });
    assert.equal(
      plan(desired, observed).toString(),
      golden(
        '[] -> #1 service:db:1, StopContainer, config hash changed',
        '[1] -> #2 service:db:1, RemoveContainer, config hash changed',
        '[2] -> #3 service:db:1, CreateContainer, config hash changed',
        '[3] -> #4 service:db:1, StartContainer, config hash changed',
        '[4] -> #5 service:web, WaitDependency, depends on db (service_started)',
        '[5] -> #6 service:web:1, RestartContainer, dependency db recreated',
      ),
    );
  });
});

describe('scale', () => {
  it('adds replicas with the next free numbers', () => {
    const web = service('web', { replicas: 3 });
    const desired = desiredOf([web]);
    assert.equal(
      plan(desired, converged(desired, { containers: [container(web, 1)] })).toString(),
      golden(
        '[] -> #1 service:web:2, CreateContainer, no existing container',
        '[1] -> #2 service:web:2, StartContainer, no existing container',
        '[] -> #3 service:web:3, CreateContainer, no existing container',
        '[3] -> #4 service:web:3, StartContainer, no existing container',
      ),
    );
  });

  it('fills a gap in the numbers first', () => {
    const web = service('web', { replicas: 3 });
    const desired = desiredOf([web]);
    const p = plan(desired, converged(desired, { containers: [container(web, 1), container(web, 3)] }));
    assert.equal(p.toString(), golden('[] -> #1 service:web:2, CreateContainer, no existing container', '[1] -> #2 service:web:2, StartContainer, no existing container'));
    assert.equal(p.operations[0]?.containerName, 'proj-web-2');
  });

  it('removes the highest numbers first when scaling down', () => {
    const web = service('web', { replicas: 1 });
    const desired = desiredOf([web]);
    assert.equal(
      plan(desired, converged(desired, { containers: [container(web, 1), container(web, 2), container(web, 3)] })).toString(),
      golden(
        '[] -> #1 service:web:3, StopContainer, scale down to 1',
        '[1] -> #2 service:web:3, RemoveContainer, scale down to 1',
        '[] -> #3 service:web:2, StopContainer, scale down to 1',
        '[3] -> #4 service:web:2, RemoveContainer, scale down to 1',
      ),
    );
  });

  it('scales away outdated containers before up-to-date ones', () => {
    const web = service('web', { replicas: 2 });
    const desired = desiredOf([web]);
    const observed = converged(desired, { containers: [container(web, 1, { configHash: 'old' }), container(web, 2), container(web, 3)] });
    assert.equal(plan(desired, observed).toString(), golden('[] -> #1 service:web:1, StopContainer, scale down to 2', '[1] -> #2 service:web:1, RemoveContainer, scale down to 2'));
  });

  it('scale 0 removes every container and nothing waits for it', () => {
    const db = service('db', { replicas: 0 });
    const web = service('web', { dependsOn: { db: dep('service_healthy') } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, { containers: [container(db, 1), container(web, 1, { state: 'exited' })] });
    assert.equal(
      plan(desired, observed).toString(),
      golden('[] -> #1 service:db:1, StopContainer, scale down to 0', '[1] -> #2 service:db:1, RemoveContainer, scale down to 0', '[] -> #3 service:web:1, StartContainer, container is exited'),
    );
  });
});

describe('orphans and one-off containers', () => {
  const web = service('web');
  const desired = desiredOf([web]);
  const observed = converged(desired, { containers: [container(web, 1), container('old', 1), container('old', 2)] });

  it('lists orphans without touching them when removeOrphans is false', () => {
    const p = plan(desired, observed);
    assert.equal(p.toString(), '');
    assert.deepEqual(
      p.orphans.map((o) => o.name),
      ['proj-old-1', 'proj-old-2'],
    );
  });

  it('removes orphans with removeOrphans', () => {
    assert.equal(
      plan(desired, observed, { removeOrphans: true }).toString(),
      golden(
        '[] -> #1 service:old:1, StopContainer, orphaned container',
        '[1] -> #2 service:old:1, RemoveContainer, orphaned container',
        '[] -> #3 service:old:2, StopContainer, orphaned container',
        '[3] -> #4 service:old:2, RemoveContainer, orphaned container',
      ),
    );
  });

  it('does not count services of the file outside this run (or disabled by profiles) as orphans', () => {
    const d = desiredOf([web], { allServices: ['web', 'old'] });
    const p = plan(d, observed, { removeOrphans: true });
    assert.equal(p.toString(), '');
    assert.deepEqual(p.orphans, []);
  });

  it('never touches one-off run containers, even outdated or of unknown services', () => {
    const o = converged(desired, {
      containers: [container(web, 1), container(web, 7, { oneOff: true, configHash: 'old', state: 'exited' }), container('old', 1, { oneOff: true })],
    });
    const p = plan(desired, o, { removeOrphans: true, recreate: 'force', startOnly: false });
    assert.equal(p.operations.filter((op) => op.containerId === container(web, 7).id || op.service === 'old').length, 0);
    assert.deepEqual(p.orphans, []);
  });
});

describe('dependencies', () => {
  it('skips optional dependencies that are not in the project, marks optional waits', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { ghost: dep('service_healthy', { required: false }), db: dep('service_started', { required: false }) } });
    assert.equal(
      plan(desiredOf([web, db]), { ...EMPTY, networks: [{ name: 'proj_default', configHash: 'net-proj_default' }] }).toString(),
      golden(
        '[] -> #1 service:db:1, CreateContainer, no existing container',
        '[1] -> #2 service:db:1, StartContainer, no existing container',
        '[2] -> #3 service:web, WaitDependency, depends on db (service_started, optional)',
        '[3] -> #4 service:web:1, CreateContainer, no existing container',
        '[4] -> #5 service:web:1, StartContainer, no existing container',
      ),
    );
  });

  it('still waits (checked when executed) for a required dependency outside this run', () => {
    const web = service('web', { dependsOn: { db: dep('service_healthy') } });
    const desired = desiredOf([web]);
    const p = plan(desired, converged(desired, { containers: [] }));
    assert.equal(
      p.toString(),
      golden(
        '[] -> #1 service:web, WaitDependency, depends on db (service_healthy)',
        '[1] -> #2 service:web:1, CreateContainer, no existing container',
        '[2] -> #3 service:web:1, StartContainer, no existing container',
      ),
    );
  });

  it('with replicas, every new replica waits for the same dependency and the wait covers all its replicas', () => {
    const db = service('db', { replicas: 2 });
    const web = service('web', { replicas: 2, dependsOn: { db: dep() } });
    const desired = desiredOf([web, db]);
    assert.equal(
      plan(desired, converged(desired, { containers: [] })).toString(),
      golden(
        '[] -> #1 service:db:1, CreateContainer, no existing container',
        '[1] -> #2 service:db:1, StartContainer, no existing container',
        '[] -> #3 service:db:2, CreateContainer, no existing container',
        '[3] -> #4 service:db:2, StartContainer, no existing container',
        '[2,4] -> #5 service:web, WaitDependency, depends on db (service_started)',
        '[5] -> #6 service:web:1, CreateContainer, no existing container',
        '[6] -> #7 service:web:1, StartContainer, no existing container',
        '[5] -> #8 service:web:2, CreateContainer, no existing container',
        '[8] -> #9 service:web:2, StartContainer, no existing container',
      ),
    );
  });
});

describe('networks and volumes', () => {
  it('recreates a changed network and the containers on it', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, { networks: [{ name: 'proj_default', configHash: 'net-old' }] });
    const p = plan(desired, observed);
    assert.equal(
      p.toString(),
      golden(
        '[] -> #1 service:web:1, StopContainer, network proj_default changed',
        '[1] -> #2 service:web:1, RemoveContainer, network proj_default changed',
        '[1] -> #3 service:db:1, StopContainer, network proj_default changed',
        '[3] -> #4 service:db:1, RemoveContainer, network proj_default changed',
        '[2,4] -> #5 network:proj_default, RecreateNetwork, config hash changed',
        '[4,5] -> #6 service:db:1, CreateContainer, network proj_default changed',
        '[6] -> #7 service:db:1, StartContainer, network proj_default changed',
        '[7] -> #8 service:web, WaitDependency, depends on db (service_started)',
        '[2,5,8] -> #9 service:web:1, CreateContainer, network proj_default changed',
        '[9] -> #10 service:web:1, StartContainer, network proj_default changed',
      ),
    );
    assert.equal(p.operations[4]?.name, 'proj_default');
  });

  it('stops and restarts containers outside this run that sit on a changed network', () => {
    const web = service('web');
    const worker = service('worker');
    const desired = desiredOf([web], { selected: ['web'], unselected: [worker], allServices: ['web', 'worker'] });
    const observed = converged(desiredOf([web, worker]), { networks: [{ name: 'proj_default', configHash: 'net-old' }] });
    assert.equal(
      plan(desired, observed).toString(),
      golden(
        '[] -> #1 service:worker:1, StopContainer, network proj_default changed',
        '[] -> #2 service:web:1, StopContainer, network proj_default changed',
        '[2] -> #3 service:web:1, RemoveContainer, network proj_default changed',
        '[1,3] -> #4 network:proj_default, RecreateNetwork, config hash changed',
        '[3,4] -> #5 service:web:1, CreateContainer, network proj_default changed',
        '[5] -> #6 service:web:1, StartContainer, network proj_default changed',
        '[4] -> #7 service:worker:1, StartContainer, network proj_default recreated',
      ),
    );
  });

  it('leaves a network without recorded hash alone, and recreates nothing under recreate: never', () => {
    const web = service('web');
    const desired = desiredOf([web]);
    assert.equal(plan(desired, converged(desired, { networks: [{ name: 'proj_default', configHash: '' }] })).toString(), '');
    assert.equal(plan(desired, converged(desired, { networks: [{ name: 'proj_default', configHash: 'net-old' }] }), { recreate: 'never' }).toString(), '');
  });

  it('creates a network added to the file before the one service that joins it', () => {
    const web = service('web', { networks: ['proj_default', 'proj_back'], configHash: 'hash-web-2' });
    const db = service('db');
    const desired = desiredOf([web, db]);
    const observed = converged(desiredOf([service('web'), db]));
    assert.equal(
      plan(desired, observed).toString(),
      golden(
        '[] -> #1 network:proj_back, CreateNetwork, not found',
        '[] -> #2 service:web:1, StopContainer, config hash changed',
        '[2] -> #3 service:web:1, RemoveContainer, config hash changed',
        '[1,3] -> #4 service:web:1, CreateContainer, config hash changed',
        '[4] -> #5 service:web:1, StartContainer, config hash changed',
      ),
    );
  });

  it('plans nothing for external networks and volumes that exist; names missing ones', () => {
    const web = service('web', { networks: ['shared'], volumes: ['ext_data'] });
    const desired = desiredOf([web], { networks: [{ name: 'shared', configHash: 'x', external: true }], volumes: [{ name: 'ext_data', external: true }] });
    const present = converged(desired, { networks: [{ name: 'shared', configHash: 'other', external: true }], volumes: [{ name: 'ext_data', external: true }] });
    assert.equal(plan(desired, present).toString(), '');
    assert.equal(
      plan(desired, { ...present, networks: [], volumes: [] }).toString(),
      golden('[] -> #1 network:shared, CreateNetwork, external network not found', '[] -> #2 volume:ext_data, CreateVolume, external volume not found'),
    );
  });
});

describe('start (startOnly)', () => {
  it('starts stopped containers in dependency order, creating and recreating nothing', () => {
    const db = service('db', { hasHealthcheck: true });
    const web = service('web', { dependsOn: { db: dep('service_healthy') } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, {
      networks: [],
      containers: [container(db, 1, { state: 'exited' }), container(web, 1, { state: 'exited', configHash: 'old' })],
    });
    assert.equal(
      plan(desired, observed, { startOnly: true }).toString(),
      golden(
        '[] -> #1 service:db:1, StartContainer, container is exited',
        '[1] -> #2 service:web, WaitDependency, depends on db (service_healthy)',
        '[2] -> #3 service:web:1, StartContainer, container is exited',
      ),
    );
  });

  it('refuses a service that has no container', () => {
    const web = service('web');
    assert.throws(
      () => reconcile(desiredOf([web]), EMPTY, { ...UP, startOnly: true }),
      (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_NO_CONTAINER' && e.message === 'service "web" has no container to start',
    );
  });
});

describe('create (noStart)', () => {
  it('creates in dependency order, starting, waiting for and restarting nothing', () => {
    const db = service('db', { hasHealthcheck: true, configHash: 'new' });
    const web = service('web', { dependsOn: { db: dep('service_healthy', { restart: true }) } });
    const worker = service('worker', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, worker, db]);
    const observed = converged(desired, {
      containers: [container(db, 1, { configHash: 'old' }), container(web, 1), container(worker, 1, { state: 'exited' })],
    });
    assert.equal(
      plan(desired, observed, { noStart: true }).toString(),
      golden(
        '[] -> #1 service:db:1, StopContainer, config hash changed',
        '[1] -> #2 service:db:1, RemoveContainer, config hash changed',
        '[2] -> #3 service:db:1, CreateContainer, config hash changed',
      ),
    );
  });

  it('a first create makes the dependencies first, with no wait between them', () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep('service_healthy') } });
    assert.equal(
      plan(desiredOf([web, db]), EMPTY, { noStart: true }).toString(),
      golden(
        '[] -> #1 network:proj_default, CreateNetwork, not found',
        '[1] -> #2 service:db:1, CreateContainer, no existing container',
        '[1,2] -> #3 service:web:1, CreateContainer, no existing container',
      ),
    );
  });
});
