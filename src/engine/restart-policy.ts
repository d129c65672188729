/**
 * Restart policies as Docker applies them, pure: whether an exited container
 * starts again and after how long (100 ms doubling up to a minute, reset once
 * it ran 10 s), and which come back after a host reboot.
 */
import type { ServiceConfig } from '../spec/model.js';

export type RestartPolicy = { name: 'no' | 'always' | 'unless-stopped' | 'on-failure'; maxRetries?: number | undefined };

export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, max] = text.split(':');
  switch (name) {
    case 'always':
    case 'unless-stopped':
      return { name };
    case 'on-failure':
      return max !== undefined && max !== '' ? { name, maxRetries: Number(max) } : { name };
    default:
      return { name: 'no' };
  }
}

export function restartPolicyOf(service: ServiceConfig): RestartPolicy {
  if (service.restart) return parseRestartPolicy(service.restart);
  const rp = service.deploy?.restart_policy;
  if (rp) {
    const condition = rp.condition ?? 'any';
    if (condition === 'none') return { name: 'no' };
    if (condition === 'on-failure') return rp.max_attempts !== undefined ? { name: 'on-failure', maxRetries: rp.max_attempts } : { name: 'on-failure' };
    return { name: 'always' };
  }
  return { name: 'no' };
}

export interface RestartInput {
  exitCode: number;
  restartCount: number;
  stoppedByUser: boolean;
  ranForMs: number;
  previousDelayMs: number;
  reason: 'exit' | 'engine-boot';
}

export const INITIAL_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
export const RESET_AFTER_MS = 10_000;

export function decideRestart(policy: RestartPolicy, input: RestartInput): { restart: false; why: string } | { restart: true; delayMs: number } {
  if (input.stoppedByUser) return { restart: false, why: 'stopped by the user' };
  if (input.reason === 'engine-boot') {
    if (policy.name === 'always' || policy.name === 'unless-stopped') return { restart: true, delayMs: 0 };
    return { restart: false, why: `restart policy "${policy.name}" does not restart after a reboot` };
  }
  switch (policy.name) {
    case 'no':
      return { restart: false, why: 'restart policy "no"' };
    case 'on-failure':
      if (input.exitCode === 0) return { restart: false, why: 'exited successfully' };
      if (policy.maxRetries !== undefined && policy.maxRetries > 0 && input.restartCount >= policy.maxRetries) return { restart: false, why: `gave up after ${policy.maxRetries} restarts` };
      break;
    default:
      break;
  }
  const delayMs = input.ranForMs >= RESET_AFTER_MS || input.previousDelayMs <= 0 ? INITIAL_DELAY_MS : Math.min(MAX_DELAY_MS, input.previousDelayMs * 2);
  return { restart: true, delayMs };
}
