/**
 * The health monitor against a fake clock and scripted probes: when probes
 * run (start interval, interval, from the end of the previous one, never two
 * at once), how results move the status (start period grace, one success,
 * `retries` failures), timeouts, output limits, the log, stop and restore.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitor, limitProbeOutput, timeoutMessage } from '../../../../src/engine/health/monitor.js';
import type { HealthcheckConfig, HealthProbe, HealthState, ProbeOutcome } from '../../../../src/engine/health/healthcheck.js';

/** Timers and a clock that only move when the test says so. */
class FakeTime {
  now = 0;
  private nextId = 1;
  private pending = new Map<number, { at: number; fn: () => void }>();

  readonly timers = {
    setTimeout: (fn: () => void, ms: number): unknown => {
      const id = this.nextId++;
      this.pending.set(id, { at: this.now + ms, fn });
      return id;
    },
    clearTimeout: (handle: unknown): void => {
      this.pending.delete(handle as number);
    },
  };

  get timerCount(): number {
    return this.pending.size;
  }

  /** Moves the clock, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

type Step = ProbeOutcome | { takesMs: number; outcome: ProbeOutcome } | 'hang' | { hangWith: string } | Error;

/** A probe that answers from a script and records every call (start, end, overlap). */
class ScriptedProbe {
  calls: Array<{ args: string[]; timeoutMs: number; at: number; signal: AbortSignal }> = [];
  running = 0;
  maxRunning = 0;
  constructor(
    private readonly time: FakeTime,
    private readonly steps: Step[],
  ) {}

