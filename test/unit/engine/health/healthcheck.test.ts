/** Health check configuration: the compose file over the image, field by field, with Docker's defaults and test kinds. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { probeArgs, resolveHealthcheck } from '../../../../src/engine/health/healthcheck.js';
import type { ComposeHealthcheck } from '../../../../src/engine/health/healthcheck.js';
import type { HealthConfig } from '../../../../src/image/oci.js';
import type { ServiceConfig } from '../../../../src/compose/model.js';

const S = 1_000_000_000; // nanoseconds in a second, as image configs count

describe('probe argv from a test', () => {
  it('CMD runs its arguments as they are', () => {
    assert.deepEqual(probeArgs(['CMD', 'curl', '-f', 'http://localhost/']), ['curl', '-f', 'http://localhost/']);
  });
  it('CMD-SHELL and a plain string run under /bin/sh -c', () => {
    assert.deepEqual(probeArgs(['CMD-SHELL', 'test -f /ready || exit 1']), ['/bin/sh', '-c', 'test -f /ready || exit 1']);
    assert.deepEqual(probeArgs('wget -q -O- localhost'), ['/bin/sh', '-c', 'wget -q -O- localhost']);
  });
  it('CMD-SHELL with further elements passes them after the command, as Docker does', () => {
    assert.deepEqual(probeArgs(['CMD-SHELL', 'echo $0 $1', 'a', 'b']), ['/bin/sh', '-c', 'echo $0 $1', 'a', 'b']);
  });
  it('NONE, an empty test, a kind with no command and an unknown kind mean no health check', () => {
    assert.equal(probeArgs(['NONE']), undefined);
    assert.equal(probeArgs([]), undefined);
    assert.equal(probeArgs(['CMD']), undefined);
    assert.equal(probeArgs(['CMD-SHELL']), undefined);
    assert.equal(probeArgs(''), undefined);
    assert.equal(probeArgs(['SHELL', 'true']), undefined);
    assert.equal(probeArgs(undefined), undefined);
  });
});

describe('resolveHealthcheck', () => {
  it("Docker's defaults: interval 30s, timeout 30s, retries 3, start_period 0, start_interval 5s", () => {
    assert.deepEqual(resolveHealthcheck({ test: ['CMD', 'true'] }, undefined), {
      test: ['true'],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
      startIntervalMs: 5_000,
    });
  });

  it('reads compose durations (Go syntax)', () => {
    const hc = resolveHealthcheck({ test: ['CMD-SHELL', 'true'], interval: '1m30s', timeout: '500ms', retries: 5, start_period: '2s', start_interval: '250ms' }, undefined);
    assert.deepEqual(hc, { test: ['/bin/sh', '-c', 'true'], intervalMs: 90_000, timeoutMs: 500, retries: 5, startPeriodMs: 2_000, startIntervalMs: 250 });
  });

  it("takes the image's HEALTHCHECK (nanoseconds) when the compose file has none", () => {
    const image: HealthConfig = { Test: ['CMD-SHELL', 'pg_isready'], Interval: 10 * S, Timeout: 3 * S, Retries: 7, StartPeriod: 20 * S, StartInterval: S };
    assert.deepEqual(resolveHealthcheck(undefined, image), {
      test: ['/bin/sh', '-c', 'pg_isready'],
      intervalMs: 10_000,
      timeoutMs: 3_000,
      retries: 7,
      startPeriodMs: 20_000,
      startIntervalMs: 1_000,
    });
  });

  it("overrides the image's field by field: a compose interval alone keeps the image's test and the rest", () => {
    const image: HealthConfig = { Test: ['CMD', 'check'], Interval: 10 * S, Timeout: 3 * S, Retries: 7 };
    assert.deepEqual(resolveHealthcheck({ interval: '2s' }, image), {
      test: ['check'],
      intervalMs: 2_000,
      timeoutMs: 3_000,
      retries: 7,
      startPeriodMs: 0,
      startIntervalMs: 5_000,
    });
    assert.deepEqual(resolveHealthcheck({ test: ['CMD', 'other'], retries: 1 }, image)?.test, ['other']);
    assert.equal(resolveHealthcheck({ test: ['CMD', 'other'], retries: 1 }, image)?.retries, 1);
    assert.equal(resolveHealthcheck({ test: ['CMD', 'other'], retries: 1 }, image)?.intervalMs, 10_000);
  });

  it("zero values count as unset (Docker's merge): 0s durations and retries 0 take the image's value, then the default", () => {
    const image: HealthConfig = { Test: ['CMD', 'check'], Interval: 10 * S, Retries: 0 };
    const hc = resolveHealthcheck({ interval: '0s', timeout: '0s', retries: 0, start_interval: '0s' }, image);
    assert.equal(hc?.intervalMs, 10_000);
    assert.equal(hc?.timeoutMs, 30_000);
    assert.equal(hc?.retries, 3);
    assert.equal(hc?.startIntervalMs, 5_000);
  });

  it('an empty compose test takes the image test', () => {
    assert.deepEqual(resolveHealthcheck({ test: [] }, { Test: ['CMD', 'check'] })?.test, ['check']);
  });

  it("NONE in the compose file and disable: true turn the image's health check off", () => {
    const image: HealthConfig = { Test: ['CMD', 'check'] };
    assert.equal(resolveHealthcheck({ test: ['NONE'] }, image), undefined);
    assert.equal(resolveHealthcheck({ disable: true }, image), undefined);
    assert.equal(resolveHealthcheck({ disable: true, test: ['CMD', 'x'] }, image), undefined);
    assert.equal(resolveHealthcheck(undefined, { Test: ['NONE'] }), undefined);
  });

  it('no test anywhere: no health check', () => {
    assert.equal(resolveHealthcheck(undefined, undefined), undefined);
    assert.equal(resolveHealthcheck({ interval: '5s' }, undefined), undefined);
    assert.equal(resolveHealthcheck({ interval: '5s' }, { Interval: 5 * S }), undefined);
  });

  it('a plain-string test is CMD-SHELL', () => {
    assert.deepEqual(resolveHealthcheck({ test: 'exit 0' }, undefined)?.test, ['/bin/sh', '-c', 'exit 0']);
  });

  it("accepts the canonical model's healthcheck as it is", () => {
    const service = { healthcheck: { test: ['CMD', 'true'], interval: '1s' } } as unknown as ServiceConfig;
    const compose: ComposeHealthcheck | undefined = service.healthcheck;
    assert.equal(resolveHealthcheck(compose, undefined)?.intervalMs, 1_000);
  });
});
