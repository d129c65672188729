import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decidePull, parseDuration, parsePullPolicy } from '../../../src/image/pull-policy.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.parse('2025-03-10T12:00:00Z');
const pulledAgo = (ms: number): { pulledAt: string } => ({ pulledAt: new Date(now - ms).toISOString() });

describe('pull_policy', () => {
  it('parses durations with days and weeks', () => {
    assert.equal(parseDuration('12h'), 12 * HOUR);
    assert.equal(parseDuration('2d'), 2 * DAY);
    assert.equal(parseDuration('1w'), 7 * DAY);
    assert.equal(parseDuration('1h30m'), 1.5 * HOUR);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5h'), 1.5 * HOUR);
    for (const bad of ['', '12', 'h', '12x', '-1h', '1h 2m']) assert.throws(() => parseDuration(bad), /invalid duration/, bad);
  });

  it('parses every policy compose knows', () => {
    assert.deepEqual(parsePullPolicy(undefined), { kind: 'missing' });
    assert.deepEqual(parsePullPolicy('if_not_present'), { kind: 'missing' });
    assert.deepEqual(parsePullPolicy('always'), { kind: 'always' });
    assert.deepEqual(parsePullPolicy('never'), { kind: 'never' });
    assert.deepEqual(parsePullPolicy('build'), { kind: 'build' });
    assert.deepEqual(parsePullPolicy('daily'), { kind: 'refresh', intervalMs: DAY });
    assert.deepEqual(parsePullPolicy('weekly'), { kind: 'refresh', intervalMs: 7 * DAY });
    assert.deepEqual(parsePullPolicy('every_12h'), { kind: 'refresh', intervalMs: 12 * HOUR });
    assert.deepEqual(parsePullPolicy('every_2d'), { kind: 'refresh', intervalMs: 2 * DAY });
    assert.deepEqual(parsePullPolicy('refresh'), { kind: 'refresh', intervalMs: 0 });
    assert.throws(() => parsePullPolicy('every_'), /invalid pull_policy "every_"/);
    assert.throws(() => parsePullPolicy('every_0h'), /longer than zero/);
    assert.throws(() => parsePullPolicy('sometimes'), /invalid pull_policy "sometimes": expected always/);
  });

  it('always, never, missing', () => {
    assert.equal(decidePull('always', pulledAgo(0), now), 'pull');
    assert.equal(decidePull('always', undefined, now), 'pull');
    assert.equal(decidePull('never', undefined, now), 'unavailable');
    assert.equal(decidePull('never', {}, now), 'use-local');
    assert.equal(decidePull('missing', {}, now), 'use-local');
    assert.equal(decidePull(undefined, undefined, now), 'pull');
    assert.equal(decidePull('build', undefined, now), 'pull');
  });

  it('refresh policies pull again once the last pull is older than the interval', () => {
    assert.equal(decidePull('daily', undefined, now), 'pull', 'missing image');
    assert.equal(decidePull('daily', pulledAgo(23 * HOUR), now), 'use-local');
    assert.equal(decidePull('daily', pulledAgo(DAY), now), 'pull', 'exactly one day');
    assert.equal(decidePull('daily', pulledAgo(25 * HOUR), now), 'pull');
    assert.equal(decidePull('weekly', pulledAgo(6 * DAY), now), 'use-local');
    assert.equal(decidePull('weekly', pulledAgo(8 * DAY), now), 'pull');
    assert.equal(decidePull('every_12h', pulledAgo(11 * HOUR), now), 'use-local');
    assert.equal(decidePull('every_12h', pulledAgo(13 * HOUR), now), 'pull');
    assert.equal(decidePull('every_2d', pulledAgo(DAY), now), 'use-local');
    assert.equal(decidePull('every_2d', pulledAgo(3 * DAY), now), 'pull');
    assert.equal(decidePull('refresh', pulledAgo(1000), now), 'pull');
    // A clock that went backwards (pulled "in the future") keeps the image.
    assert.equal(decidePull('daily', pulledAgo(-HOUR), now), 'use-local');
  });

  it('records without a pull time (older stores, loaded images) count as due', () => {
    assert.equal(decidePull('daily', {}, now), 'pull');
    assert.equal(decidePull('daily', { pulledAt: 'garbage' }, now), 'pull');
    assert.equal(decidePull(parsePullPolicy('every_1w'), { pulledAt: undefined }, now), 'pull');
  });
});