  readonly probe: HealthProbe = (args, timeoutMs, signal) => {
    this.calls.push({ args, timeoutMs, at: this.time.now, signal });
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const step = this.steps.shift() ?? { exitCode: 0, output: '' };
    const done = <T>(p: Promise<T>): Promise<T> => p.finally(() => (this.running -= 1));
    if (step instanceof Error) return done(Promise.reject(step));
    if (step === 'hang' || 'hangWith' in step) {
      const partial = step === 'hang' ? '' : step.hangWith;
      return done(new Promise((resolve) => signal.addEventListener('abort', () => resolve({ exitCode: 137, output: partial }), { once: true })));
    }
    if ('takesMs' in step) return done(new Promise((resolve) => this.time.timers.setTimeout(() => resolve(step.outcome), step.takesMs)));
    return done(Promise.resolve(step));
  };
}

const ok = (output = ''): ProbeOutcome => ({ exitCode: 0, output });
const fail = (output = 'no'): ProbeOutcome => ({ exitCode: 1, output });

function setup(config: Partial<HealthcheckConfig>, steps: Step[], initial?: HealthState) {
  const time = new FakeTime();
  time.now = 1_000_000;
  const probe = new ScriptedProbe(time, steps);
  const changes: HealthState[] = [];
  const full: HealthcheckConfig = { test: ['/bin/sh', '-c', 'check'], intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5_000, ...config };
  const monitor = new HealthMonitor(full, probe.probe, {
    startedAtMs: time.now,
    now: () => time.now,
    timers: time.timers,
    onChange: (s) => changes.push(s),
    ...(initial ? { initial } : {}),
  });
  const startedAt = time.now;
  const at = (ms: number): number => startedAt + ms;
  return { time, probe, changes, monitor, at };
}

describe('when probes run', () => {
  it('without a start period the first probe runs one interval after start (start_interval unused)', async () => {
    const { time, probe, monitor, at } = setup({ intervalMs: 30_000, startIntervalMs: 5_000 }, []);
    monitor.start();
    await time.advance(29_999);
    assert.equal(probe.calls.length, 0);
    await time.advance(1);
    assert.deepEqual(probe.calls.map((c) => c.at), [at(30_000)]);
    await time.advance(30_000);
    assert.deepEqual(probe.calls.map((c) => c.at), [at(30_000), at(60_000)]);
    monitor.stop();
  });

  it('inside the start period and until the first success: every start_interval; then every interval', async () => {
    const { time, probe, monitor, at } = setup({ startPeriodMs: 60_000, startIntervalMs: 5_000, intervalMs: 30_000 }, [fail(), fail(), ok(), ok()]);
    monitor.start();
    await time.advance(15_000);
    assert.deepEqual(probe.calls.map((c) => c.at), [at(5_000), at(10_000), at(15_000)]);
    assert.equal(monitor.state.status, 'healthy');
    // Healthy inside the start period: back to the normal interval.
    await time.advance(30_000);
    assert.deepEqual(probe.calls.map((c) => c.at), [at(5_000), at(10_000), at(15_000), at(45_000)]);
    monitor.stop();
  });

  it('after the start period: the interval, even while still starting', async () => {
    const { time, probe, monitor, at } = setup({ startPeriodMs: 12_000, startIntervalMs: 5_000, intervalMs: 30_000, retries: 10 }, Array.from({ length: 10 }, () => fail()));
    monitor.start();
    await time.advance(50_000);
    // 5s, 10s inside; at 10s the start period is not over (10 < 12): next at 15s; then 15 >= 12: interval.
    assert.deepEqual(probe.calls.map((c) => c.at), [at(5_000), at(10_000), at(15_000), at(45_000)]);
    monitor.stop();
  });

  it('the next probe is one interval after the previous one ended, and probes never overlap', async () => {
    const { time, probe, monitor, at } = setup({ intervalMs: 10_000, timeoutMs: 60_000 }, [
      { takesMs: 25_000, outcome: ok() },
      { takesMs: 25_000, outcome: ok() },
      ok(),
    ]);
    monitor.start();
    await time.advance(85_000);
    assert.deepEqual(probe.calls.map((c) => c.at), [at(10_000), at(45_000), at(80_000)]);
    assert.equal(probe.maxRunning, 1);
    monitor.stop();
  });

  it('passes the test argv and timeout to the probe', async () => {
    const { time, probe, monitor } = setup({ test: ['curl', '-f', 'http://x/'], intervalMs: 1_000, timeoutMs: 750 }, [ok()]);
    monitor.start();
    await time.advance(1_000);
    assert.deepEqual(probe.calls[0]?.args, ['curl', '-f', 'http://x/']);
    assert.equal(probe.calls[0]?.timeoutMs, 750);
    monitor.stop();
  });
});

describe('how results move the status', () => {
  it('healthy after one success; unhealthy after `retries` failures in a row; healthy again after one success', async () => {
    const { time, monitor, changes } = setup({ intervalMs: 1_000, retries: 3 }, [ok(), fail(), fail(), fail(), fail(), ok()]);
    monitor.start();
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['healthy', 0]);
    await time.advance(2_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['healthy', 2]);
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['unhealthy', 3]);
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['unhealthy', 4]);
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['healthy', 0]);
    assert.deepEqual(
      changes.map((c) => `${c.status}/${c.failingStreak}`),
      ['healthy/0', 'healthy/1', 'healthy/2', 'unhealthy/3', 'unhealthy/4', 'healthy/0'],
    );
    monitor.stop();
  });

  it('starting stays starting until the failures reach retries', async () => {
    const { time, monitor } = setup({ intervalMs: 1_000, retries: 2 }, [fail(), fail()]);
    monitor.start();
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['starting', 1]);
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['unhealthy', 2]);
    monitor.stop();
  });

  it('retries 1: the first counted failure makes it unhealthy', async () => {
    const { time, monitor } = setup({ intervalMs: 1_000, retries: 1 }, [fail()]);
    monitor.start();
    await time.advance(1_000);
    assert.equal(monitor.state.status, 'unhealthy');
    monitor.stop();
  });

  it('failures inside the start period do not count while starting', async () => {
    const { time, monitor, changes } = setup({ startPeriodMs: 20_000, startIntervalMs: 5_000, intervalMs: 30_000, retries: 1 }, [fail(), fail(), fail(), fail()]);
    monitor.start();
    await time.advance(15_000);
    assert.equal(changes.length, 3);
    assert.deepEqual(changes.map((c) => `${c.status}/${c.failingStreak}`), ['starting/0', 'starting/0', 'starting/0']);
    // The probe at 20s starts when the start period is over: it counts.
    await time.advance(5_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['unhealthy', 1]);
    monitor.stop();
  });

  it('the grace is decided by when the probe started, not when it ended', async () => {
    const { time, probe, monitor, at } = setup({ startPeriodMs: 7_000, startIntervalMs: 5_000, intervalMs: 30_000, retries: 1 }, [
      { takesMs: 4_000, outcome: fail() },
      fail(),
    ]);
    monitor.start();
    await time.advance(9_000);
    // Started at 5s (inside), ended at 9s (outside): not counted.
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak, monitor.state.log.length], ['starting', 0, 1]);
    // The next one is an interval after it ended, since the start period is over.
    await time.advance(30_000);
    assert.deepEqual(probe.calls.map((c) => c.at), [at(5_000), at(39_000)]);
    assert.equal(monitor.state.status, 'unhealthy');
    monitor.stop();
  });

  it('once healthy, a failure inside the start period counts', async () => {
    const { time, monitor } = setup({ startPeriodMs: 120_000, startIntervalMs: 1_000, intervalMs: 2_000, retries: 1 }, [ok(), fail()]);
    monitor.start();
    await time.advance(1_000);
    assert.equal(monitor.state.status, 'healthy');
    await time.advance(2_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['unhealthy', 1]);
    monitor.stop();
  });

  it('a probe that throws is a failure with exit -1 and its message as output', async () => {
    const { time, monitor } = setup({ intervalMs: 1_000, retries: 1 }, [new Error('container is not running')]);
    monitor.start();
    await time.advance(1_000);
    assert.equal(monitor.state.status, 'unhealthy');
    assert.deepEqual([monitor.state.log[0]?.exitCode, monitor.state.log[0]?.output], [-1, 'container is not running']);
    monitor.stop();
  });

  it('any non-zero exit code is a failure', async () => {
    const { time, monitor } = setup({ intervalMs: 1_000, retries: 1 }, [{ exitCode: 2, output: '' }]);
    monitor.start();
    await time.advance(1_000);
    assert.equal(monitor.state.status, 'unhealthy');
    monitor.stop();
  });
});

