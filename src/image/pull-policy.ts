/**
 * `pull_policy` as compose has it: `always`, `never`, `missing` (also
 * `if_not_present`, the default), `build`, and the refresh policies `daily`,
 * `weekly`, `every_<duration>` (`every_12h`, `every_2d`, `every_1h30m`) and
 * `refresh`, which pull again when the local image was last pulled longer ago
 * than the interval. The decision is a pure function of the policy, what the
 * store knows and the clock, so it is tested without a registry.
 */
import { TscComposeError } from '../errors/index.js';

export type PullPolicyKind = 'always' | 'never' | 'missing' | 'build' | 'refresh';

export interface PullPolicy {
  kind: PullPolicyKind;
  /** For `refresh`: pull when the last pull is at least this old (0: every time). */
  intervalMs?: number;
}

export type PullDecision =
  /** Fetch from the registry (a refresh of a local image also lands here). */
  | 'pull'
  /** Use the local image as it is. */
  | 'use-local'
  /** Not local and the policy forbids pulling. */
  | 'unavailable';

export class InvalidPullPolicyError extends TscComposeError {
  constructor(policy: string, reason: string) {
    super('TSC_PULL_POLICY', `invalid pull_policy "${policy}": ${reason}`);
    this.name = 'InvalidPullPolicyError';
  }
}

const UNIT_MS: Record<string, number> = {
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/** `12h`, `2d`, `1w`, `1h30m`, `90s`, `500ms` → milliseconds (Go durations plus days and weeks). */
export function parseDuration(text: string): number {
  if (!/^(\d+(\.\d+)?(ms|w|d|h|m|s))+$/.test(text)) {
    throw new TscComposeError('TSC_DURATION', `invalid duration "${text}": expected a number and a unit (w, d, h, m, s, ms), e.g. 12h or 1h30m`);
  }
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return total;
}

export function parsePullPolicy(policy: string | undefined): PullPolicy {
  switch (policy) {
    case undefined:
    case '':
    case 'missing':
    case 'if_not_present':
      return { kind: 'missing' };
    case 'always':
    case 'never':
    case 'build':
      return { kind: policy };
    case 'refresh':
      return { kind: 'refresh', intervalMs: 0 };
    case 'daily':
      return { kind: 'refresh', intervalMs: UNIT_MS['d'] };
    case 'weekly':
      return { kind: 'refresh', intervalMs: UNIT_MS['w'] };
    default:
      break;
  }
  if (policy.startsWith('every_')) {
    try {
      const intervalMs = parseDuration(policy.slice('every_'.length));
      if (intervalMs <= 0) throw new InvalidPullPolicyError(policy, 'the interval must be longer than zero');
      return { kind: 'refresh', intervalMs };
    } catch (err) {
      if (err instanceof InvalidPullPolicyError) throw err;
      throw new InvalidPullPolicyError(policy, (err as Error).message);
    }
  }
  throw new InvalidPullPolicyError(policy, 'expected always, never, missing, if_not_present, build, refresh, daily, weekly or every_<duration>');
}

/**
 * What to do for an image given its policy and the local record (undefined
 * when the image is not in the store). An image whose last pull is unknown
 * (recorded before pulls were timed, or loaded from an archive) counts as
 * due under a refresh policy.
 */
export function decidePull(policy: PullPolicy | string | undefined, local: { pulledAt?: string | undefined } | undefined, now: number): PullDecision {
  const p = typeof policy === 'object' ? policy : parsePullPolicy(policy);
  switch (p.kind) {
    case 'always':
      return 'pull';
    case 'never':
      return local ? 'use-local' : 'unavailable';
    case 'missing':
    case 'build':
      // Building is not supported: an image that is not here is pulled, as `missing` would.
      return local ? 'use-local' : 'pull';
    case 'refresh': {
      if (!local || !local.pulledAt) return 'pull';
      const last = Date.parse(local.pulledAt);
      if (Number.isNaN(last)) return 'pull';
      return now - last >= (p.intervalMs ?? 0) ? 'pull' : 'use-local';
    }
  }
}
