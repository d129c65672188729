/**
 * `down` as one plan, executed once: every container stopped, dependents
 * before their dependencies (the reverse of start order), and removed; then
 * the project's networks that nothing left uses (also those an interrupted
 * run left without containers), with `-v` its volumes (named and anonymous),
 * with `--rmi` the images its services ran. External networks and volumes are
 * never removed; a network or image another project still uses stays, with a
 * warning. Orphans (containers of services not in the file) go only with
 * removeOrphans; one-off `run` containers always go, as docker compose's down
 * removes them too.
 */
import type { DesiredState } from './desired.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { PlanBuilder } from './operation.js';
import type { Plan } from './operation.js';
import type { OrderedService } from './service-order.js';
import { dependencyOrder, dependentsMap, stopPrerequisites } from './service-order.js';

export interface DownOptions {
  volumes: boolean;
  removeOrphans: boolean;
  /** The project as the file describes it: dependency order, known services, external resources. */
  desired?: DesiredState | undefined;
  /** Without `desired`: service → the services it depends on (its keys are the known services). */
  dependsOn?: Record<string, string[]> | undefined;
  timeoutS?: number | undefined;
  /** `--rmi`; needs `observed.images`. */
  removeImages?: ImageRemoval | undefined;
}

export interface ImageRemoval {
  /** all: every image the services run; local: only those without a custom tag (no `image:` in the file), as docker compose. */
  mode: 'all' | 'local';
  /** The services' images as the file names them; customTag: the file sets `image:` itself. */
  images: Array<{ reference: string; customTag: boolean }>;
}

export function planDown(_project: string, observed: ObservedState, opts: DownOptions): Plan {
  const b = new PlanBuilder();
  let graph: OrderedService[] = [];
  let known: Set<string> | undefined;
  if (opts.desired) {
    graph = [...opts.desired.services, ...(opts.desired.unselected ?? [])];
    known = new Set([...graph.map((s) => s.name), ...(opts.desired.allServices ?? [])]);
  } else if (opts.dependsOn) {
    graph = Object.entries(opts.dependsOn).map(([name, deps]) => ({ name, dependsOn: Object.fromEntries(deps.map((d) => [d, true])) }));
    known = new Set(Object.keys(opts.dependsOn));
  }
  const isOrphan = (c: ObservedContainer): boolean => !c.oneOff && known !== undefined && !known.has(c.service);
  const orphans = observed.containers.filter(isOrphan);
  const going = observed.containers.filter((c) => !isOrphan(c) || opts.removeOrphans);
  const staying = observed.containers.filter((c) => !going.includes(c));

  const groups = new Map<string, ObservedContainer[]>();
  for (const c of going) groups.set(c.service, [...(groups.get(c.service) ?? []), c]);
  const ordered = dependencyOrder(graph)
    .map((s) => s.name)
    .reverse();
  // Services the file does not order (orphans, or no file at all) go first, by name.
  const unordered = [...groups.keys()].filter((s) => !ordered.includes(s)).sort();
  const dependents = dependentsMap(graph);
  const stopOps = new Map<string, number[]>();
  const removalOf = new Map<string, number>();
  for (const service of [...unordered, ...ordered]) {
    const list = (groups.get(service) ?? []).sort((x, y) => Number(x.oneOff) - Number(y.oneOff) || y.number - x.number);
    if (list.length === 0) continue;
    const after = stopPrerequisites(service, dependents, (s) => stopOps.get(s));
    const ids: number[] = [];
    for (const c of list) {
      const base = {
        resource: c.oneOff ? `container:${c.name}` : `service:${c.service}:${c.number}`,
        service: c.service,
        number: c.number,
        containerId: c.id,
        containerName: c.name,
        cause: isOrphan(c) ? 'orphaned container' : c.oneOff ? 'one-off container' : 'down',
      };
      const stop = b.add({ ...base, type: 'StopContainer', dependsOn: after, timeoutS: opts.timeoutS });
      ids.push(stop.id);
      removalOf.set(c.id, b.add({ ...base, type: 'RemoveContainer', dependsOn: [stop.id] }).id);
    }
    stopOps.set(service, ids);
  }

  const warnings: string[] = [];
  const externalNetworks = new Set((opts.desired?.networks ?? []).filter((n) => n.external).map((n) => n.name));
  for (const n of observed.networks) {
    if (n.external || externalNetworks.has(n.name)) continue;
    // A container that stays (an orphan kept) still uses it: removing it would fail.
    if (staying.some((c) => c.networks.includes(n.name))) continue;
    if (n.usedBy && n.usedBy.length > 0) {
      warnings.push(`network ${n.name} is kept: still in use by ${n.usedBy.join(', ')}`);
      continue;
    }
    const after = going.filter((c) => c.networks.includes(n.name)).map((c) => removalOf.get(c.id) as number);
    b.add({ type: 'RemoveNetwork', resource: `network:${n.name}`, name: n.name, cause: 'down', dependsOn: after });
  }
  const allRemovals = [...removalOf.values()];
  if (opts.volumes) {
    const externalVolumes = new Set((opts.desired?.volumes ?? []).filter((v) => v.external).map((v) => v.name));
    for (const v of observed.volumes) {
      if (v.external || externalVolumes.has(v.name)) continue;
      b.add({ type: 'RemoveVolume', resource: `volume:${v.name}`, name: v.name, cause: 'down -v', dependsOn: allRemovals });
    }
  }
  if (opts.removeImages) planImageRemovals(b, opts.removeImages, observed, staying, allRemovals, warnings);
  return b.build(
    orphans.map((c) => ({ id: c.id, name: c.name, service: c.service })),
    warnings,
  );
}

function planImageRemovals(b: PlanBuilder, removal: ImageRemoval, observed: ObservedState, staying: ObservedContainer[], after: number[], warnings: string[]): void {
  const wanted = new Set(removal.images.filter((i) => removal.mode === 'all' || !i.customTag).map((i) => i.reference));
  for (const reference of [...wanted].sort()) {
    // Not in the local store: nothing to remove.
    const image = observed.images?.find((i) => i.reference === reference);
    if (!image) continue;
    const users = [...image.usedBy, ...staying.filter((c) => c.imageId === image.id).map((c) => c.name)];
    if (users.length > 0) {
      warnings.push(`image ${reference} is kept: still in use by ${users.join(', ')}`);
      continue;
    }
    b.add({ type: 'RemoveImage', resource: `image:${reference}`, name: reference, cause: `down --rmi ${removal.mode}`, dependsOn: after });
  }
}
