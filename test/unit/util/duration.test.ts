/** Go durations: compose-go's grammar (str2duration) in, time.Duration.String() out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatDuration,
  formatGoDuration,
  millisecondsToNanoseconds,
  nanosecondsToMilliseconds,
  parseDuration,
  parseGoDuration,
} from '../../../src/util/duration.js';

/** The Go string for a duration text (`90s` → `1m30s`), or undefined when it is not one. */
const normalizeDuration = (text: string): string | undefined => {
  const parsed = parseGoDuration(text);
  return parsed.ok ? formatGoDuration(parsed.nanoseconds) : undefined;
};

const ns = (text: string): bigint => {
  const parsed = parseGoDuration(text);
  assert.ok(parsed.ok, `${text} should parse`);
  return parsed.nanoseconds;
};
const error = (text: string): string => {
  const parsed = parseGoDuration(text);
  assert.ok(!parsed.ok, `${text} should not parse`);
  return parsed.error;
};

describe('parseGoDuration', () => {
  it('reads every unit, fractions and sums', () => {
    assert.equal(ns('1ns'), 1n);
    assert.equal(ns('10us'), 10_000n);
    assert.equal(ns('10µs'), 10_000n);
    assert.equal(ns('10μs'), 10_000n);
    assert.equal(ns('500ms'), 500_000_000n);
    assert.equal(ns('1h2m3.5s'), 3_723_500_000_000n);
    assert.equal(ns('1.5h'), 5_400_000_000_000n);
    assert.equal(ns('.5s'), 500_000_000n);
    assert.equal(ns('1.s'), 1_000_000_000n);
    assert.equal(ns('1d'), 86_400_000_000_000n);
    assert.equal(ns('1w'), 604_800_000_000_000n);
    assert.equal(ns('1m1m'), 120_000_000_000n);
    assert.equal(ns('0.000000001s'), 1n);
  });

  it('takes a sign and a lone zero', () => {
    assert.equal(ns('0'), 0n);
    assert.equal(ns('-0'), 0n);
    assert.equal(ns('+0'), 0n);
    assert.equal(ns('-1m30s'), -90_000_000_000n);
    assert.equal(ns('+5s'), 5_000_000_000n);
  });

  it('refuses what compose-go refuses, in Go words', () => {
    assert.equal(error(''), 'time: invalid duration ""');
    assert.equal(error('-'), 'time: invalid duration "-"');
    assert.equal(error('10'), 'time: missing unit in duration "10"');
    assert.equal(error('1x'), 'time: unknown unit "x" in duration "1x"');
    assert.equal(error('1 s'), 'time: unknown unit " s" in duration "1 s"');
    assert.equal(error('s'), 'time: invalid duration "s"');
    assert.equal(error('.s'), 'time: invalid duration ".s"');
    assert.equal(error('1.2.3s'), 'time: missing unit in duration "1.2.3s"');
    assert.equal(error('1S'), 'time: unknown unit "S" in duration "1S"');
    assert.equal(error('9999999999999h'), 'time: invalid duration "9999999999999h"');
  });
});

describe('formatGoDuration', () => {
  it('prints as time.Duration.String()', () => {
    assert.equal(formatGoDuration(0n), '0s');
    assert.equal(formatGoDuration(1n), '1ns');
    assert.equal(formatGoDuration(999n), '999ns');
    assert.equal(formatGoDuration(1_000n), '1µs');
    assert.equal(formatGoDuration(1_500n), '1.5µs');
    assert.equal(formatGoDuration(1_500_000n), '1.5ms');
    assert.equal(formatGoDuration(200_000_000n), '200ms');
    assert.equal(formatGoDuration(1_000_000_000n), '1s');
    assert.equal(formatGoDuration(1_000_000_001n), '1.000000001s');
    assert.equal(formatGoDuration(1_500_000_000n), '1.5s');
    assert.equal(formatGoDuration(60_000_000_000n), '1m0s');
    assert.equal(formatGoDuration(90_000_000_000n), '1m30s');
    assert.equal(formatGoDuration(3_600_000_000_000n), '1h0m0s');
    assert.equal(formatGoDuration(3_723_500_000_000n), '1h2m3.5s');
    assert.equal(formatGoDuration(-90_000_000_000n), '-1m30s');
    assert.equal(formatGoDuration(-1_500n), '-1.5µs');
    assert.equal(formatGoDuration((1n << 63n) - 1n), '2562047h47m16.854775807s');
  });

  it('normalizes compose durations to what docker compose config prints', () => {
    assert.equal(normalizeDuration('90s'), '1m30s');
    assert.equal(normalizeDuration('1m'), '1m0s');
    assert.equal(normalizeDuration('120s'), '2m0s');
    assert.equal(normalizeDuration('1500ms'), '1.5s');
    assert.equal(normalizeDuration('1d'), '24h0m0s');
    assert.equal(normalizeDuration('0'), '0s');
    assert.equal(normalizeDuration('0.5s'), '500ms');
    assert.equal(normalizeDuration('10'), undefined);
  });
});

describe('millisecond helpers', () => {
  it('parseDuration is lenient: a bare number is seconds', () => {
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10us'), 0.01);
    assert.equal(parseDuration('10'), 10_000);
    assert.equal(parseDuration(' 2.5 '), 2_500);
    assert.equal(parseDuration(3), 3_000);
    assert.equal(parseDuration('1x'), undefined);
    assert.equal(parseDuration(Number.NaN), undefined);
  });

  it('formatDuration prints milliseconds the Go way', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_600_000), '1h0m0s');
    assert.equal(formatDuration(200), '200ms');
    assert.equal(formatDuration(1500.5), '1.5005s');
    assert.equal(formatDuration(0.001), '1µs');
  });

  it('converts between ms and ns without float drift', () => {
    assert.equal(millisecondsToNanoseconds(1.5), 1_500_000n);
    assert.equal(millisecondsToNanoseconds(-2), -2_000_000n);
    assert.equal(nanosecondsToMilliseconds(1_500_000n), 1.5);
    assert.equal(nanosecondsToMilliseconds(604_800_000_000_000n), 604_800_000);
  });
});
