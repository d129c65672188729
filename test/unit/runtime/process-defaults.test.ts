import { it } from 'node:test';
import assert from 'node:assert/strict';
import { decideProcess, withHome, DEFAULT_PATH } from '../../../src/runtime/process-defaults.js';

const image = { Entrypoint: ['/entry.sh'], Cmd: ['postgres'], Env: ['PATH=/usr/lib/pg/bin:/usr/bin', 'PGDATA=/data'], WorkingDir: '/w', User: 'postgres' };

it('keeps the image defaults when nothing is overridden', () => {
  const p = decideProcess(image, { hostname: 'db' });
  assert.deepEqual(p.args, ['/entry.sh', 'postgres']);
  assert.deepEqual(p.env, ['PATH=/usr/lib/pg/bin:/usr/bin', 'PGDATA=/data', 'HOSTNAME=db']);
  assert.equal(p.cwd, '/w');
  assert.equal(p.user, 'postgres');
});

it('command replaces CMD; entrypoint override drops the image CMD; [] clears', () => {
  assert.deepEqual(decideProcess(image, { hostname: 'h', command: ['-c', 'x'] }).args, ['/entry.sh', '-c', 'x']);
  assert.deepEqual(decideProcess(image, { hostname: 'h', entrypoint: ['sh'] }).args, ['sh']);
  assert.deepEqual(decideProcess(image, { hostname: 'h', entrypoint: ['sh'], command: ['-c', 'y'] }).args, ['sh', '-c', 'y']);
  assert.deepEqual(decideProcess(image, { hostname: 'h', entrypoint: [], command: ['true'] }).args, ['true']);
  assert.throws(() => decideProcess({}, { hostname: 'h' }, 'web'), /no command specified/);
});

it('service environment wins; PATH, TERM and HOME are filled in', () => {
  const p = decideProcess({ Cmd: ['sh'] }, { hostname: 'h', tty: true, environment: { A: '1' }, workingDir: '/app', user: '1000' });
  assert.deepEqual(p.env, ['A=1', `PATH=${DEFAULT_PATH}`, 'HOSTNAME=h', 'TERM=xterm']);
  assert.equal(p.cwd, '/app');
  assert.equal(p.user, '1000');
  assert.deepEqual(withHome(p.env, '/root').at(-1), 'HOME=/root');
  assert.deepEqual(decideProcess(image, { hostname: 'h', environment: { PGDATA: '/x' } }).env[1], 'PGDATA=/x');
});
