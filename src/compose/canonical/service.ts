/**
 * A service as a whole, after its keys went through the table: what needs
 * several keys at once (`cpus`/`mem_limit`/`mem_reservation`/`pids_limit`
 * against `deploy.resources`), and the small long forms of `extends` and `logging`.
 */
import type { KeyPath } from '../positions.js';
import { isObj, scalarText } from './transformer.js';
import type { CanonicalRun, Obj, Transformer } from './transformer.js';

/** A service: its keys through the table, then the limits checked against `deploy.resources`. */
export const toService: Transformer = (v, path, run) => {
  const service = run.mapping(v, path);
  checkResourceAgreement(service, path, run);
  return service;
};

/** compose-go refuses a service-level limit that disagrees with the same limit under deploy.resources. */
function checkResourceAgreement(service: Obj, path: KeyPath, run: CanonicalRun): void {
  const resources = isObj(service['deploy']) && isObj(service['deploy']['resources']) ? service['deploy']['resources'] : undefined;
  if (!resources) return;
  const pairs: Array<[string, string, string]> = [
    ['cpus', 'limits', 'cpus'],
    ['mem_limit', 'limits', 'memory'],
    ['mem_reservation', 'reservations', 'memory'],
    ['pids_limit', 'limits', 'pids'],
  ];
  for (const [key, section, field] of pairs) {
    const own = service[key];
    const block = resources[section];
    const other = isObj(block) ? block[field] : undefined;
    if (own === undefined || own === null || other === undefined || other === null || own === other) continue;
    const deployPath = `deploy.resources.${section}.${field}`;
    run.fail(
      [...path, key],
      `can't set distinct values on '${key}' and '${deployPath}': ${key} ${scalarText(own)} conflicts with ${deployPath} ${scalarText(other)}`,
    );
  }
}

export const toExtends: Transformer = (v, path, run) => (typeof v === 'string' ? { service: v } : run.mapping(v, path));

export const toLogging: Transformer = (v, path, run) => run.mapping(v, path);
