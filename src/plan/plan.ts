/**
 * The reconciler's decision, pure (docker compose's reconcile → plan): the
 * desired state against the observed one gives a list of operations, each
 * with its cause and the operations it must wait for. The engine executes
 * them (independent ones in parallel) and decides nothing itself.
 */
import type { DesiredService, DesiredState } from './desired.js';
import type { ObservedContainer, ObservedState } from './observed.js';

export type OperationType =
  | 'CreateNetwork'
  | 'RemoveNetwork'
  | 'RecreateNetwork'
  | 'CreateVolume'
  | 'CreateContainer'
  | 'StartContainer'
  | 'StopContainer'
  | 'RemoveContainer'
  | 'RestartContainer'
  | 'WaitDependency';

export interface Operation {
  id: number;
  type: OperationType;
  /** 'service:web:1', 'network:proj_default', 'volume:proj_data'. */
  resource: string;
  service?: string | undefined;
  number?: number | undefined;
  containerName?: string | undefined;
  /** The existing container the operation acts on. */
  containerId?: string | undefined;
  cause: string;
  dependsOn: number[];
  /** WaitDependency: what is waited for. */
  condition?: { service: string; condition: string; required: boolean } | undefined;
}

export interface Plan {
  operations: Operation[];
  /** Containers of services that are not in the file any more (removed with removeOrphans). */
  orphans: Array<{ id: string; name: string; service: string }>;
  toString(): string;
  isEmpty(): boolean;
}

export interface ReconcileOptions {
  recreate: 'diverged' | 'force' | 'never';
  removeOrphans: boolean;
  timeoutS?: number;
}

class PlanBuilder {
  readonly operations: Operation[] = [];
  add(op: Omit<Operation, 'id'>): Operation {
    const full = { ...op, id: this.operations.length + 1 };
    this.operations.push(full);
    return full;
  }
}

