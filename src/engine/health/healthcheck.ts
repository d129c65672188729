/** Health check configuration from the compose file over the image's, Docker's rules and defaults. */
import type { ServiceConfig } from '../../spec/model.js';
import type { ImageConfig } from '../../image/oci.js';
import { parseDuration } from '../../util/duration.js';

export interface HealthcheckConfig {
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  startIntervalMs: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';
export interface HealthResult {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}
export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  log: HealthResult[];
}
export type HealthProbe = (args: string[], timeoutMs: number, signal: AbortSignal) => Promise<{ exitCode: number; output: string }>;

const DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5_000 };

type ImageHealth = NonNullable<ImageConfig['config']>['Healthcheck'];

/** ["CMD", a, b] → [a, b]; ["CMD-SHELL", s] or a plain string → sh -c s; ["NONE"] → undefined. */
export function probeArgs(test: string[] | string | undefined): string[] | undefined {
  if (test === undefined) return undefined;
  if (typeof test === 'string') return test === '' ? undefined : ['/bin/sh', '-c', test];
  const [kind, ...rest] = test;
  if (kind === 'NONE' || kind === undefined) return undefined;
  if (kind === 'CMD') return rest.length > 0 ? rest : undefined;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  return test;
}

const nanosToMs = (n: number | undefined): number | undefined => (n === undefined || n === 0 ? undefined : Math.round(n / 1e6));
const durationMs = (d: string | undefined): number | undefined => (d === undefined ? undefined : (parseDuration(d) ?? undefined));

export function resolveHealthcheck(compose: ServiceConfig['healthcheck'] | undefined, image: ImageHealth | undefined): HealthcheckConfig | undefined {
  if (compose?.disable === true) return undefined;
  const img = image as { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number; StartInterval?: number } | undefined;
  const testSource = compose?.test ?? img?.Test;
  const test = probeArgs(testSource);
  if (!test) return undefined;
  return {
    test,
    intervalMs: durationMs(compose?.interval) ?? nanosToMs(img?.Interval) ?? DEFAULTS.intervalMs,
    timeoutMs: durationMs(compose?.timeout) ?? nanosToMs(img?.Timeout) ?? DEFAULTS.timeoutMs,
    retries: compose?.retries ?? (img?.Retries || undefined) ?? DEFAULTS.retries,
    startPeriodMs: durationMs(compose?.start_period) ?? nanosToMs(img?.StartPeriod) ?? DEFAULTS.startPeriodMs,
    startIntervalMs: durationMs(compose?.start_interval) ?? nanosToMs(img?.StartInterval) ?? DEFAULTS.startIntervalMs,
  };
}