describe('timeouts and output', () => {
  it('a probe past its timeout is aborted and fails with exit -1 and "Health check exceeded timeout (2s)"', async () => {
    const { time, probe, monitor } = setup({ intervalMs: 1_000, timeoutMs: 2_000, retries: 1 }, ['hang', ok()]);
    monitor.start();
    await time.advance(2_999);
    assert.equal(probe.calls[0]?.signal.aborted, false);
    assert.equal(monitor.state.log.length, 0);
    await time.advance(1);
    assert.equal(probe.calls[0]?.signal.aborted, true);
    assert.equal(monitor.state.status, 'unhealthy');
    const entry = monitor.state.log[0];
    assert.deepEqual([entry?.exitCode, entry?.output], [-1, 'Health check exceeded timeout (2s)']);
    assert.equal(entry?.start, new Date(1_000_000 + 1_000).toISOString());
    assert.equal(entry?.end, new Date(1_000_000 + 3_000).toISOString());
    // The next probe comes an interval after the timed-out one ended.
    await time.advance(1_000);
    assert.equal(probe.calls.length, 2);
    assert.equal(monitor.state.status, 'healthy');
    monitor.stop();
  });

  it('what the probe wrote before the timeout follows the message', async () => {
    const { time, monitor } = setup({ intervalMs: 1_000, timeoutMs: 1_500 }, [{ hangWith: 'half done' }]);
    monitor.start();
    await time.advance(2_500);
    assert.equal(monitor.state.log[0]?.output, 'Health check exceeded timeout (1.5s): half done');
    monitor.stop();
  });

  it('a probe that reports its own timeout gets the same message', async () => {
    const { time, monitor } = setup({ intervalMs: 1_000, timeoutMs: 5_000 }, [{ exitCode: 137, output: '', timedOut: true }]);
    monitor.start();
    await time.advance(1_000);
    assert.deepEqual([monitor.state.log[0]?.exitCode, monitor.state.log[0]?.output], [-1, 'Health check exceeded timeout (5s)']);
    monitor.stop();
  });

  it('output is kept up to 4 KiB with "..." after a cut', async () => {
    const long = 'x'.repeat(5000);
    const { time, monitor } = setup({ intervalMs: 1_000 }, [fail(long), { exitCode: 1, output: 'y'.repeat(4096), truncated: true }, ok('short\n')]);
    monitor.start();
    await time.advance(3_000);
    assert.equal(monitor.state.log[0]?.output, `${'x'.repeat(4096)}...`);
    assert.equal(monitor.state.log[1]?.output, `${'y'.repeat(4096)}...`);
    assert.equal(monitor.state.log[2]?.output, 'short\n');
    monitor.stop();
  });

  it('limitProbeOutput counts bytes and timeoutMessage prints Go durations', () => {
    assert.equal(Buffer.byteLength(limitProbeOutput('é'.repeat(3000))), 4096 + 3);
    assert.equal(timeoutMessage(30_000, ''), 'Health check exceeded timeout (30s)');
    assert.equal(timeoutMessage(90_000, 'x'), 'Health check exceeded timeout (1m30s): x');
    assert.equal(timeoutMessage(250, ''), 'Health check exceeded timeout (250ms)');
  });
});

