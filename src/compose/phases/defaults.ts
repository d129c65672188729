/**
 * Phase 9: what compose-go fills in after canonicalisation (loader/normalize.go,
 * transform/defaults.go, setNameFromKey), then the typed model:
 * - the implicit `default` network for services that name none (and have no
 *   `network_mode`), declared at top level as `<project>_default`;
 * - top-level network/volume/secret/config `name`: `<project>_<key>`, or the key
 *   itself for an external resource, unless `name:` is set;
 * - implied dependencies: `links`, `volumes_from` and `service:` namespaces
 *   (`network_mode`, `ipc`, `pid`, `uts`, `cgroup`) add `depends_on` entries;
 * - port protocol `tcp` and mode `ingress`, secret target `/run/secrets/<source>`,
 *   `pull_policy: if_not_present` → `missing`, `deploy.replicas` from `scale`,
 *   `pre_start` hooks inherit the service image.
 * The tree comes from the canonical phase and is completed in place, so the
 * source positions of its containers stay valid for the consistency checks.
 * The check against the typed model is model-check.ts (it loads zod).
 */
import type { ComposeTree } from '../context.js';
import type { Project } from '../model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface DefaultsOptions {
  projectName: string;
  /** The project directory (where relative paths were resolved against). */
  workingDir: string;
}

const RESOURCE_SECTIONS = ['networks', 'volumes', 'secrets', 'configs'] as const;
const NAMESPACE_KEYS = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'];

/** Completes the tree in place; the result is typed as the model but not yet checked against it. */
export function fillDefaults(tree: ComposeTree, opts: DefaultsOptions): Project {
  const project = tree;
  project['name'] = opts.projectName;
  if (!isObj(project['services'])) project['services'] = {};
  const services = project['services'] as Obj;
  for (const section of RESOURCE_SECTIONS) if (!isObj(project[section])) project[section] = {};

  let usesDefaultNetwork = false;
  for (const [name, raw] of Object.entries(services)) {
    const service = isObj(raw) ? raw : {};
    services[name] = service;
    if (joinDefaultNetwork(service)) usesDefaultNetwork = true;
    serviceDefaults(service);
  }

  const networks = project['networks'] as Obj;
  if (usesDefaultNetwork && !isObj(networks['default'])) networks['default'] = {};
  for (const section of RESOURCE_SECTIONS) nameResources(project[section] as Obj, opts.projectName);

  return project as Project;
}

/** A service with neither `networks` nor `network_mode` joins `default`; returns whether it uses `default`. */
function joinDefaultNetwork(service: Obj): boolean {
  if (service['provider'] !== undefined || service['network_mode'] !== undefined) return false;
  const networks = service['networks'];
  if (!isObj(networks) || Object.keys(networks).length === 0) {
    service['networks'] = { default: null };
    return true;
  }
  return 'default' in networks;
}

function serviceDefaults(service: Obj): void {
  if (service['pull_policy'] === 'if_not_present') service['pull_policy'] = 'missing';

  const build = service['build'];
  if (isObj(build)) {
    build['context'] ??= '.';
    if (build['dockerfile'] === undefined && build['dockerfile_inline'] === undefined) build['dockerfile'] = 'Dockerfile';
  }

  for (const port of listOf(service['ports'])) {
    port['protocol'] ??= 'tcp';
    port['mode'] ??= 'ingress';
  }
  for (const secret of listOf(service['secrets'])) {
    if (secret['target'] === undefined && typeof secret['source'] === 'string') secret['target'] = `/run/secrets/${secret['source']}`;
  }

  const dependsOn: Obj = isObj(service['depends_on']) ? service['depends_on'] : {};
  for (const [name, raw] of Object.entries(dependsOn)) {
    const dep = isObj(raw) ? raw : {};
    dep['condition'] ??= 'service_started';
    dep['required'] ??= true;
    dependsOn[name] = dep;
  }
  const implied = (target: string, restart: boolean): void => {
    if (target === '' || target in dependsOn) return;
    dependsOn[target] = restart ? { condition: 'service_started', restart: true, required: true } : { condition: 'service_started', required: true };
  };
  for (const link of stringsOf(service['links'])) implied(link.split(':')[0] as string, true);
  for (const key of NAMESPACE_KEYS) {
    const ref = service[key];
    if (typeof ref === 'string' && ref.startsWith('service:')) implied(ref.slice('service:'.length), true);
  }
  for (const from of stringsOf(service['volumes_from'])) {
    if (!from.startsWith('container:')) implied(from.split(':')[0] as string, false);
  }
  if (Object.keys(dependsOn).length > 0) service['depends_on'] = dependsOn;

  const deploy = service['deploy'];
  if (typeof service['scale'] === 'number' && isObj(deploy) && deploy['replicas'] === undefined) deploy['replicas'] = service['scale'];

  const image = service['image'];
  if (typeof image === 'string' && image !== '') {
    for (const hook of listOf(service['pre_start'])) hook['image'] ??= image;
  }
}

/** Resources without `name` are named after their key: `<project>_<key>`, or the key itself when external. */
function nameResources(entries: Obj, projectName: string): void {
  for (const [key, raw] of Object.entries(entries)) {
    const resource = isObj(raw) ? raw : {};
    if (resource['name'] === undefined || resource['name'] === null) {
      resource['name'] = resource['external'] === true ? key : `${projectName}_${key}`;
    }
    entries[key] = resource;
  }
}

function listOf(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isObj) : [];
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

