/**
 * Orders services by their depends_on: dependencies before dependents,
 * otherwise in the order given (deterministic plans). Dependencies outside
 * the list are ignored; a cycle (the loader rejects them) cannot loop.
 */
export interface OrderedService {
  name: string;
  dependsOn: Record<string, unknown>;
}

export function dependencyOrder<T extends OrderedService>(services: readonly T[]): T[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (s: T): void => {
    if (done.has(s.name) || visiting.has(s.name)) return;
    visiting.add(s.name);
    for (const dep of Object.keys(s.dependsOn)) {
      const d = byName.get(dep);
      if (d) visit(d);
    }
    visiting.delete(s.name);
    done.add(s.name);
    out.push(s);
  };
  for (const s of services) visit(s);
  return out;
}

/** service -> the services that depend on it directly. */
export function dependentsMap(services: readonly OrderedService[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of services) {
    for (const dep of Object.keys(s.dependsOn)) {
      const list = out.get(dep) ?? [];
      if (!list.includes(s.name)) list.push(s.name);
      out.set(dep, list);
    }
  }
  return out;
}

/**
 * The stop operations a service's stops must wait for: those of its nearest
 * dependents that are stopped in this plan (looking through dependents that
 * are not), so stops run in the reverse of start order.
 */
export function stopPrerequisites(service: string, dependents: Map<string, string[]>, stopsOf: (service: string) => number[] | undefined): number[] {
  const out = new Set<number>();
  const seen = new Set<string>();
  const walk = (name: string): void => {
    for (const d of dependents.get(name) ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      const stops = stopsOf(d);
      if (stops && stops.length > 0) stops.forEach((id) => out.add(id));
      else walk(d);
    }
  };
  walk(service);
  return [...out].sort((a, b) => a - b);
}
