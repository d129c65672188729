/** `ulimits` (service and build): a single number is both the soft and the hard limit. */
import { toInt } from './scalars.js';
import { isObj } from './transformer.js';
import type { Obj, Transformer } from './transformer.js';

/** `nofile: 1024` → `{soft: 1024, hard: 1024}`. */
export const toUlimit: Transformer = (v, path, run) => {
  if (isObj(v)) {
    const out = run.descend(v, path) as Obj;
    out['soft'] = toInt(v['soft'] ?? 0, [...path, 'soft'], run);
    out['hard'] = toInt(v['hard'] ?? 0, [...path, 'hard'], run);
    return out;
  }
  const limit = toInt(v, path, run);
  return { soft: limit, hard: limit };
};
