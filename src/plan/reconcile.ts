/**
 * The reconciler's decision, pure (docker compose's reconcile → plan): the
 * desired state against the observed one gives a DAG of operations, each with
 * its cause. The engine executes them, independent ones in parallel, and
 * decides nothing itself.
 *
 * Plan layout (ids grow in this order, so a dependency always has a smaller id):
 *   1. missing networks and volumes are created;
 *   2. containers that must go (recreated, scaled down, orphans, on a changed
 *      network) are stopped and removed, dependents before their dependencies;
 *   3. changed networks are recreated once their containers are gone;
 *   4. per service, dependencies first: WaitDependency for each depends_on,
 *      then create + start of new replicas and start of stopped ones;
 *   5. running dependents with `restart: true` of a recreated service restart
 *      (those that join its namespaces, `network_mode: service:X`, are recreated in 2/4).
 * With noStart (the `create` command) steps 4 and 5 only create: nothing is
 * started, restarted or waited for; a service's creates follow its dependencies' creates.
 */
import { TscComposeError } from '../errors/index.js';
import type { DesiredDependency, DesiredService, DesiredState } from './desired.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { PlanBuilder } from './operation.js';
import type { Plan } from './operation.js';
import { dependencyOrder, dependentsMap, stopPrerequisites } from './service-order.js';

export type RecreatePolicy = 'diverged' | 'force' | 'never';

export interface ReconcileOptions {
  /** For the services named on the command line (all when none named). */
  recreate: RecreatePolicy;
  removeOrphans: boolean;
  /**
   * For the dependencies pulled in by named services (`desired.selected`).
   * Default as compose's `up`: 'never' under --no-recreate, else 'diverged'
   * (--force-recreate forces only the named services; --always-recreate-deps passes 'force').
   */
  recreateDependencies?: RecreatePolicy | undefined;
  /** The `start` command: start existing stopped containers in dependency order, nothing else. */
  startOnly?: boolean | undefined;
  /** Stop grace period carried by stop and restart operations. */
  timeoutS?: number | undefined;
  /** The `create` command: containers are created, none is started (nor waited for, nor restarted). */
  noStart?: boolean | undefined;
}

/** A container the plan takes down, and whether a new one replaces it. */
interface Teardown {
  container: ObservedContainer;
  cause: string;
  /** false: only stopped (a container of a service not in this run, on a recreated network). */
  remove: boolean;
}

interface Replica {
  number: number;
  cause: string;
  /** The container replaced (recreate), removed before the new one is created. */
  replaces?: ObservedContainer | undefined;
  /** An existing container to start as is. */
  existing?: ObservedContainer | undefined;
}

interface ServicePlan {
  teardowns: Teardown[];
  /** New containers and existing stopped ones, by replica number. */
  replicas: Replica[];
}

const STARTABLE = new Set(['created', 'exited', 'dead']);

