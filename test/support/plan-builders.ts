/** Builders for desired and observed states, so each golden plan test says only what differs. */
import type { DesiredDependency, DesiredService, DesiredState } from '../../src/plan/desired.js';
import type { ObservedContainer, ObservedState } from '../../src/plan/observed.js';

export const PROJECT = 'proj';

export function service(name: string, extra: Partial<DesiredService> = {}): DesiredService {
  return {
    name,
    replicas: 1,
    configHash: `hash-${name}`,
    imageId: `img-${name}`,
    dependsOn: {},
    networks: [`${PROJECT}_default`],
    volumes: [],
    hasHealthcheck: false,
    ...extra,
  };
}

export function dep(condition: DesiredDependency['condition'] = 'service_started', extra: Partial<DesiredDependency> = {}): DesiredDependency {
  return { condition, restart: false, required: true, ...extra };
}

export function desiredOf(services: DesiredService[], extra: Partial<DesiredState> = {}): DesiredState {
  const networks = [...new Set(services.flatMap((s) => s.networks))].map((name) => ({ name, configHash: `net-${name}`, external: false }));
  const volumes = [...new Set(services.flatMap((s) => s.volumes))].map((name) => ({ name, external: false }));
  return { project: PROJECT, services, allServices: services.map((s) => s.name), unselected: [], selected: [], networks, volumes, ...extra };
}

export function container(svc: DesiredService | string, number: number, extra: Partial<ObservedContainer> = {}): ObservedContainer {
  const s = typeof svc === 'string' ? service(svc) : svc;
  return {
    id: `${s.name}${number}`.padEnd(12, '0'),
    name: s.containerName ?? `${PROJECT}-${s.name}-${number}`,
    service: s.name,
    number,
    oneOff: false,
    configHash: s.configHash,
    imageId: s.imageId,
    state: 'running',
    networks: [...s.networks],
    ...extra,
  };
}

/** What the engine sees right after a successful `up` of `desired`: everything exists and runs. */
export function converged(desired: DesiredState, extra: Partial<ObservedState> = {}): ObservedState {
  const containers: ObservedContainer[] = [];
  for (const s of desired.services) for (let n = 1; n <= s.replicas; n++) containers.push(container(s, n));
  return {
    containers,
    networks: desired.networks.map((n) => ({ name: n.name, configHash: n.configHash, external: n.external })),
    volumes: desired.volumes.map((v) => ({ name: v.name, external: v.external })),
    ...extra,
  };
}

/** Lines of a golden plan, written one per argument. */
export function golden(...lines: string[]): string {
  return lines.join('\n');
}
