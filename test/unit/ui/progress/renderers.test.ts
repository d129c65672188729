import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainProgress } from '../../../../src/ui/progress/plain.js';
import { JsonProgress } from '../../../../src/ui/progress/json.js';
import { QuietProgress } from '../../../../src/ui/progress/quiet.js';
import { ListrProgress } from '../../../../src/ui/progress/listr.js';
import { createProgress, resolveProgressMode } from '../../../../src/ui/progress/select.js';
import { created, creating, healthy, started, waiting, exited, failed, progressEvent } from '../../../../src/events/progress.js';
import { Capture, FakeTerminal } from '../../../support/fake-terminal.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

test('plain: one timestamped line per event, details after the status', () => {
  const out = new Capture();
  const p = new PlainProgress(out);
  p.start('Running');
  p.on(creating('Network demo_default', { time: T0 }), created('Network demo_default', { time: T0 + 100 }));
  p.on(waiting('Container demo-web-1', { time: T0 + 1500, details: 'waiting for db (service_healthy)' }));
  p.on(healthy('Container demo-db-1', { time: T0 + 2000 }), started('Container demo-web-1', { time: T0 + 2100 }));
  p.on(exited('Container demo-job-1', 3, { time: T0 + 3000 }));
  p.done();
  assert.equal(
    out.text,
    [
      '2026-11-22T12:00:00Z Network demo_default Creating',
      '2026-11-22T12:00:00Z Network demo_default Created',
      '2026-11-22T12:00:01Z Container demo-web-1 Waiting waiting for db (service_healthy)',
      '2026-11-22T12:00:02Z Container demo-db-1 Healthy',
      '2026-11-22T12:00:02Z Container demo-web-1 Started',
      '2026-11-22T12:00:03Z Container demo-job-1 Exited exit code 3',
      '',
    ].join('\n'),
  );
});

test('plain: byte counts of one resource are thinned to one line a second, the last one always printed', () => {
  const out = new Capture();
  const p = new PlainProgress(out);
  const pull = (dt: number, current: number, status: 'working' | 'done' = 'working', text = 'Downloading') =>
    progressEvent('a1b2c3', status, text, { parentId: 'Image postgres', current, total: 20_000_000, time: T0 + dt });
  p.on(pull(0, 0), pull(200, 1_000_000), pull(900, 5_000_000), pull(1000, 8_000_000), pull(1500, 12_000_000), pull(1600, 20_000_000), pull(1700, 20_000_000, 'done', 'Download complete'));
  assert.equal(
    out.text,
    [
      '2026-11-22T12:00:00Z a1b2c3 Downloading 0B / 20MB',
      '2026-11-22T12:00:01Z a1b2c3 Downloading 8MB / 20MB',
      '2026-11-22T12:00:01Z a1b2c3 Downloading 20MB / 20MB',
      '2026-11-22T12:00:01Z a1b2c3 Download complete 20MB / 20MB',
      '',
    ].join('\n'),
  );
});

test('json: compose --progress json field names, empty fields left out, status as Working/Done/Error', () => {
  const out = new Capture();
  const p = new JsonProgress(out);
  p.start('Running');
  p.on(creating('Container demo-web-1', { time: T0 }));
  p.on(progressEvent('a1b2c3', 'working', 'Downloading', { parentId: 'Image postgres', current: 50, total: 200, time: T0 + 1 }));
  p.on(waiting('Container demo-web-1', { details: 'waiting for db (service_healthy)', time: T0 + 2 }));
  p.on(failed('Container demo-db-1', 'dependency failed to start', { time: T0 + 3 }));
  p.on(progressEvent('Container demo-api-1', 'waiting', 'Waiting', { time: T0 + 4 }));
  p.done();
  assert.equal(
    out.text,
    [
      '{"id":"Container demo-web-1","status":"Working","text":"Creating","time":"2026-11-22T12:00:00.000Z"}',
      '{"id":"a1b2c3","parent_id":"Image postgres","status":"Working","text":"Downloading","current":50,"total":200,"percent":25,"time":"2026-11-22T12:00:00.001Z"}',
      '{"id":"Container demo-web-1","status":"Working","text":"Waiting","details":"waiting for db (service_healthy)","time":"2026-11-22T12:00:00.002Z"}',
      '{"id":"Container demo-db-1","status":"Error","text":"Error","details":"dependency failed to start","time":"2026-11-22T12:00:00.003Z"}',
      '{"id":"Container demo-api-1","status":"Working","text":"Waiting","time":"2026-11-22T12:00:00.004Z"}',
      '',
    ].join('\n'),
  );
  for (const line of out.text.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line));
});

test('json: dry-run marks every line', () => {
  const out = new Capture();
  new JsonProgress(out, true).on(created('Volume demo_data', { time: T0 }));
  assert.equal(out.text, '{"dry-run":true,"id":"Volume demo_data","status":"Done","text":"Created","time":"2026-11-22T12:00:00.000Z"}\n');
});

test('quiet: writes nothing, not even on error', () => {
  const out = Object.assign(new Capture(), { isTTY: true });
  const p = createProgress('quiet', out as unknown as NodeJS.WriteStream);
  p.start('Running');
  p.on(created('Volume demo_data', { time: T0 }));
  p.done(new Error('boom'));
  assert.equal(out.text, '');
});

test('select: auto is tty on a terminal, plain elsewhere; explicit modes win', () => {
  const tty = new FakeTerminal();
  const pipe = Object.assign(new Capture(), { isTTY: false });
  assert.equal(resolveProgressMode('auto', tty), 'tty');
  assert.equal(resolveProgressMode('auto', pipe), 'plain');
  assert.equal(resolveProgressMode('json', tty), 'json');
  const auto = createProgress('auto', tty as unknown as NodeJS.WriteStream);
  assert.ok(auto instanceof ListrProgress);
  auto.done();
  assert.ok(createProgress('auto', pipe as unknown as NodeJS.WriteStream) instanceof PlainProgress);
  assert.ok(createProgress('tty', pipe as unknown as NodeJS.WriteStream) instanceof ListrProgress);
  assert.ok(createProgress('json', tty as unknown as NodeJS.WriteStream) instanceof JsonProgress);
  assert.ok(createProgress('quiet', tty as unknown as NodeJS.WriteStream) instanceof QuietProgress);
  assert.ok(createProgress('plain', tty as unknown as NodeJS.WriteStream) instanceof PlainProgress);
});
