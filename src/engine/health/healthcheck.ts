/**
 * A container's health check as Docker runs it: the compose file's
 * `healthcheck` laid over the image's HEALTHCHECK field by field (a zero or
 * missing value takes the image's, then Docker's default), and the shapes of
 * the health state the engine keeps (`docker inspect`'s State.Health).
 */
import type { HealthConfig } from '../../image/oci.js';
import { parseDuration } from '../../util/duration.js';

export interface HealthcheckConfig {
  /** The probe's argv (`CMD-SHELL` already turned into `/bin/sh -c`). */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  startIntervalMs: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe run, as an entry of `docker inspect`'s State.Health.Log. */
export interface HealthResult {
  /** ISO 8601 times. */
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  /** The last five results, oldest first. */
  log: HealthResult[];
}

/**
 * What a probe reports. `output` is what the probe wrote (stdout and stderr
 * together); `timedOut` says it was killed at the timeout, `truncated` that
 * it wrote more than was kept. The monitor turns both into Docker's texts.
 */
export interface ProbeOutcome {
  exitCode: number;
  output: string;
  timedOut?: boolean | undefined;
  truncated?: boolean | undefined;
}

/**
 * Runs the probe once. It should stop the probe when `signal` aborts or
 * `timeoutMs` passes and then resolve with what it has; a rejection counts
 * as a failed probe (exit -1, the error's message as output).
 */
export type HealthProbe = (args: string[], timeoutMs: number, signal: AbortSignal) => Promise<ProbeOutcome>;

/** Docker's defaults (daemon/health.go). */
export const HEALTHCHECK_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5_000 } as const;

/** The shell Docker puts in front of a `CMD-SHELL` test on Linux. */
const SHELL = ['/bin/sh', '-c'];

/** The compose side: the canonical model's healthcheck, also with a plain-string `test` as the short syntax has it. */
export interface ComposeHealthcheck {
  test?: string[] | string | undefined;
  interval?: string | undefined;
  timeout?: string | undefined;
  retries?: number | undefined;
  start_period?: string | undefined;
  start_interval?: string | undefined;
  disable?: boolean | undefined;
}

/**
 * The probe's argv from a test: `["CMD", a, b]` → `[a, b]`; `["CMD-SHELL", s]`
 * or a plain string → `/bin/sh -c s`; `["NONE"]`, an empty test and a kind
 * Docker does not know → undefined (no health check, as Docker has it).
 */
export function probeArgs(test: readonly string[] | string | undefined): string[] | undefined {
  if (test === undefined) return undefined;
  if (typeof test === 'string') return test.trim() === '' ? undefined : [...SHELL, test];
  const [kind, ...rest] = test;
  if (rest.length === 0) return undefined;
  if (kind === 'CMD') return rest;
  // Docker appends every further element after the shell's `-c` (they become $0, $1, ...).
  if (kind === 'CMD-SHELL') return [...SHELL, ...rest];
  return undefined;
}

/** A compose duration in ms; zero, negative or unparsable counts as not set (Docker's merge treats 0 as unset). */
function composeMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** An image duration (nanoseconds) in ms; 0 is unset. */
function imageMs(nanoseconds: number | undefined): number | undefined {
  return nanoseconds !== undefined && nanoseconds > 0 ? nanoseconds / 1e6 : undefined;
}

const positive = (n: number | undefined): number | undefined => (n !== undefined && n > 0 ? n : undefined);

/**
 * The health check a container runs, or undefined when it has none:
 * `disable: true`, a `NONE` test (the compose file's hides the image's), or
 * no test anywhere.
 */
export function resolveHealthcheck(compose: ComposeHealthcheck | undefined, image: HealthConfig | undefined): HealthcheckConfig | undefined {
  if (compose?.disable === true) return undefined;
  const composeTest = compose?.test;
  const hasComposeTest = typeof composeTest === 'string' ? composeTest !== '' : composeTest !== undefined && composeTest.length > 0;
  const test = probeArgs(hasComposeTest ? composeTest : image?.Test);
  if (!test) return undefined;
  return {
    test,
    intervalMs: composeMs(compose?.interval) ?? imageMs(image?.Interval) ?? HEALTHCHECK_DEFAULTS.intervalMs,
    timeoutMs: composeMs(compose?.timeout) ?? imageMs(image?.Timeout) ?? HEALTHCHECK_DEFAULTS.timeoutMs,
    retries: positive(compose?.retries) ?? positive(image?.Retries) ?? HEALTHCHECK_DEFAULTS.retries,
    startPeriodMs: composeMs(compose?.start_period) ?? imageMs(image?.StartPeriod) ?? HEALTHCHECK_DEFAULTS.startPeriodMs,
    startIntervalMs: composeMs(compose?.start_interval) ?? imageMs(image?.StartInterval) ?? HEALTHCHECK_DEFAULTS.startIntervalMs,
  };
}
