/** The part of a network's definition that, when changed, needs a new network. */
import { createHash } from 'node:crypto';
import type { NetworkConfig } from '../compose/model.js';
import { canonicalJson } from './canonical-json.js';

export function networkConfigHashOf(config: NetworkConfig): string {
  const relevant = {
    driver: config.driver ?? 'bridge',
    driver_opts: config.driver_opts ?? {},
    ipam: config.ipam ?? {},
    internal: config.internal === true,
    labels: config.labels ?? {},
    enable_ipv6: config.enable_ipv6 === true,
  };
  return createHash('sha256').update(canonicalJson(relevant)).digest('hex').slice(0, 16);
}
