/** What restart, attached up, --remove-orphans and start --wait act on, from the project and the engine's list. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attachedServices, orphanContainers, restartSelection, waitVerdict } from '../../../src/cli/selection.js';
import type { Project } from '../../../src/compose/model.js';
import type { ContainerSummary } from '../../../src/engine/api/protocol.js';

const project = {
  services: {
    db: {},
    cache: {},
    api: { depends_on: { db: { condition: 'service_started', required: true, restart: true }, cache: { condition: 'service_started', required: true } } },
    web: { depends_on: { api: { condition: 'service_started', required: true, restart: true } } },
    worker: { depends_on: { db: { condition: 'service_completed_successfully', required: true } } },
    quiet: { attach: false },
  },
} as unknown as Pick<Project, 'services'>;

function container(fields: Partial<ContainerSummary>): ContainerSummary {
  return { ID: 'id', Name: 'p-x-1', Service: 'x', State: 'running', Health: '', ExitCode: 0, OneOff: false, ...fields } as ContainerSummary;
}

describe('selection', () => {
  it('restart takes along the dependents with restart: true, transitively, unless --no-deps', () => {
    assert.deepEqual(restartSelection(project, ['db'], false), ['db', 'api', 'web']);
    assert.deepEqual(restartSelection(project, ['cache'], false), ['cache'], 'api depends on cache without restart: true');
    assert.deepEqual(restartSelection(project, ['db'], true), ['db']);
    assert.deepEqual(restartSelection(project, [], false), [], 'no service named: every service, as the engine takes it');
  });

  it('attached up: --attach, else the named services (with their dependencies on request), else all but attach: false; minus --no-attach', () => {
    const sorted = (s: Set<string>): string[] => [...s].sort();
    const base = { services: [] as string[], attach: [] as string[], noAttach: [] as string[], attachDependencies: false };
    assert.deepEqual(sorted(attachedServices(project, base)), ['api', 'cache', 'db', 'web', 'worker']);
    assert.deepEqual(sorted(attachedServices(project, { ...base, services: ['web'] })), ['web']);
    assert.deepEqual(sorted(attachedServices(project, { ...base, services: ['web'], attachDependencies: true })), ['api', 'cache', 'db', 'web']);
    assert.deepEqual(sorted(attachedServices(project, { ...base, services: ['web'], attach: ['db'] })), ['db']);
    assert.deepEqual(sorted(attachedServices(project, { ...base, services: ['web'], attachDependencies: true, noAttach: ['cache'] })), ['api', 'db', 'web']);
  });

  it('orphans: services the file does not have; one-offs and disabled services are not', () => {
    const list = [container({ Name: 'p-db-1', Service: 'db' }), container({ Name: 'p-old-1', Service: 'old' }), container({ Name: 'p-old-run-1', Service: 'old', OneOff: true }), container({ Name: 'p-dbg-1', Service: 'dbg' })];
    assert.deepEqual(orphanContainers(list, project, ['dbg']).map((c) => c.Name), ['p-old-1']);
  });

  it('start --wait: running and healthy; an exit fails unless it completes what others wait for', () => {
    assert.deepEqual(waitVerdict([container({ Name: 'a', State: 'running' }), container({ Name: 'b', Health: 'healthy' })], project), { kind: 'ready' });
    assert.deepEqual(waitVerdict([container({ Name: 'a', Health: 'starting' })], project), { kind: 'waiting', on: 'a' });
    assert.deepEqual(waitVerdict([container({ Name: 'a', State: 'created' })], project), { kind: 'waiting', on: 'a' });
    assert.deepEqual(waitVerdict([container({ Name: 'a', Service: 'api', State: 'exited', ExitCode: 3 })], project), { kind: 'failed', message: 'container a exited (3)', service: 'api' });
    assert.deepEqual(waitVerdict([container({ Name: 'd', Service: 'db', State: 'exited', ExitCode: 0 })], project), { kind: 'ready' }, 'worker waits for db to complete');
    assert.deepEqual(waitVerdict([container({ Name: 'a', Health: 'unhealthy' })], project), { kind: 'failed', message: 'container a is unhealthy', service: 'x' });
  });
});
