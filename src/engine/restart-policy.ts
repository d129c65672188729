/**
 * Restart policies as Docker applies them, pure: which policy a service has
 * (docker compose's getRestartPolicy and the engine's validation), whether
 * an exited container starts again and after how long (the restart
 * manager's backoff: 100 ms doubling up to a minute, back to 100 ms once a
 * run lasted 10 s), and which containers come back when the engine boots.
 */
import { TscComposeError } from '../errors/index.js';
import type { ServiceConfig } from '../compose/model.js';

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';
/** `maxRetries` only for on-failure; missing or 0 means no limit. */
export type RestartPolicy = { name: RestartPolicyName; maxRetries?: number | undefined };

export const INITIAL_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
export const RESET_AFTER_MS = 10_000;

/** compose's names (deploy.restart_policy's `none`/`any` too) → the engine's. */
const NAMES: Record<string, RestartPolicyName> = {
  '': 'no',
  no: 'no',
  none: 'no',
  always: 'always',
  any: 'always',
  'unless-stopped': 'unless-stopped',
  'on-failure': 'on-failure',
};

function invalid(message: string, service: string | undefined, keyPath: string): TscComposeError {
  return new TscComposeError('TSC_RESTART_POLICY', `invalid restart policy: ${message}`, { service, keyPath });
}

/** A policy from its name and retry count, checked as the Docker engine checks it. */
function policy(condition: string, maxRetries: number, service: string | undefined, keyPath: string): RestartPolicy {
  const name = NAMES[condition];
  if (name === undefined) throw invalid(`unknown policy '${condition}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`, service, keyPath);
  if (maxRetries < 0) throw invalid('maximum retry count cannot be negative', service, keyPath);
  // An empty name is the engine's old default and takes any count.
  if (maxRetries !== 0 && name !== 'on-failure' && condition !== '') throw invalid("maximum retry count can only be used with 'on-failure'", service, keyPath);
  return name === 'on-failure' && maxRetries > 0 ? { name, maxRetries } : { name };
}

/** `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N` (a count that is not a number is 0, as compose's Atoi). */
export function parseRestartPolicy(text: string, service?: string): RestartPolicy {
  const [condition = '', count] = text.split(':');
  const n = count === undefined ? 0 : /^[+-]?\d+$/.test(count.trim()) ? Number(count.trim()) : 0;
  return policy(condition, n, service, 'restart');
}

/**
 * The service's restart policy as docker compose gives it to the engine:
 * `restart:`, replaced by `deploy.restart_policy` when that is present
 * (condition `none`/`on-failure`/`any`, `max_attempts`; no condition is no
 * restart). Throws for what the Docker engine rejects.
 */
export function restartPolicyOf(service: ServiceConfig, serviceName?: string): RestartPolicy {
  const deploy = service.deploy?.restart_policy;
  if (deploy) return policy(deploy.condition ?? '', deploy.max_attempts ?? 0, serviceName, 'deploy.restart_policy');
  if (service.restart) return parseRestartPolicy(service.restart, serviceName);
  return { name: 'no' };
}

/** As compose prints it: `no`, `always`, `unless-stopped`, `on-failure`, `on-failure:3`. */
export function formatRestartPolicy(p: RestartPolicy): string {
  return p.name === 'on-failure' && p.maxRetries ? `on-failure:${p.maxRetries}` : p.name;
}

export interface RestartInput {
  exitCode: number;
  /** Restarts the engine already did for this container (on-failure's count). */
  restartCount: number;
  /** `stop`/`kill`/`down` by the user: never restarted (unless-stopped remembers it across boots). */
  stoppedByUser: boolean;
  /** How long the run that just ended lasted. */
  ranForMs: number;
  /** The delay before the previous restart; 0 when there was none. */
  previousDelayMs: number;
  /** `exit`: the container just exited; `engine-boot`: the engine found it not running when it came up (after a reboot). */
  reason: 'exit' | 'engine-boot';
}

export type RestartDecision = { restart: false; why: string } | { restart: true; delayMs: number };

/** The restart manager's backoff: 100 ms, doubled each time, at most a minute; 100 ms again after a run of 10 s or more. */
export function backoffDelay(previousDelayMs: number, ranForMs: number): number {
  if (ranForMs >= RESET_AFTER_MS || previousDelayMs <= 0) return INITIAL_DELAY_MS;
  return Math.min(MAX_DELAY_MS, previousDelayMs * 2);
}

export function decideRestart(p: RestartPolicy, input: RestartInput): RestartDecision {
  if (input.stoppedByUser) return { restart: false, why: 'stopped by the user' };
  if (input.reason === 'engine-boot') {
    if (p.name === 'always' || p.name === 'unless-stopped') return { restart: true, delayMs: 0 };
    return { restart: false, why: `restart policy "${formatRestartPolicy(p)}" does not bring a container back when the engine starts` };
  }
  switch (p.name) {
    case 'no':
      return { restart: false, why: 'restart policy "no"' };
    case 'on-failure':
      if (input.exitCode === 0) return { restart: false, why: 'exited with code 0 (on-failure)' };
      if (p.maxRetries !== undefined && p.maxRetries > 0 && input.restartCount >= p.maxRetries) {
        return { restart: false, why: `gave up after ${p.maxRetries} restart${p.maxRetries === 1 ? '' : 's'} (on-failure:${p.maxRetries})` };
      }
      break;
    case 'always':
    case 'unless-stopped':
      break;
  }
  return { restart: true, delayMs: backoffDelay(input.previousDelayMs, input.ranForMs) };
}
