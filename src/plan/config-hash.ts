/**
 * The hash that decides "changed or not" for a service's containers, as
 * compose's ServiceHash: the canonical service minus what never requires a
 * new container (build, pull_policy, scale, deploy.replicas, depends_on,
 * profiles), as JSON with sorted keys so key order never matters.
 *
 * One deliberate difference: a `deploy` left empty once `replicas` is taken
 * out is dropped, so moving the replica count between `scale` and
 * `deploy.replicas` does not recreate anything.
 */
import { createHash } from 'node:crypto';
import type { ServiceConfig } from '../compose/model.js';
import { canonicalJson } from './canonical-json.js';

/** The service as it is hashed (exported for tests and `config --hash` style output). */
export function hashedServiceView(service: ServiceConfig): Record<string, unknown> {
  const { build: _build, pull_policy: _pull, scale: _scale, depends_on: _deps, profiles: _profiles, deploy, ...rest } = service;
  const view: Record<string, unknown> = { ...rest };
  if (deploy) {
    const { replicas: _replicas, ...others } = deploy;
    if (Object.values(others).some((v) => v !== undefined)) view['deploy'] = others;
  }
  return view;
}

/** sha256 (hex) of the canonical JSON of the service's hashed view. */
export function serviceConfigHash(service: ServiceConfig): string {
  return createHash('sha256').update(canonicalJson(hashedServiceView(service))).digest('hex');
}
