/**
 * Which services and containers a command acts on, beyond the ones named:
 * the dependents `restart` takes along, the dependencies `up
 * --attach-dependencies` shows, the orphans `--remove-orphans` removes, the
 * containers `--wait` waits for. Pure: the project and the engine's list in,
 * names out.
 */
import type { Project } from '../compose/model.js';
import type { ContainerSummary } from '../engine/api/protocol.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';

/**
 * `restart SERVICE...` as docker compose does it: the services and, unless
 * `--no-deps`, what depends on them with `depends_on.<s>.restart: true`
 * (transitively). Every service when none is named.
 */
export function restartSelection(project: Pick<Project, 'services'>, services: readonly string[], noDeps: boolean): string[] {
  if (services.length === 0 || noDeps) return [...services];
  const graph = buildDependencyGraph(project);
  const selected = new Set(services);
  const queue = [...services];
  while (queue.length > 0) {
    const target = queue.pop() as string;
    for (const s of graph.services) {
      if (selected.has(s) || !graph.edgesFrom(s).some((e) => e.to === target && e.kind === 'depends_on' && e.restart)) continue;
      selected.add(s);
      queue.push(s);
    }
  }
  return graph.services.filter((s) => selected.has(s)).concat(services.filter((s) => !graph.services.includes(s)));
}

/** The services whose logs attached `up` shows: `--attach`, else the named ones (with their dependencies if asked), else all; minus `--no-attach` and `attach: false`. */
export function attachedServices(
  project: Pick<Project, 'services'>,
  opts: { services: readonly string[]; attach: readonly string[]; noAttach: readonly string[]; attachDependencies: boolean },
): Set<string> {
  let shown: string[];
  if (opts.attach.length > 0) shown = [...opts.attach];
  else if (opts.services.length > 0) shown = opts.attachDependencies ? buildDependencyGraph(project).withDependencies([...opts.services]) : [...opts.services];
  else shown = Object.keys(project.services).filter((s) => project.services[s]?.attach !== false);
  return new Set(shown.filter((s) => !opts.noAttach.includes(s)));
}

/** Containers of services the file no longer has (one-off containers and services of disabled profiles are not orphans). */
export function orphanContainers(containers: readonly ContainerSummary[], project: Pick<Project, 'services'>, disabledServices: readonly string[] = []): ContainerSummary[] {
  return containers.filter((c) => !c.OneOff && !Object.hasOwn(project.services, c.Service) && !disabledServices.includes(c.Service));
}

export type WaitVerdict = { kind: 'ready' } | { kind: 'waiting'; on: string } | { kind: 'failed'; message: string; service: string };

/**
 * `start --wait`: every container of the selection running, and healthy when
 * it has a health check. One that exited fails the wait, unless it is a
 * service others wait for with `service_completed_successfully` and it
 * exited 0; an unhealthy one fails it.
 */
export function waitVerdict(containers: readonly ContainerSummary[], project: Pick<Project, 'services'> | undefined): WaitVerdict {
  const completes = new Set<string>();
  for (const svc of Object.values(project?.services ?? {})) {
    for (const [dep, cond] of Object.entries(svc.depends_on ?? {})) if (cond?.condition === 'service_completed_successfully') completes.add(dep);
  }
  const completed = (c: ContainerSummary): boolean => c.State === 'exited' && c.ExitCode === 0 && completes.has(c.Service);
  for (const c of containers) {
    if ((c.State === 'exited' || c.State === 'dead') && !completed(c)) return { kind: 'failed', message: `container ${c.Name} exited (${c.ExitCode})`, service: c.Service };
    if (c.Health === 'unhealthy') return { kind: 'failed', message: `container ${c.Name} is unhealthy`, service: c.Service };
  }
  const pending = containers.find((c) => !completed(c) && (c.State !== 'running' || (c.Health !== '' && c.Health !== 'healthy')));
  return pending ? { kind: 'waiting', on: pending.Name } : { kind: 'ready' };
}
