import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  composeStatus,
  created,
  exited,
  failed,
  isFinal,
  percentOf,
  progressEvent,
  pulling,
  resourceId,
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

test('named steps: exit code decides done or error; a failure is an error row with its message', () => {
  assert.equal(exited('Container demo-job-1', 0, { time: 1 }).status, 'done');
  assert.equal(exited('Container demo-job-1', 0, { time: 1 }).details, undefined);
  assert.deepEqual(exited('Container demo-job-1', 2, { time: 1 }), { id: 'Container demo-job-1', status: 'error', text: 'Exited', details: 'exit code 2', time: 1 });
  assert.deepEqual(failed('Network demo_default', 'boom', { time: 1 }), { id: 'Network demo_default', status: 'error', text: 'Error', details: 'boom', time: 1 });
});

test('status helpers: final states, compose status words, percent', () => {
  assert.deepEqual(['waiting', 'working', 'done', 'error', 'warning'].map((s) => isFinal(s as never)), [false, false, true, true, true]);
  assert.deepEqual(['waiting', 'working', 'done', 'error', 'warning'].map((s) => composeStatus(s as never)), ['Working', 'Working', 'Done', 'Error', 'Warning']);
  assert.equal(percentOf({ current: 1, total: 3 }), 33);
  assert.equal(percentOf({ current: 10, total: 3 }), 100);
  assert.equal(percentOf({ current: 1 }), undefined);
});
