/** Service `networks` and `models`: a list of names becomes a mapping of names to null (the defaults). */
import { scalarText } from './transformer.js';
import type { Obj, Transformer } from './transformer.js';

/** `[a, b]` → `{a: null, b: null}` (service networks and models). */
export const toNameMap: Transformer = (v, path, run) => {
  if (Array.isArray(v)) {
    const out: Obj = {};
    v.forEach((name, i) => {
      out[scalarText(name)] = null;
      run.carry(v, i, out, scalarText(name));
    });
    return out;
  }
  if (v === null) return v;
  return run.descend(v, path);
};

/** A service network entry: null stays null (join with the defaults). */
export const toServiceNetwork: Transformer = (v, path, run) => (v === null ? null : run.mapping(v, path));
