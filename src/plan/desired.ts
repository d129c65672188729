/** What the project asks for, as plain data: services (with replicas and config hashes), networks and volumes. */
import type { Project } from '../spec/model.js';
import { serviceConfigHash } from './config-hash.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';
import { networkConfigHashOf } from './network-hash.js';

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DesiredService {
  name: string;
  replicas: number;
  configHash: string;
  imageId: string;
  containerName?: string | undefined;
  dependsOn: Record<string, { condition: DependencyCondition; restart: boolean; required: boolean }>;
  networks: string[];
  volumes: string[];
  hasHealthcheck: boolean;
}

export interface DesiredState {
  project: string;
  services: DesiredService[];
  /** Every service of the file (selected or not): containers of other services are orphans. */
  allServices?: string[] | undefined;
  networks: Array<{ name: string; configHash: string; external: boolean }>;
  volumes: Array<{ name: string; external: boolean }>;
}

export function desiredFromProject(
  project: Project,
  opts: { selected?: string[] | undefined; noDeps?: boolean; scale?: Record<string, number>; imageIds: Record<string, string> },
): DesiredState {
  const graph = buildDependencyGraph(project);
  const selected = opts.selected && opts.selected.length > 0 ? opts.selected : Object.keys(project.services);
  const names = (opts.noDeps ? selected : graph.withDependencies(selected)).filter((n) => project.services[n] !== undefined);
  const services: DesiredService[] = [];
  const networkNames = new Set<string>();
  const volumeNames = new Set<string>();
  for (const name of names) {
    const svc = project.services[name];
    if (!svc) continue;
    const nets =
      svc.network_mode === undefined || svc.network_mode === 'bridge'
        ? Object.keys(svc.networks ?? {})
            .map((k) => project.networks[k]?.name)
            .filter((n): n is string => n !== undefined)
        : [];
    nets.forEach((n) => networkNames.add(n));
    const vols = (svc.volumes ?? [])
      .filter((v) => v.type === 'volume' && v.source !== undefined && project.volumes[v.source] !== undefined)
      .map((v) => project.volumes[v.source as string]?.name as string);
    vols.forEach((v) => volumeNames.add(v));
    const dependsOn: DesiredService['dependsOn'] = {};
    for (const [dep, d] of Object.entries(svc.depends_on ?? {})) {
      if (opts.noDeps && !names.includes(dep)) continue;
      dependsOn[dep] = { condition: d.condition, restart: d.restart === true, required: d.required };
    }
    const replicas = opts.scale?.[name] ?? svc.scale ?? svc.deploy?.replicas ?? 1;
    services.push({
      name,
      replicas,
      configHash: serviceConfigHash(svc),
      imageId: opts.imageIds[name] ?? '',
      containerName: svc.container_name,
      dependsOn,
      networks: nets,
      volumes: vols,
      hasHealthcheck: svc.healthcheck !== undefined && svc.healthcheck.disable !== true,
    });
  }
  const networks = Object.values(project.networks)
    .filter((n) => networkNames.has(n.name))
    .map((n) => ({ name: n.name, configHash: networkConfigHashOf(n), external: n.external === true }));
  const volumes = Object.values(project.volumes)
    .filter((v) => volumeNames.has(v.name))
    .map((v) => ({ name: v.name, external: v.external === true }));
  return { project: project.name, services, allServices: Object.keys(project.services), networks, volumes };
}
