/**
 * Health checks of one container with Docker's semantics: during the start
 * period probes run every start_interval and failures do not count; after it,
 * every interval; healthy after one success, unhealthy after `retries`
 * failures in a row; never two probes at once; the last five results kept.
 */
import type { HealthcheckConfig, HealthProbe, HealthResult, HealthState } from './healthcheck.js';

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthMonitorOptions {
  onChange: (state: HealthState) => void;
  startedAtMs: number;
  initial?: HealthState;
  now?: () => number;
  timers?: Timers;
}

const LOG_SIZE = 5;

export class HealthMonitor {
  private current: HealthState;
  private timer: unknown;
  private running = false;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly timers: Timers;

  constructor(
    private readonly config: HealthcheckConfig,
    private readonly probe: HealthProbe,
    private readonly opts: HealthMonitorOptions,
  ) {
    this.current = opts.initial ? { ...opts.initial, log: [...opts.initial.log] } : { status: 'starting', failingStreak: 0, log: [] };
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  get state(): HealthState {
    return this.current;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.abort.abort();
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
  }

  private inStartPeriod(): boolean {
    return this.now() - this.opts.startedAtMs < this.config.startPeriodMs;
  }

  private schedule(): void {
    if (!this.running) return;
    // Until the first success, during the start period, probe at the (faster) start interval.
    const fast = this.inStartPeriod() && this.current.status === 'starting';
    const delay = fast ? this.config.startIntervalMs : this.config.intervalMs;
    this.timer = this.timers.setTimeout(() => void this.runProbe(), delay);
  }

  private async runProbe(): Promise<void> {
    if (!this.running) return;
    const start = new Date(this.now()).toISOString();
    let result: { exitCode: number; output: string };
    try {
      result = await this.probe(this.config.test, this.config.timeoutMs, this.abort.signal);
    } catch (err) {
      result = { exitCode: -1, output: (err as Error).message };
    }
    if (!this.running) return;
    const entry: HealthResult = { start, end: new Date(this.now()).toISOString(), exitCode: result.exitCode, output: result.output };
    const next: HealthState = { status: this.current.status, failingStreak: this.current.failingStreak, log: [...this.current.log, entry].slice(-LOG_SIZE) };
    if (result.exitCode === 0) {
      next.status = 'healthy';
      next.failingStreak = 0;
    } else if (!(this.inStartPeriod() && this.current.status === 'starting')) {
      next.failingStreak += 1;
      if (next.failingStreak >= this.config.retries) next.status = 'unhealthy';
    }
    this.current = next;
    this.opts.onChange(next);
    this.schedule();
  }
}