function formatPlan(operations: Operation[]): string {
  return operations
    .map((op) => `[${op.dependsOn.map((d) => `#${d}`).join(',')}] -> #${op.id} ${op.resource}, ${op.type}, ${op.cause}`)
    .join('\n');
}

function makePlan(operations: Operation[], orphans: Plan['orphans']): Plan {
  return { operations, orphans, toString: () => formatPlan(operations), isEmpty: () => operations.length === 0 };
}

function containerName(project: string, service: DesiredService, number: number): string {
  return service.containerName ?? `${project}-${service.name}-${number}`;
}

export function reconcile(desired: DesiredState, observed: ObservedState, opts: ReconcileOptions): Plan {
  const b = new PlanBuilder();
  const observedNetworks = new Map(observed.networks.map((n) => [n.name, n]));
  const networkOps = new Map<string, number>();
  const recreatedNetworks = new Set<string>();
  for (const n of desired.networks) {
    const seen = observedNetworks.get(n.name);
    if (!seen) networkOps.set(n.name, b.add({ type: 'CreateNetwork', resource: `network:${n.name}`, cause: n.external ? 'external network must exist' : 'no existing network', dependsOn: [] }).id);
    else if (!n.external && !seen.external && seen.configHash !== n.configHash) recreatedNetworks.add(n.name);
  }
  const volumeOps = new Map<string, number>();
  const observedVolumes = new Set(observed.volumes.map((v) => v.name));
  for (const v of desired.volumes) {
    if (!observedVolumes.has(v.name)) volumeOps.set(v.name, b.add({ type: 'CreateVolume', resource: `volume:${v.name}`, cause: v.external ? 'external volume must exist' : 'no existing volume', dependsOn: [] }).id);
  }

  const byService = new Map<string, ObservedContainer[]>();
  for (const c of observed.containers) {
    if (c.oneOff) continue;
    const list = byService.get(c.service) ?? [];
    list.push(c);
    byService.set(c.service, list);
  }
  for (const list of byService.values()) list.sort((a, b2) => a.number - b2.number);

  // A changed network is recreated: its containers go first, then the network, then they come back.
  const networkRecreateOps = new Map<string, number>();
  const removedForNetwork = new Map<string, number[]>();
  for (const name of recreatedNetworks) {
    const removals: number[] = [];
    for (const c of observed.containers.filter((x) => x.networks.includes(name))) {
      const stop = b.add({ type: 'StopContainer', resource: `service:${c.service}:${c.number}`, service: c.service, number: c.number, containerId: c.id, containerName: c.name, cause: `network ${name} changed`, dependsOn: [] });
      removals.push(b.add({ type: 'RemoveContainer', resource: `service:${c.service}:${c.number}`, service: c.service, number: c.number, containerId: c.id, containerName: c.name, cause: `network ${name} changed`, dependsOn: [stop.id] }).id);
      removedForNetwork.set(c.id, removals);
    }
    networkRecreateOps.set(name, b.add({ type: 'RecreateNetwork', resource: `network:${name}`, cause: 'network configuration changed', dependsOn: removals }).id);
  }

  // Per service: the ops that make its containers exist and run.
  const startOps = new Map<string, number[]>();
  const recreatedServices = new Set<string>();
  const serviceReady = new Map<string, number[]>();
  interface Pending {
    service: DesiredService;
    create: Array<{ number: number; cause: string; after: number[] }>;
    start: Array<{ number: number; containerId?: string; name: string; cause: string; after: number[] }>;
  }
  const pending: Pending[] = [];
  for (const service of desired.services) {
    const existing = byService.get(service.name) ?? [];
    const p: Pending = { service, create: [], start: [] };
    const infra = [...service.networks.map((n) => networkOps.get(n) ?? networkRecreateOps.get(n)), ...service.volumes.map((v) => volumeOps.get(v))].filter((x): x is number => x !== undefined);
    for (let number = 1; number <= service.replicas; number++) {
      const c = existing.find((x) => x.number === number);
      const name = c?.name ?? containerName(desired.project, service, number);
      if (!c) {
        p.create.push({ number, cause: 'no existing container', after: infra });
        continue;
      }
      if (removedForNetwork.has(c.id)) {
        p.create.push({ number, cause: 'network changed', after: [...infra, ...(removedForNetwork.get(c.id) ?? [])] });
        recreatedServices.add(service.name);
        continue;
      }
      const diverged = c.configHash !== service.configHash ? 'configuration changed' : c.imageId !== service.imageId && service.imageId !== '' ? 'image changed' : undefined;
      const recreate = opts.recreate === 'force' ? 'forced recreate' : opts.recreate === 'diverged' ? diverged : undefined;
      if (recreate) {
        const stop = b.add({ type: 'StopContainer', resource: `service:${service.name}:${number}`, service: service.name, number, containerId: c.id, containerName: c.name, cause: recreate, dependsOn: [] });
        const remove = b.add({ type: 'RemoveContainer', resource: `service:${service.name}:${number}`, service: service.name, number, containerId: c.id, containerName: c.name, cause: recreate, dependsOn: [stop.id] });
        p.create.push({ number, cause: recreate, after: [...infra, remove.id] });
        recreatedServices.add(service.name);
        continue;
      }
      if (c.state !== 'running' && c.state !== 'restarting' && c.state !== 'paused') p.start.push({ number, containerId: c.id, name, cause: `container is ${c.state}`, after: infra });
    }
    // Scale down: the highest numbers go first.
    for (const c of existing.filter((x) => x.number > service.replicas).sort((a, b2) => b2.number - a.number)) {
      const stop = b.add({ type: 'StopContainer', resource: `service:${service.name}:${c.number}`, service: service.name, number: c.number, containerId: c.id, containerName: c.name, cause: `scale down to ${service.replicas}`, dependsOn: [] });
      b.add({ type: 'RemoveContainer', resource: `service:${service.name}:${c.number}`, service: service.name, number: c.number, containerId: c.id, containerName: c.name, cause: `scale down to ${service.replicas}`, dependsOn: [stop.id] });
    }
    pending.push(p);
  }

  // Creations and starts, in dependency order so a start can wait for its dependencies' starts.
  const done = new Set<string>();
  const byName = new Map(pending.map((p) => [p.service.name, p]));
  const visit = (p: Pending, stack: Set<string>): void => {
    if (done.has(p.service.name) || stack.has(p.service.name)) return;
    stack.add(p.service.name);
    for (const dep of Object.keys(p.service.dependsOn)) {
      const d = byName.get(dep);
      if (d) visit(d, stack);
    }
    stack.delete(p.service.name);
    done.add(p.service.name);
    const hasWork = p.create.length > 0 || p.start.length > 0;
    const waits: number[] = [];
    if (hasWork) {
      for (const [dep, d] of Object.entries(p.service.dependsOn)) {
        if (!byName.has(dep) && !d.required) continue;
        waits.push(
          b.add({
            type: 'WaitDependency',
            resource: `service:${p.service.name}`,
            service: p.service.name,
            cause: `depends on ${dep} (${d.condition})`,
            dependsOn: serviceReady.get(dep) ?? [],
            condition: { service: dep, condition: d.condition, required: d.required },
          }).id,
        );
      }
    }
    const starts: number[] = [];
    for (const c of p.create) {
      const name = containerName(desired.project, p.service, c.number);
      const create = b.add({ type: 'CreateContainer', resource: `service:${p.service.name}:${c.number}`, service: p.service.name, number: c.number, containerName: name, cause: c.cause, dependsOn: c.after });
      starts.push(b.add({ type: 'StartContainer', resource: `service:${p.service.name}:${c.number}`, service: p.service.name, number: c.number, containerName: name, cause: c.cause, dependsOn: [create.id, ...waits] }).id);
    }
    for (const s of p.start) {
      starts.push(b.add({ type: 'StartContainer', resource: `service:${p.service.name}:${s.number}`, service: p.service.name, number: s.number, containerId: s.containerId, containerName: s.name, cause: s.cause, dependsOn: [...s.after, ...waits] }).id);
    }
    startOps.set(p.service.name, starts);
    serviceReady.set(p.service.name, starts);
  };
  for (const p of pending) visit(p, new Set());

  // Dependents with `restart: true` follow a recreated dependency.
  for (const p of pending) {
    if ((startOps.get(p.service.name) ?? []).length > 0 || recreatedServices.has(p.service.name)) continue;
    for (const [dep, d] of Object.entries(p.service.dependsOn)) {
      if (!d.restart || !recreatedServices.has(dep)) continue;
      for (const c of (byService.get(p.service.name) ?? []).filter((x) => x.number <= p.service.replicas && x.state === 'running')) {
        b.add({ type: 'RestartContainer', resource: `service:${p.service.name}:${c.number}`, service: p.service.name, number: c.number, containerId: c.id, containerName: c.name, cause: `dependency ${dep} was recreated`, dependsOn: startOps.get(dep) ?? [] });
      }
      break;
    }
  }

  const known = new Set(desired.allServices ?? desired.services.map((s) => s.name));
  const orphans = observed.containers.filter((c) => !c.oneOff && !known.has(c.service)).map((c) => ({ id: c.id, name: c.name, service: c.service }));
  if (opts.removeOrphans) {
    for (const o of orphans) {
      const stop = b.add({ type: 'StopContainer', resource: `service:${o.service}:orphan`, service: o.service, containerId: o.id, containerName: o.name, cause: 'orphan', dependsOn: [] });
      b.add({ type: 'RemoveContainer', resource: `service:${o.service}:orphan`, service: o.service, containerId: o.id, containerName: o.name, cause: 'orphan', dependsOn: [stop.id] });
    }
  }
  return makePlan(b.operations, orphans);
}

/**
 * `down`: every container of the project stopped (dependents before their
 * dependencies when `dependsOn` is known) and removed, then the project's own
 * networks.
 */
export function planDown(
  _project: string,
  observed: ObservedState,
  opts: { volumes: boolean; removeOrphans: boolean; dependsOn?: Record<string, string[]> | undefined },
): Plan {
  const b = new PlanBuilder();
  const containers = observed.containers.filter((c) => !c.oneOff);
  const stopOps = new Map<string, number[]>();
  const removals: number[] = [];
  const deps = opts.dependsOn ?? {};
  const dependents = (service: string): string[] => Object.entries(deps).filter(([, ds]) => ds.includes(service)).map(([s]) => s);
  const visiting = new Set<string>();
  const stopService = (service: string): number[] => {
    const existing = stopOps.get(service);
    if (existing) return existing;
    if (visiting.has(service)) return [];
    visiting.add(service);
    const after = dependents(service).flatMap((d) => stopService(d));
    const ids: number[] = [];
    for (const c of containers.filter((x) => x.service === service)) {
      const stop = b.add({ type: 'StopContainer', resource: `service:${c.service}:${c.number}`, service: c.service, number: c.number, containerId: c.id, containerName: c.name, cause: 'down', dependsOn: after });
      ids.push(stop.id);
      removals.push(b.add({ type: 'RemoveContainer', resource: `service:${c.service}:${c.number}`, service: c.service, number: c.number, containerId: c.id, containerName: c.name, cause: 'down', dependsOn: [stop.id] }).id);
    }
    stopOps.set(service, ids);
    visiting.delete(service);
    return ids;
  };
  for (const service of [...new Set(containers.map((c) => c.service))].sort()) stopService(service);
  for (const n of observed.networks) {
    if (n.external) continue;
    b.add({ type: 'RemoveNetwork', resource: `network:${n.name}`, cause: 'down', dependsOn: removals });
  }
  return makePlan(b.operations, []);
}