describe('the log, stop and restore', () => {
  it('keeps the last five results, oldest first, with start and end times', async () => {
    const steps = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ takesMs: 100, outcome: { exitCode: n % 2, output: `run ${n}` } }));
    const { time, monitor } = setup({ intervalMs: 1_000, retries: 100 }, steps);
    monitor.start();
    await time.advance(7 * 1_100);
    assert.deepEqual(monitor.state.log.map((r) => r.output), ['run 3', 'run 4', 'run 5', 'run 6', 'run 7']);
    const first = monitor.state.log[0];
    // run 3 started after 3 intervals and 2 runs of 100 ms.
    assert.equal(first?.start, new Date(1_000_000 + 3_200).toISOString());
    assert.equal(first?.end, new Date(1_000_000 + 3_300).toISOString());
    monitor.stop();
  });

  it('calls onChange after every probe with the new state (a fresh object each time)', async () => {
    const { time, monitor, changes } = setup({ intervalMs: 1_000 }, [ok(), ok()]);
    monitor.start();
    await time.advance(2_000);
    assert.equal(changes.length, 2);
    assert.notEqual(changes[0], changes[1]);
    assert.equal(changes[0]?.log.length, 1);
    assert.equal(changes[1]?.log.length, 2);
    assert.equal(changes[1], monitor.state);
    monitor.stop();
  });

  it('an onChange that throws is reported and the monitor keeps going', async () => {
    const time = new FakeTime();
    const errors: unknown[] = [];
    const probe = new ScriptedProbe(time, [ok(), ok()]);
    const monitor = new HealthMonitor({ test: ['x'], intervalMs: 1_000, timeoutMs: 1_000, retries: 3, startPeriodMs: 0, startIntervalMs: 1_000 }, probe.probe, {
      startedAtMs: 0,
      now: () => time.now,
      timers: time.timers,
      onChange: () => {
        throw new Error('disk full');
      },
      onError: (err) => errors.push(err),
    });
    monitor.start();
    await time.advance(2_000);
    assert.equal(probe.calls.length, 2);
    assert.equal(errors.length, 2);
    monitor.stop();
  });

  it('stop: no further probes, a running probe is aborted and its result dropped, no timers left', async () => {
    const { time, probe, monitor, changes } = setup({ intervalMs: 1_000, timeoutMs: 10_000 }, ['hang']);
    monitor.start();
    await time.advance(1_500);
    assert.equal(probe.calls.length, 1);
    monitor.stop();
    assert.equal(probe.calls[0]?.signal.aborted, true);
    await time.advance(60_000);
    assert.equal(probe.calls.length, 1);
    assert.equal(changes.length, 0);
    assert.equal(time.timerCount, 0);
  });

  it('stop then start again: probing resumes and the aborted probe still does not report', async () => {
    const { time, probe, monitor, changes } = setup({ intervalMs: 1_000, timeoutMs: 10_000 }, [{ takesMs: 3_000, outcome: fail('old') }, ok('new')]);
    monitor.start();
    await time.advance(1_500);
    monitor.stop();
    monitor.start();
    await time.advance(5_000);
    assert.equal(probe.calls.length >= 2, true);
    assert.deepEqual(changes.map((c) => c.log.at(-1)?.output).slice(0, 1), ['new']);
    assert.equal(changes.some((c) => c.log.some((r) => r.output === 'old')), false);
    monitor.stop();
  });

  it('continues from an initial state (after an engine restart)', async () => {
    const initial: HealthState = {
      status: 'unhealthy',
      failingStreak: 4,
      log: [1, 2, 3, 4, 5].map((n) => ({ start: `s${n}`, end: `e${n}`, exitCode: 1, output: `old ${n}` })),
    };
    const { time, monitor } = setup({ intervalMs: 1_000, retries: 3 }, [fail('new 1'), ok('new 2')], initial);
    assert.equal(monitor.state.status, 'unhealthy');
    monitor.start();
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['unhealthy', 5]);
    await time.advance(1_000);
    assert.deepEqual([monitor.state.status, monitor.state.failingStreak], ['healthy', 0]);
    assert.deepEqual(monitor.state.log.map((r) => r.output), ['old 3', 'old 4', 'old 5', 'new 1', 'new 2']);
    assert.equal(initial.log.length, 5, 'the initial state is not modified');
    monitor.stop();
  });

  it('start twice does not double the probes', async () => {
    const { time, probe, monitor } = setup({ intervalMs: 1_000 }, []);
    monitor.start();
    monitor.start();
    await time.advance(1_000);
    assert.equal(probe.calls.length, 1);
    monitor.stop();
  });
});
