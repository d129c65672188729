/**
 * Health checks of one container with Docker's semantics (daemon/health.go):
 * - the first probe runs one interval after start: `start_interval` while the
 *   container is in its start period and not yet healthy, else `interval`;
 *   every next one that long after the previous one ended (never two at once);
 * - one success makes it healthy; `retries` failures in a row unhealthy;
 *   a failure that started inside the start period while the container was
 *   still `starting` does not count;
 * - a probe past its timeout fails with exit -1 and "Health check exceeded
 *   timeout (30s)" (plus what it wrote); output is kept up to 4 KiB, "..."
 *   marks a cut; the last five results are kept.
 */
import { formatDuration } from '../../util/duration.js';
import { HEALTHCHECK_DEFAULTS } from './healthcheck.js';
import type { HealthcheckConfig, HealthProbe, HealthResult, HealthState, ProbeOutcome } from './healthcheck.js';

export interface HealthTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthMonitorOptions {
  /** Called after every probe with the new state (status, streak and log may all change). */
  onChange: (state: HealthState) => void;
  /** When the container (this run of it) started: the start period counts from here. */
  startedAtMs: number;
  /** The state to continue from, e.g. after an engine restart; `starting` with an empty log otherwise. */
  initial?: HealthState | undefined;
  now?: (() => number) | undefined;
  timers?: HealthTimers | undefined;
  /** An exception from onChange (the monitor keeps going). */
  onError?: ((err: unknown) => void) | undefined;
}

export const HEALTH_LOG_SIZE = 5;
export const HEALTH_OUTPUT_LIMIT = 4096;

const realTimers: HealthTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** At most 4 KiB of the probe's output, "..." appended when some was cut (as Docker's limitedBuffer). */
export function limitProbeOutput(output: string, truncated = false): string {
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length > HEALTH_OUTPUT_LIMIT) return `${bytes.subarray(0, HEALTH_OUTPUT_LIMIT).toString('utf8')}...`;
  return truncated ? `${output}...` : output;
}

/** Docker's text for a probe that ran past its timeout. */
export function timeoutMessage(timeoutMs: number, output: string): string {
  const head = `Health check exceeded timeout (${formatDuration(timeoutMs)})`;
  return output.length > 0 ? `${head}: ${output}` : head;
}

export class HealthMonitor {
  private current: HealthState;
  private timer: unknown;
  private running = false;
  /** Bumped by start/stop: a probe from an earlier run does not report. */
  private generation = 0;
  private inFlight: AbortController | undefined;
  private readonly now: () => number;
  private readonly timers: HealthTimers;

  constructor(
    private readonly config: HealthcheckConfig,
    private readonly probe: HealthProbe,
    private readonly opts: HealthMonitorOptions,
  ) {
    this.current = opts.initial ? { ...opts.initial, log: [...opts.initial.log] } : { status: 'starting', failingStreak: 0, log: [] };
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
  }

  get state(): HealthState {
    return this.current;
  }

  /** Whether a probe is running right now. */
  get probing(): boolean {
    return this.inFlight !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation += 1;
    this.schedule(this.generation);
  }

  /** No further probes; a running one is aborted and its result dropped. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation += 1;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  /** Docker's getInterval: the faster start interval only inside the start period and before the first success. */
  private nextDelay(): number {
    if (this.now() - this.opts.startedAtMs >= this.config.startPeriodMs) return this.config.intervalMs;
    return this.current.status === 'starting' ? this.config.startIntervalMs : this.config.intervalMs;
  }

  private schedule(generation: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.runProbe(generation);
    }, this.nextDelay());
  }

  private async runProbe(generation: number): Promise<void> {
    if (generation !== this.generation) return;
    const controller = new AbortController();
    this.inFlight = controller;
    const startMs = this.now();
    let timedOut = false;
    const deadline = this.timers.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.config.timeoutMs);
    let outcome: ProbeOutcome;
    try {
      outcome = await this.probe(this.config.test, this.config.timeoutMs, controller.signal);
    } catch (err) {
      outcome = { exitCode: -1, output: err instanceof Error ? err.message : String(err) };
    } finally {
      this.timers.clearTimeout(deadline);
    }
    if (generation !== this.generation) return;
    this.inFlight = undefined;
    this.record(startMs, outcome, timedOut || outcome.timedOut === true);
    this.schedule(generation);
  }

  /** Docker's handleProbeResult. */
  private record(startMs: number, outcome: ProbeOutcome, timedOut: boolean): void {
    const output = limitProbeOutput(outcome.output, outcome.truncated === true);
    const result: HealthResult = {
      start: new Date(startMs).toISOString(),
      end: new Date(this.now()).toISOString(),
      exitCode: timedOut ? -1 : outcome.exitCode,
      output: timedOut ? timeoutMessage(this.config.timeoutMs, output) : output,
    };
    const previous = this.current;
    const next: HealthState = { status: previous.status, failingStreak: previous.failingStreak, log: [...previous.log, result].slice(-HEALTH_LOG_SIZE) };
    if (result.exitCode === 0) {
      next.status = 'healthy';
      next.failingStreak = 0;
    } else {
      const inGrace = previous.status === 'starting' && startMs - this.opts.startedAtMs < this.config.startPeriodMs;
      if (!inGrace) {
        next.failingStreak += 1;
        if (next.failingStreak >= (this.config.retries > 0 ? this.config.retries : HEALTHCHECK_DEFAULTS.retries)) next.status = 'unhealthy';
      }
    }
    this.current = next;
    try {
      this.opts.onChange(next);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
