/**
 * Phase 10: consistency of the whole project, compose-go's wording: every
 * reference names something that exists, every service has an image or a
 * build, scale and names do not contradict each other.
 */
import { ComposeFileError } from '../../errors/index.js';
import type { LoadContext } from '../context.js';
import type { PathSegment } from '../positions.js';
import { formatKeyPath } from '../positions.js';
import type { Project } from '../model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkProject(project: Project, ctx?: LoadContext): ComposeFileError[] {
  const errors: ComposeFileError[] = [];
  const services = project.services as Record<string, Obj>;
  const names = new Set(Object.keys(services));
  const networks = new Set(Object.keys(project.networks ?? {}));
  const volumes = new Set(Object.keys(project.volumes ?? {}));
  const secrets = new Set(Object.keys(project.secrets ?? {}));
  const configs = new Set(Object.keys(project.configs ?? {}));

  const report = (service: string, path: PathSegment[], message: string): void => {
    errors.push(
      new ComposeFileError('TSC_SPEC_INCONSISTENT', message, {
        service,
        keyPath: formatKeyPath(path),
        location: ctx?.positions.locate(project, path),
      }),
    );
  };
  const serviceRef = (service: string, key: string, value: unknown, prefix = 'service:'): void => {
    if (typeof value !== 'string' || !value.startsWith(prefix)) return;
    const target = value.slice(prefix.length);
    if (!names.has(target)) report(service, ['services', service, key], `service "${service}" refers to undefined service "${target}" in ${key}: invalid compose project`);
  };

  for (const [name, svc] of Object.entries(services)) {
    const at = (...p: PathSegment[]): PathSegment[] => ['services', name, ...p];
    if (svc['image'] === undefined && svc['build'] === undefined) {
      report(name, at(), `service "${name}" has neither an image nor a build context specified: invalid compose project`);
    }
    for (const [dep, spec] of Object.entries((svc['depends_on'] as Obj | undefined) ?? {})) {
      if (!names.has(dep) && (spec as Obj | null)?.['required'] !== false) {
        report(name, at('depends_on', dep), `service "${name}" depends on undefined service "${dep}": invalid compose project`);
      }
    }
    for (const link of (svc['links'] as string[] | undefined) ?? []) {
      const target = link.split(':')[0] as string;
      if (!names.has(target)) report(name, at('links'), `service "${name}" refers to undefined service "${target}" in links: invalid compose project`);
    }
    for (const from of (svc['volumes_from'] as string[] | undefined) ?? []) {
      if (from.startsWith('container:')) continue;
      const target = from.split(':')[0] as string;
      if (!names.has(target)) report(name, at('volumes_from'), `service "${name}" refers to undefined service "${target}" in volumes_from: invalid compose project`);
    }
    serviceRef(name, 'network_mode', svc['network_mode']);
    serviceRef(name, 'ipc', svc['ipc']);
    serviceRef(name, 'pid', svc['pid']);
    if (svc['network_mode'] !== undefined && isObj(svc['networks']) && Object.keys(svc['networks']).length > 0) {
      report(name, at('network_mode'), `service "${name}" declares mutually exclusive \`network_mode\` and \`networks\`: invalid compose project`);
    }
    for (const net of Object.keys(isObj(svc['networks']) ? svc['networks'] : {})) {
      if (!networks.has(net)) report(name, at('networks', net), `service "${name}" refers to undefined network ${net}: invalid compose project`);
    }
    ((svc['volumes'] as Obj[] | undefined) ?? []).forEach((v, i) => {
      if (v['type'] === 'volume' && typeof v['source'] === 'string' && v['source'] !== '' && !volumes.has(v['source'])) {
        report(name, at('volumes', i), `service "${name}" refers to undefined volume ${v['source']}: invalid compose project`);
      }
    });
    for (const [key, pool, what] of [
      ['secrets', secrets, 'secret'],
      ['configs', configs, 'config'],
    ] as const) {
      ((svc[key] as Obj[] | undefined) ?? []).forEach((ref, i) => {
        if (typeof ref['source'] === 'string' && !pool.has(ref['source'])) {
          report(name, at(key, i), `service "${name}" refers to undefined ${what} ${ref['source']}: invalid compose project`);
        }
      });
    }
    const deploy = isObj(svc['deploy']) ? svc['deploy'] : undefined;
    const replicas = deploy?.['replicas'];
    const scale = svc['scale'];
    if (typeof scale === 'number' && typeof replicas === 'number' && scale !== replicas) {
      report(name, at('scale'), `services.${name}: can't set distinct values on 'scale' and 'deploy.replicas'`);
    }
    const count = typeof scale === 'number' ? scale : typeof replicas === 'number' ? replicas : 1;
    const containerName = svc['container_name'];
    if (typeof containerName === 'string') {
      if (count > 1) report(name, at('container_name'), `services.${name}: can't set container_name and ${typeof scale === 'number' ? 'scale' : 'deploy.replicas'} > 1 as container names must be unique`);
    }
  }
  return errors;
}
