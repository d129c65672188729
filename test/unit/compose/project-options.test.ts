import { it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryReader } from '../../support/memory-reader.js';
import { resolveProjectOptions, normalizeProjectName } from '../../../src/compose/project-options.js';

it('discovers compose.yaml in a parent directory and its override file', () => {
  const reader = memoryReader({
    '/p/compose.yaml': 'services: {}',
    '/p/compose.override.yaml': 'services: {}',
    '/p/sub/deeper/readme': 'x',
  });
  const o = resolveProjectOptions({}, { cwd: '/p/sub/deeper', env: {}, reader });
  assert.deepEqual(o.configFiles, ['/p/compose.yaml', '/p/compose.override.yaml']);
  assert.equal(o.workingDir, '/p');
});

it('prefers compose.yaml over docker-compose.yml and warns about both', () => {
  const reader = memoryReader({ '/p/compose.yaml': '', '/p/docker-compose.yml': '' });
  const o = resolveProjectOptions({}, { cwd: '/p', env: {}, reader });
  assert.deepEqual(o.configFiles, ['/p/compose.yaml']);
  assert.match(o.warnings[0]?.message ?? '', /Found multiple config files/);
});

it('COMPOSE_FILE, COMPOSE_PROFILES and COMPOSE_PROJECT_NAME come from .env; the shell wins', () => {
  const reader = memoryReader({
    '/p/.env': 'COMPOSE_FILE=a.yaml;b.yaml\nCOMPOSE_PATH_SEPARATOR=;\nCOMPOSE_PROFILES=one, two\nCOMPOSE_PROJECT_NAME=dotenv\nX=dot',
    '/p/a.yaml': '',
    '/p/b.yaml': '',
  });
  const o = resolveProjectOptions({}, { cwd: '/p', env: { X: 'shell' }, reader });
  assert.deepEqual(o.configFiles, ['/p/a.yaml', '/p/b.yaml']);
  assert.deepEqual(o.profiles, ['one', 'two']);
  assert.equal(o.explicitName, 'dotenv');
  assert.equal(o.environment.get('X'), 'shell');
});

it('--env-file replaces .env and a missing one is an error', () => {
  const reader = memoryReader({ '/p/compose.yaml': '', '/p/.env': 'A=dot', '/p/custom.env': 'A=custom' });
  const o = resolveProjectOptions({ envFiles: ['custom.env'] }, { cwd: '/p', env: {}, reader });
  assert.equal(o.environment.get('A'), 'custom');
  assert.throws(() => resolveProjectOptions({ envFiles: ['nope.env'] }, { cwd: '/p', env: {}, reader }), /couldn't find env file/);
});

it('project names: -p must be valid; directory names are normalized', () => {
  const reader = memoryReader({ '/p/compose.yaml': '' });
  assert.throws(() => resolveProjectOptions({ projectName: 'My_Project' }, { cwd: '/p', env: {}, reader }), /invalid project name/);
  assert.equal(normalizeProjectName('My.Project_1'), 'myproject_1');
  assert.equal(normalizeProjectName('-x'), 'x');
});

it('no compose file anywhere is a clear error', () => {
  const reader = memoryReader({ '/p/readme': '' });
  assert.throws(() => resolveProjectOptions({}, { cwd: '/p', env: {}, reader }), /no configuration file provided/);
});
