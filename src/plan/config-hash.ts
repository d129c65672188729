/**
 * The hash that decides "changed or not" for a service's containers
 * (compose-go's ServiceHash): the canonical service minus what never requires
 * a new container (build, pull_policy, scale, deploy.replicas, depends_on,
 * profiles), as JSON with sorted keys so key order never matters.
 */
import { createHash } from 'node:crypto';
import type { ServiceConfig } from '../spec/model.js';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function serviceConfigHash(service: ServiceConfig): string {
  const { build: _b, pull_policy: _p, scale: _s, depends_on: _d, profiles: _pr, ...rest } = service;
  const copy: Record<string, unknown> = { ...rest };
  if (service.deploy) {
    const { replicas: _r, ...deploy } = service.deploy;
    copy['deploy'] = deploy;
  }
  return createHash('sha256').update(canonicalJson(copy)).digest('hex');
}
