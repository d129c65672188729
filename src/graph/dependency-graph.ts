/**
 * The service dependency graph: edges from depends_on, links, volumes_from
 * and `service:` namespace sharing. Cycles are errors that name the cycle;
 * topological levels give what can start in parallel, their reverse the stop
 * order. Pure.
 */
import { ComposeFileError } from '../errors/index.js';

type Obj = Record<string, unknown>;

export interface DependencyEdge {
  from: string;
  to: string;
  kind: 'depends_on' | 'links' | 'volumes_from' | 'network_mode' | 'ipc' | 'pid';
  condition?: string | undefined;
  required: boolean;
  restart: boolean;
}

interface ServiceLike {
  depends_on?: Record<string, { condition?: string; required?: boolean; restart?: boolean } | null | undefined>;
  links?: string[];
  volumes_from?: string[];
  network_mode?: string;
  ipc?: string;
  pid?: string;
}

export class DependencyGraph {
  private readonly out = new Map<string, DependencyEdge[]>();
  readonly services: string[];

  constructor(services: Record<string, unknown>) {
    this.services = Object.keys(services);
    const known = new Set(this.services);
    for (const name of this.services) {
      const svc = (services[name] ?? {}) as ServiceLike;
      const edges: DependencyEdge[] = [];
      const add = (to: string, kind: DependencyEdge['kind'], extra: Partial<DependencyEdge> = {}): void => {
        if (!known.has(to) || edges.some((e) => e.to === to && e.kind === kind)) return;
        edges.push({ from: name, to, kind, required: true, restart: false, ...extra });
      };
      for (const [dep, spec] of Object.entries(svc.depends_on ?? {})) {
        add(dep, 'depends_on', { condition: spec?.condition ?? 'service_started', required: spec?.required !== false, restart: spec?.restart === true });
      }
      for (const link of svc.links ?? []) add(link.split(':')[0] as string, 'links');
      for (const from of svc.volumes_from ?? []) if (!from.startsWith('container:')) add(from.split(':')[0] as string, 'volumes_from');
      for (const key of ['network_mode', 'ipc', 'pid'] as const) {
        const v = svc[key];
        if (typeof v === 'string' && v.startsWith('service:')) add(v.slice('service:'.length), key);
      }
      this.out.set(name, edges);
    }
  }

  edgesFrom(name: string): DependencyEdge[] {
    return this.out.get(name) ?? [];
  }

  /** The first cycle found, in definition order, as compose-go reports it. */
  findCycle(): ComposeFileError | undefined {
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (name: string): string[] | undefined => {
      state.set(name, 'visiting');
      stack.push(name);
      for (const edge of this.edgesFrom(name)) {
        const s = state.get(edge.to);
        if (s === 'visiting') return [...stack.slice(stack.indexOf(edge.to)), edge.to];
        if (s === undefined) {
          const found = visit(edge.to);
          if (found) return found;
        }
      }
      stack.pop();
      state.set(name, 'done');
      return undefined;
    };
    for (const name of this.services) {
      if (state.has(name)) continue;
      const cycle = visit(name);
      if (cycle) {
        return new ComposeFileError('TSC_DEPENDENCY_CYCLE', `dependency cycle detected: ${cycle.join(' -> ')}`, {
          service: cycle[0],
          keyPath: `services.${cycle[0]}`,
        });
      }
    }
    return undefined;
  }

  /** Groups that can start in parallel, dependencies first; limited to `subset` when given. */
  startLevels(subset?: string[]): string[][] {
    const cycle = this.findCycle();
    if (cycle) throw cycle;
    const wanted = new Set(subset ?? this.services);
    const level = new Map<string, number>();
    const depth = (name: string): number => {
      const known = level.get(name);
      if (known !== undefined) return known;
      let d = 0;
      for (const e of this.edgesFrom(name)) if (wanted.has(e.to)) d = Math.max(d, depth(e.to) + 1);
      level.set(name, d);
      return d;
    };
    const levels: string[][] = [];
    for (const name of this.services) {
      if (!wanted.has(name)) continue;
      const d = depth(name);
      (levels[d] ??= []).push(name);
    }
    return levels.filter((l) => l !== undefined);
  }

  stopOrder(subset?: string[]): string[][] {
    return [...this.startLevels(subset)].reverse();
  }

  dependenciesOf(name: string, opts: { transitive?: boolean } = {}): string[] {
    const seen = new Set<string>();
    const walk = (n: string): void => {
      for (const e of this.edgesFrom(n)) {
        if (seen.has(e.to)) continue;
        seen.add(e.to);
        if (opts.transitive) walk(e.to);
      }
    };
    walk(name);
    return this.services.filter((s) => seen.has(s));
  }

  dependentsOf(name: string, opts: { transitive?: boolean } = {}): string[] {
    const seen = new Set<string>();
    const walk = (n: string): void => {
      for (const s of this.services) {
        if (seen.has(s) || !this.edgesFrom(s).some((e) => e.to === n)) continue;
        seen.add(s);
        if (opts.transitive) walk(s);
      }
    };
    walk(name);
    return this.services.filter((s) => seen.has(s));
  }

  /** `names` plus everything they depend on, transitively. */
  withDependencies(names: string[]): string[] {
    const all = new Set(names);
    for (const n of names) for (const d of this.dependenciesOf(n, { transitive: true })) all.add(d);
    return this.services.filter((s) => all.has(s));
  }
}

export function buildDependencyGraph(project: { services: Record<string, unknown> } | Obj): DependencyGraph {
  return new DependencyGraph((project as { services: Record<string, unknown> }).services ?? {});
}
