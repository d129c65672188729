import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable } from '../../../src/ui/table.js';
import { formatAgo, formatBinarySize, formatContainerStatus, formatDuration, formatSize, goFormatG } from '../../../src/ui/units.js';

test('tables: columns three spaces past their widest cell, never narrower than 10, last column as is', () => {
  const text = formatTable(
    ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'],
    [
      ['demo-db-1', 'postgres:16', '"docker-entrypoint.s…"', 'db', '2 minutes ago', 'Up 2 minutes (healthy)', '5432/tcp'],
      ['demo-web-1', 'nginx', '"/docker-entrypoint.…"', 'web', '2 minutes ago', 'Up 2 minutes', '0.0.0.0:8080->80/tcp'],
    ],
  );
  assert.equal(
    text,
    [
      'NAME         IMAGE         COMMAND                  SERVICE   CREATED         STATUS                   PORTS',
      'demo-db-1    postgres:16   "docker-entrypoint.s…"   db        2 minutes ago   Up 2 minutes (healthy)   5432/tcp',
      'demo-web-1   nginx         "/docker-entrypoint.…"   web       2 minutes ago   Up 2 minutes             0.0.0.0:8080->80/tcp',
      '',
    ].join('\n'),
  );
});

test('tables: header only, and an empty last column leaves the padding as docker does', () => {
  assert.equal(formatTable(['NAME', 'STATUS', 'CONFIG FILES'], []), 'NAME      STATUS    CONFIG FILES\n');
  assert.equal(formatTable(['DRIVER', 'VOLUME NAME'], [['local', 'demo_data']]), 'DRIVER    VOLUME NAME\nlocal     demo_data\n');
  assert.equal(formatTable(['A', 'B'], [['x', '']]), 'A         B\nx         \n');
});

test('durations as go-units HumanDuration', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * s, '1 second'],
    [3 * s, '3 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [120 * s, '2 minutes'],
    [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'],
    [90 * 60 * s - 1, 'About an hour'],
    [90 * 60 * s, '2 hours'],
    [47 * 3600 * s, '47 hours'],
    [48 * 3600 * s, '2 days'],
    [13 * 24 * 3600 * s, '13 days'],
    [14 * 24 * 3600 * s, '2 weeks'],
    [60 * 24 * 3600 * s, '2 months'],
    [730 * 24 * 3600 * s, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, `${ms}ms`);
  assert.equal(formatAgo(0, 120_000), '2 minutes ago');
});

test('container status strings as the docker daemon prints them', () => {
  const now = 1_800_000_000_000;
  assert.equal(formatContainerStatus({ state: 'running', startedAt: now - 3000 }, now), 'Up 3 seconds');
  assert.equal(formatContainerStatus({ state: 'running', startedAt: now - 120_000, health: 'healthy' }, now), 'Up 2 minutes (healthy)');
  assert.equal(formatContainerStatus({ state: 'running', startedAt: now - 5000, health: 'starting' }, now), 'Up 5 seconds (health: starting)');
  assert.equal(formatContainerStatus({ state: 'running', startedAt: now - 5000, health: 'unhealthy' }, now), 'Up 5 seconds (unhealthy)');
  assert.equal(formatContainerStatus({ state: 'paused', startedAt: now - 1000 }, now), 'Up 1 second (Paused)');
  assert.equal(formatContainerStatus({ state: 'restarting', finishedAt: now - 2000, exitCode: 1 }, now), 'Restarting (1) 2 seconds ago');
  assert.equal(formatContainerStatus({ state: 'exited', startedAt: now - 300_000, finishedAt: now - 120_000, exitCode: 0 }, now), 'Exited (0) 2 minutes ago');
  assert.equal(formatContainerStatus({ state: 'exited', startedAt: now - 300_000, finishedAt: now - 500, exitCode: 137 }, now), 'Exited (137) Less than a second ago');
  assert.equal(formatContainerStatus({ state: 'created' }, now), 'Created');
  assert.equal(formatContainerStatus({ state: 'dead' }, now), 'Dead');
  assert.equal(formatContainerStatus({ state: 'removing' }, now), 'Removal In Progress');
});

test('sizes as docker images (3 digits, decimal), pull progress (4 digits) and stats (binary)', () => {
  assert.equal(formatSize(0), '0B');
  assert.equal(formatSize(500), '500B');
  assert.equal(formatSize(1000), '1kB');
  assert.equal(formatSize(12_345_678), '12.3MB');
  assert.equal(formatSize(4_261_376), '4.26MB');
  assert.equal(formatSize(1_234_567_890), '1.23GB');
  assert.equal(formatSize(999_999), '1e+03kB');
  assert.equal(formatSize(12_345_678, 4), '12.35MB');
  assert.equal(formatBinarySize(1_572_864), '1.5MiB');
  assert.equal(formatBinarySize(8_160_437_862), '7.6GiB');
  assert.equal(formatBinarySize(12_939_428), '12.34MiB');
  assert.equal(goFormatG(0.000012345, 3), '1.23e-05');
  assert.equal(goFormatG(100, 3), '100');
  assert.equal(goFormatG(1234, 3), '1.23e+03');
});
