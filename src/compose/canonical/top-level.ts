/** Top-level entries: networks, volumes, secrets and configs (null → {}, the deprecated `external: {name}`), include entries. */
import { toBool } from './scalars.js';
import { isObj } from './transformer.js';
import type { Transformer } from './transformer.js';

/** networks/volumes/secrets/configs entries: null → {}, deprecated `external: {name}` → `name` + `external: true`. */
export const toResource: Transformer = (v, path, run) => {
  const out = run.mapping(v, path);
  const external = isObj(v) ? v['external'] : undefined;
  if (isObj(external)) {
    out['external'] = true;
    if (external['name'] !== undefined) {
      run.warn(path, 'external.name is deprecated. Please set name and external: true');
      if (out['name'] !== undefined && out['name'] !== external['name']) run.fail(path, 'name and external.name conflict; only use name');
      out['name'] ??= external['name'];
    }
  } else if (external !== undefined) {
    if (toBool(external, [...path, 'external'], run)) out['external'] = true;
    else delete out['external'];
  }
  return out;
};

export const toIncludeEntry: Transformer = (v, path, run) => (typeof v === 'string' ? { path: v } : run.descend(v, path));
