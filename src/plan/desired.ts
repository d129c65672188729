/**
 * What the project asks for, as plain data the reconciler can compare with
 * what it observed: services (replicas, config hash, image id, dependencies,
 * the networks and named volumes they use) and the networks and volumes to
 * have. This is the only module of plan/ that knows the compose model.
 */
import { ComposeFileError } from '../errors/index.js';
import type { Project, ServiceConfig } from '../compose/model.js';
import { healthcheckDisabled, serviceScale } from '../compose/model-queries.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';
import { serviceConfigHash } from './config-hash.js';
import { networkConfigHashOf } from './network-hash.js';

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DesiredDependency {
  condition: DependencyCondition;
  restart: boolean;
  required: boolean;
}

export interface DesiredService {
  name: string;
  replicas: number;
  configHash: string;
  imageId: string;
  containerName?: string | undefined;
  dependsOn: Record<string, DesiredDependency>;
  /** Full names of the networks it joins (none with network_mode host/none/service:/container:). */
  networks: string[];
  /** Full names of the named volumes it mounts. */
  volumes: string[];
  hasHealthcheck: boolean;
  /**
   * Services whose namespaces it joins (`network_mode`, `ipc`, `pid`, `uts`,
   * `cgroup` as `service:<name>`): a container made for the old one of those
   * holds on to namespaces that are gone, so it is recreated with them.
   */
  joins?: string[] | undefined;
}

export interface DesiredNetwork {
  name: string;
  configHash: string;
  external: boolean;
}

export interface DesiredVolume {
  name: string;
  external: boolean;
}

export interface DesiredState {
  project: string;
  /** Selected services, their dependencies included unless noDeps; dependencies first is not required. */
  services: DesiredService[];
  /** Every service name of the file (profile-disabled ones too): containers of any other service are orphans. */
  allServices?: string[] | undefined;
  /**
   * Services of the file left out of this run: never created or started, but
   * their running containers follow a recreated dependency (`restart: true`).
   */
  unselected?: DesiredService[] | undefined;
  /** The services named on the command line (empty: all); the others get `recreateDependencies`. */
  selected?: string[] | undefined;
  networks: DesiredNetwork[];
  volumes: DesiredVolume[];
}

export interface DesiredOptions {
  selected?: string[] | undefined;
  noDeps?: boolean | undefined;
  scale?: Record<string, number> | undefined;
  /** service -> image id (config digest); '' or absent when unknown (then images never cause a recreate). */
  imageIds: Record<string, string>;
  /** Services left out by profiles (LoadResult.disabledServices): not orphans. */
  disabledServices?: string[] | undefined;
}

function serviceNetworks(project: Project, svc: ServiceConfig): string[] {
  if (svc.network_mode !== undefined && svc.network_mode !== 'bridge') return [];
  return Object.keys(svc.networks ?? {})
    .map((key) => project.networks[key]?.name)
    .filter((n): n is string => n !== undefined);
}

function serviceVolumes(project: Project, svc: ServiceConfig): string[] {
  const names: string[] = [];
  for (const mount of svc.volumes ?? []) {
    if (mount.type !== 'volume' || mount.source === undefined) continue;
    const name = project.volumes[mount.source]?.name;
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

function describeService(project: Project, name: string, svc: ServiceConfig, opts: DesiredOptions, keepDependency: (dep: string) => boolean): DesiredService {
  const replicas = opts.scale?.[name] ?? serviceScale(svc);
  if (svc.container_name !== undefined && replicas > 1) {
    throw new ComposeFileError('TSC_CONTAINER_NAME_SCALE', `services.${name}: can't set container_name and ${name} as container name must be unique (scale ${replicas})`, {
      service: name,
      keyPath: `services.${name}.container_name`,
    });
  }
  const dependsOn: Record<string, DesiredDependency> = {};
  for (const [dep, d] of Object.entries(svc.depends_on ?? {})) {
    if (!keepDependency(dep)) continue;
    dependsOn[dep] = { condition: d.condition, restart: d.restart === true, required: d.required };
  }
  return {
    name,
    replicas,
    configHash: serviceConfigHash(svc),
    imageId: opts.imageIds[name] ?? '',
    containerName: svc.container_name,
    dependsOn,
    networks: serviceNetworks(project, svc),
    volumes: serviceVolumes(project, svc),
    hasHealthcheck: svc.healthcheck !== undefined && !healthcheckDisabled(svc.healthcheck),
    joins: joinedServices(svc),
  };
}

const NAMESPACE_KEYS = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'] as const;

function joinedServices(svc: ServiceConfig): string[] {
  const out = new Set<string>();
  for (const key of NAMESPACE_KEYS) {
    const value = (svc as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.startsWith('service:')) out.add(value.slice('service:'.length));
  }
  return [...out].sort();
}

/**
 * The desired state of `up [SERVICE...]`: names as docker compose gives them
 * (containers `<project>-<service>-<n>` unless container_name, networks and
 * volumes by their resolved `name`, which the loader already made
 * `<project>_<key>` unless `name:`/external). Only the networks and volumes
 * the chosen services use are wanted, as compose's WithoutUnnecessaryResources.
 */
export function desiredFromProject(project: Project, opts: DesiredOptions): DesiredState {
  const all = Object.keys(project.services);
  const selected = opts.selected ?? [];
  for (const name of selected) {
    if (!Object.hasOwn(project.services, name)) throw new ComposeFileError('TSC_NO_SUCH_SERVICE', `no such service: ${name}`, { service: name });
  }
  const roots = selected.length > 0 ? selected : all;
  const chosen = opts.noDeps ? all.filter((n) => roots.includes(n)) : buildDependencyGraph(project).withDependencies(roots);
  const chosenSet = new Set(chosen);
  // With --no-deps the left-out dependencies are neither started nor waited for.
  const keep = (dep: string): boolean => !opts.noDeps || chosenSet.has(dep);

  const services = chosen.map((name) => describeService(project, name, project.services[name] as ServiceConfig, opts, keep));
  const unselected = all.filter((n) => !chosenSet.has(n)).map((name) => describeService(project, name, project.services[name] as ServiceConfig, opts, () => true));

  const usedNetworks = new Set(services.flatMap((s) => s.networks));
  const usedVolumes = new Set(services.flatMap((s) => s.volumes));
  const networks = Object.values(project.networks)
    .filter((n) => usedNetworks.has(n.name))
    .map((n) => ({ name: n.name, configHash: networkConfigHashOf(n), external: n.external === true }));
  const volumes = Object.values(project.volumes)
    .filter((v) => usedVolumes.has(v.name))
    .map((v) => ({ name: v.name, external: v.external === true }));
  return {
    project: project.name,
    services,
    allServices: [...all, ...(opts.disabledServices ?? []).filter((n) => !all.includes(n))],
    unselected,
    selected: [...selected],
    networks,
    volumes,
  };
}