function byNumber(a: ObservedContainer, b: ObservedContainer): number {
  return a.number - b.number || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function groupByService(containers: readonly ObservedContainer[]): Map<string, ObservedContainer[]> {
  const out = new Map<string, ObservedContainer[]>();
  for (const c of containers) {
    if (c.oneOff) continue;
    const list = out.get(c.service) ?? [];
    list.push(c);
    out.set(c.service, list);
  }
  for (const list of out.values()) list.sort(byNumber);
  return out;
}

export function containerNameOf(project: string, service: DesiredService, number: number): string {
  return service.containerName ?? `${project}-${service.name}-${number}`;
}

function conditionText(d: DesiredDependency): string {
  return d.required ? d.condition : `${d.condition}, optional`;
}

class Reconciler {
  private readonly b = new PlanBuilder();
  private readonly services: DesiredService[];
  private readonly everyService: DesiredService[];
  private readonly selected: Map<string, DesiredService>;
  private readonly containers: Map<string, ObservedContainer[]>;
  private readonly dependents: Map<string, string[]>;
  private readonly orphans: ObservedContainer[];
  /** network/volume full name → the operation that makes it exist in this plan. */
  private readonly infraOps = new Map<string, number>();
  private readonly changedNetworks = new Set<string>();
  private readonly stopOps = new Map<string, number[]>();
  /** container id → its StopContainer / RemoveContainer operation. */
  private readonly stopOf = new Map<string, number>();
  private readonly removalOf = new Map<string, number>();
  /** service → operations after which its containers run (starts of this plan; its creates under noStart). */
  private readonly startOps = new Map<string, number[]>();
  private readonly recreated = new Set<string>();
  private readonly touched = new Set<string>();

  constructor(
    private readonly desired: DesiredState,
    private readonly observed: ObservedState,
    private readonly opts: ReconcileOptions,
  ) {
    this.services = dependencyOrder(desired.services);
    this.everyService = dependencyOrder([...desired.services, ...(desired.unselected ?? [])]);
    this.selected = new Map(this.services.map((s) => [s.name, s]));
    this.containers = groupByService(observed.containers);
    this.dependents = dependentsMap(this.everyService);
    const known = new Set([...this.everyService.map((s) => s.name), ...(desired.allServices ?? [])]);
    this.orphans = observed.containers.filter((c) => !c.oneOff && !known.has(c.service)).sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : byNumber(a, b)));
  }

  plan(): Plan {
    if (this.opts.startOnly) {
      this.planStartOnly();
    } else {
      this.planInfrastructure();
      const decisions = new Map(this.services.map((s) => [s.name, this.decide(s)]));
      this.planTeardowns(decisions);
      this.planNetworkRecreations();
      this.planStarts(decisions);
      this.planDependentRestarts();
    }
    return this.b.build(this.orphans.map((c) => ({ id: c.id, name: c.name, service: c.service })));
  }

  // ---- 1. networks and volumes ----------------------------------------------

  private planInfrastructure(): void {
    const observedNetworks = new Map(this.observed.networks.map((n) => [n.name, n]));
    for (const n of this.desired.networks) {
      const seen = observedNetworks.get(n.name);
      if (!seen) {
        // An external network is never created: the executor checks it exists and fails naming it.
        const cause = n.external ? 'external network not found' : 'not found';
        this.infraOps.set(n.name, this.b.add({ type: 'CreateNetwork', resource: `network:${n.name}`, name: n.name, cause, dependsOn: [] }).id);
        continue;
      }
      // No recorded hash: a network made elsewhere, left alone as compose does.
      const diverged = !n.external && !seen.external && seen.configHash !== '' && seen.configHash !== n.configHash;
      if (diverged && this.opts.recreate !== 'never') this.changedNetworks.add(n.name);
    }
    const observedVolumes = new Set(this.observed.volumes.map((v) => v.name));
    for (const v of this.desired.volumes) {
      if (observedVolumes.has(v.name)) continue;
      const cause = v.external ? 'external volume not found' : 'not found';
      this.infraOps.set(v.name, this.b.add({ type: 'CreateVolume', resource: `volume:${v.name}`, name: v.name, cause, dependsOn: [] }).id);
    }
  }

  // ---- decisions per service --------------------------------------------------

  private policyOf(service: string): RecreatePolicy {
    const named = this.desired.selected ?? [];
    if (named.length > 0 && !named.includes(service)) return this.opts.recreateDependencies ?? (this.opts.recreate === 'never' ? 'never' : 'diverged');
    return this.opts.recreate;
  }

  /** Why the container must be replaced, or undefined when it can stay. */
  private obsolete(service: DesiredService, c: ObservedContainer, policy: RecreatePolicy): string | undefined {
    const network = c.networks.find((n) => this.changedNetworks.has(n));
    if (network !== undefined) return `network ${network} changed`;
    // Decided in dependency order, so a joined service's recreation is already known here.
    const joined = (service.joins ?? []).find((s) => this.recreated.has(s));
    if (joined !== undefined) return `joins the namespaces of ${joined}, which is recreated`;
    if (policy === 'never') return undefined;
    if (policy === 'force') return 'forced recreate';
    if (c.configHash !== service.configHash) return 'config hash changed';
    if (service.imageId !== '' && c.imageId !== '' && c.imageId !== service.imageId) return 'image changed';
    if (c.state === 'dead') return 'container is dead';
    return undefined;
  }

  private decide(service: DesiredService): ServicePlan {
    const policy = this.policyOf(service.name);
    const existing = this.containers.get(service.name) ?? [];
    const reasons = new Map(existing.map((c) => [c, this.obsolete(service, c, policy)]));
    // Up-to-date containers and low numbers are kept; the rest is scaled away (compose's sortContainers).
    const ranked = [...existing].sort((a, b) => Number(reasons.get(a) !== undefined) - Number(reasons.get(b) !== undefined) || byNumber(a, b));
    const keep = Math.max(0, service.replicas);
    const kept = ranked.slice(0, keep);
    const plan: ServicePlan = { teardowns: [], replicas: [] };
    for (const c of ranked.slice(keep)) plan.teardowns.push({ container: c, cause: `scale down to ${keep}`, remove: true });
    for (const c of kept) {
      const reason = reasons.get(c);
      if (reason !== undefined) {
        plan.teardowns.push({ container: c, cause: reason, remove: true });
        plan.replicas.push({ number: c.number, cause: reason, replaces: c });
        this.recreated.add(service.name);
      } else if (STARTABLE.has(c.state)) {
        plan.replicas.push({ number: c.number, cause: `container is ${c.state}`, existing: c });
      }
    }
    // Scale up with the lowest numbers no container of the service holds.
    const used = new Set(existing.map((c) => c.number));
    let missing = keep - kept.length;
    for (let n = 1; missing > 0; n++) {
      if (used.has(n)) continue;
      plan.replicas.push({ number: n, cause: 'no existing container' });
      missing--;
    }
    plan.replicas.sort((a, b) => a.number - b.number);
    if (plan.teardowns.length > 0 || plan.replicas.length > 0) this.touched.add(service.name);
    return plan;
  }

  // ---- 2. stop and remove, dependents first -------------------------------------

  private planTeardowns(decisions: Map<string, ServicePlan>): void {
    const byService = new Map<string, Teardown[]>();
    const add = (service: string, t: Teardown): void => {
      const list = byService.get(service) ?? [];
      if (list.some((x) => x.container.id === t.container.id)) return;
      list.push(t);
      byService.set(service, list);
    };
    for (const [name, d] of decisions) d.teardowns.forEach((t) => add(name, t));
    const removedOrphans = this.opts.removeOrphans ? this.orphans : [];
    // Containers outside this run that sit on a network being recreated: stopped now, started again after.
    for (const c of this.observed.containers) {
      if (c.oneOff || this.selected.has(c.service) || removedOrphans.includes(c)) continue;
      const network = c.networks.find((n) => this.changedNetworks.has(n));
      if (network === undefined) continue;
      add(c.service, { container: c, cause: `network ${network} changed`, remove: false });
      this.touched.add(c.service);
    }

    for (const c of removedOrphans) this.teardown(c, 'orphaned container', true, []);
    for (const service of [...this.everyService].reverse().map((s) => s.name)) {
      const list = (byService.get(service) ?? []).sort((a, b) => byNumber(b.container, a.container));
      if (list.length === 0) continue;
      const after = stopPrerequisites(service, this.dependents, (s) => this.stopOps.get(s));
      for (const t of list) this.teardown(t.container, t.cause, t.remove, after);
    }
  }

  private teardown(c: ObservedContainer, cause: string, remove: boolean, after: number[]): void {
    const base = { resource: `service:${c.service}:${c.number}`, service: c.service, number: c.number, containerId: c.id, containerName: c.name, cause };
    const stop = this.b.add({ ...base, type: 'StopContainer', dependsOn: after, timeoutS: this.opts.timeoutS });
    this.stopOf.set(c.id, stop.id);
    const stops = this.stopOps.get(c.service) ?? [];
    stops.push(stop.id);
    this.stopOps.set(c.service, stops);
    if (remove) this.removalOf.set(c.id, this.b.add({ ...base, type: 'RemoveContainer', dependsOn: [stop.id] }).id);
  }

  // ---- 3. changed networks ----------------------------------------------------------

  private planNetworkRecreations(): void {
    for (const n of this.desired.networks) {
      if (!this.changedNetworks.has(n.name)) continue;
      const gone = this.observed.containers
        .filter((c) => c.networks.includes(n.name))
        .map((c) => this.removalOf.get(c.id) ?? this.stopOf.get(c.id))
        .filter((id): id is number => id !== undefined);
      const op = this.b.add({ type: 'RecreateNetwork', resource: `network:${n.name}`, name: n.name, cause: 'config hash changed', dependsOn: gone });
      this.infraOps.set(n.name, op.id);
    }
  }

  // ---- 4. waits, creates and starts, dependencies first -------------------------------

  private waitFor(service: DesiredService, only?: (dep: string, d: DesiredDependency) => boolean): number[] {
    const waits: number[] = [];
    for (const [dep, d] of Object.entries(service.dependsOn)) {
      if (only && !only(dep, d)) continue;
      const target = this.selected.get(dep);
      // A dependency outside this run: optional ones are skipped, required ones checked when executed.
      if (!target && !d.required) continue;
      // Nothing will ever run for a scale-0 dependency: nothing to wait for (compose's waitless).
      if (target && target.replicas === 0) continue;
      const op = this.b.add({
        type: 'WaitDependency',
        resource: `service:${service.name}`,
        service: service.name,
        cause: `depends on ${dep} (${conditionText(d)})`,
        dependsOn: this.startOps.get(dep) ?? [],
        condition: { service: dep, condition: d.condition, required: d.required },
      });
      waits.push(op.id);
    }
    return waits;
  }

  private infraOf(service: DesiredService): number[] {
    return [...service.networks, ...service.volumes].map((n) => this.infraOps.get(n)).filter((id): id is number => id !== undefined);
  }

  /** What a service's creates wait for under noStart: the creates of its dependencies in this plan. */
  private dependencyCreates(service: DesiredService): number[] {
    return Object.keys(service.dependsOn).flatMap((dep) => this.startOps.get(dep) ?? []);
  }

  private planStarts(decisions: Map<string, ServicePlan>): void {
    const noStart = this.opts.noStart === true;
    for (const service of this.services) {
      const d = decisions.get(service.name);
      if (!d || d.replicas.length === 0) continue;
      const waits = noStart ? this.dependencyCreates(service) : this.waitFor(service);
      const infra = this.infraOf(service);
      const starts: number[] = [];
      for (const r of d.replicas) {
        const resource = `service:${service.name}:${r.number}`;
        if (r.existing) {
          if (noStart) continue;
          const c = r.existing;
          starts.push(this.b.add({ type: 'StartContainer', resource, service: service.name, number: r.number, containerId: c.id, containerName: c.name, cause: r.cause, dependsOn: [...infra, ...waits] }).id);
          continue;
        }
        const replaced = r.replaces ? this.removalOf.get(r.replaces.id) : undefined;
        const containerName = containerNameOf(this.desired.project, service, r.number);
        const create = this.b.add({
          type: 'CreateContainer',
          resource,
          service: service.name,
          number: r.number,
          containerName,
          cause: r.cause,
          dependsOn: [...infra, ...(replaced !== undefined ? [replaced] : []), ...waits],
        });
        if (noStart) {
          starts.push(create.id);
          continue;
        }
        starts.push(this.b.add({ type: 'StartContainer', resource, service: service.name, number: r.number, containerName, cause: r.cause, dependsOn: [create.id] }).id);
      }
      this.startOps.set(service.name, starts);
    }
    if (noStart) return;
    // Containers stopped only for a network recreation come back once it exists again.
    for (const c of this.observed.containers) {
      if (this.removalOf.has(c.id) || !this.stopOf.has(c.id) || c.state !== 'running') continue;
      const network = c.networks.find((n) => this.changedNetworks.has(n)) as string;
      this.b.add({
        type: 'StartContainer',
        resource: `service:${c.service}:${c.number}`,
        service: c.service,
        number: c.number,
        containerId: c.id,
        containerName: c.name,
        cause: `network ${network} recreated`,
        dependsOn: c.networks.map((n) => this.infraOps.get(n)).filter((id): id is number => id !== undefined),
      });
    }
  }

  // ---- 5. restart: true dependents --------------------------------------------------

  private planDependentRestarts(): void {
    if (this.opts.noStart) return;
    for (const service of this.everyService) {
      if (this.touched.has(service.name)) continue;
      const follow = (dep: string, d: DesiredDependency): boolean => d.restart && this.recreated.has(dep);
      const causes = Object.entries(service.dependsOn).filter(([dep, d]) => follow(dep, d)).map(([dep]) => dep);
      if (causes.length === 0) continue;
      const running = (this.containers.get(service.name) ?? []).filter((c) => c.state === 'running');
      if (running.length === 0) continue;
      const waits = this.waitFor(service, follow);
      for (const c of running) {
        this.b.add({
          type: 'RestartContainer',
          resource: `service:${service.name}:${c.number}`,
          service: service.name,
          number: c.number,
          containerId: c.id,
          containerName: c.name,
          cause: `dependency ${causes.join(', ')} recreated`,
          dependsOn: waits,
          timeoutS: this.opts.timeoutS,
        });
      }
    }
  }

  // ---- `start` ----------------------------------------------------------------------

  private planStartOnly(): void {
    for (const service of this.services) {
      const existing = this.containers.get(service.name) ?? [];
      if (existing.length === 0) {
        if (service.replicas > 0) throw new TscComposeError('TSC_NO_CONTAINER', `service "${service.name}" has no container to start`, { service: service.name });
        continue;
      }
      const stopped = existing.filter((c) => STARTABLE.has(c.state));
      if (stopped.length === 0) continue;
      const waits = this.waitFor(service);
      this.startOps.set(
        service.name,
        stopped.map(
          (c) =>
            this.b.add({
              type: 'StartContainer',
              resource: `service:${service.name}:${c.number}`,
              service: service.name,
              number: c.number,
              containerId: c.id,
              containerName: c.name,
              cause: `container is ${c.state}`,
              dependsOn: waits,
            }).id,
        ),
      );
    }
  }
}

export function reconcile(desired: DesiredState, observed: ObservedState, opts: ReconcileOptions): Plan {
  return new Reconciler(desired, observed, opts).plan();
}
