import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FanOutProcessor,
  RecordingProcessor,
  composeStatus,
  created,
  exited,
  failed,
  isFinal,
  isProgressEvent,
  percentOf,
  progressEvent,
  pulling,
  resourceId,
  skipped,
  waiting,
} from '../../../src/events/progress.js';

test('events carry only the fields that are set', () => {
  assert.deepEqual(progressEvent(resourceId('Container', 'demo-web-1'), 'working', 'Creating', { time: 5 }), { id: 'Container demo-web-1', status: 'working', text: 'Creating', time: 5 });
  assert.deepEqual(waiting('Container demo-web-1', { time: 6, details: 'waiting for db (service_healthy)' }), {
    id: 'Container demo-web-1',
    status: 'working',
    text: 'Waiting',
    details: 'waiting for db (service_healthy)',
    time: 6,
  });
  assert.deepEqual(pulling('a1', { parentId: 'Image postgres', current: 1, total: 4, time: 7 }), { id: 'a1', parentId: 'Image postgres', status: 'working', text: 'Pulling', current: 1, total: 4, time: 7 });
  const now = Date.now();
  assert.ok(created('Volume demo_data').time >= now);
});

test('named steps: exit code decides done or error; skipped is a warning with its reason', () => {
  assert.equal(exited('Container demo-job-1', 0, { time: 1 }).status, 'done');
  assert.equal(exited('Container demo-job-1', 0, { time: 1 }).details, undefined);
  assert.deepEqual(exited('Container demo-job-1', 2, { time: 1 }), { id: 'Container demo-job-1', status: 'error', text: 'Exited', details: 'exit code 2', time: 1 });
  assert.deepEqual(skipped('Container demo-opt-1', 'optional dependency not running', { time: 1 }), {
    id: 'Container demo-opt-1',
    status: 'warning',
    text: 'Skipped',
    details: 'optional dependency not running',
    time: 1,
  });
  assert.equal(failed('Network demo_default', 'boom', { time: 1 }).status, 'error');
});

test('status helpers: final states, compose status words, percent', () => {
  assert.deepEqual(['waiting', 'working', 'done', 'error', 'warning'].map((s) => isFinal(s as never)), [false, false, true, true, true]);
  assert.deepEqual(['waiting', 'working', 'done', 'error', 'warning'].map((s) => composeStatus(s as never)), ['Working', 'Working', 'Done', 'Error', 'Warning']);
  assert.equal(percentOf({ current: 1, total: 3 }), 33);
  assert.equal(percentOf({ current: 10, total: 3 }), 100);
  assert.equal(percentOf({ current: 1 }), undefined);
});

test('events that crossed the engine stream are checked', () => {
  const e = created('Container demo-web-1', { time: 1 });
  assert.ok(isProgressEvent(JSON.parse(JSON.stringify(e))));
  assert.ok(!isProgressEvent({ ...e, status: 'finished' }));
  assert.ok(!isProgressEvent({ ...e, time: '1' }));
  assert.ok(!isProgressEvent({ ...e, current: 'x' }));
  assert.ok(!isProgressEvent(null));
  assert.ok(!isProgressEvent('x'));
});

test('fan-out reaches every processor; the recorder keeps the latest state per resource in first-seen order', () => {
  const a = new RecordingProcessor();
  const b = new RecordingProcessor();
  const fan = new FanOutProcessor(a, b);
  fan.start('Running');
  fan.on(waiting('Container demo-web-1', { time: 1 }), created('Network demo_default', { time: 2 }));
  fan.on(created('Container demo-web-1', { time: 3 }));
  const err = new Error('x');
  fan.done(err);
  for (const r of [a, b]) {
    assert.equal(r.title, 'Running');
    assert.equal(r.events.length, 3);
    assert.equal(r.error, err);
    assert.ok(r.finished);
    assert.deepEqual(r.latest().map((e) => `${e.id}:${e.text}`), ['Container demo-web-1:Created', 'Network demo_default:Created']);
  }
});
