/** `depends_on`: a list of names or a mapping → a mapping with compose-go's defaults (service_started, required). */
import { toBool, toFlag } from './scalars.js';
import { isObj, scalarText, show } from './transformer.js';
import type { Obj, Transformer } from './transformer.js';

export const toDependsOn: Transformer = (v, path, run) => {
  const out: Obj = {};
  if (Array.isArray(v)) {
    v.forEach((name, i) => {
      const key = scalarText(name);
      out[key] = { condition: 'service_started', required: true };
      run.carry(v, i, out, key);
    });
    return out;
  }
  if (!isObj(v)) return run.fail(path, `invalid type ${show(v)} for depends_on`);
  run.positions.copyAll(v, out);
  for (const [name, spec] of Object.entries(v)) {
    const at = [...path, name];
    if (spec !== null && !isObj(spec)) run.fail(at, `unsupported value ${show(spec)}`);
    const dep = run.mapping(spec, at);
    dep['condition'] ??= 'service_started';
    dep['required'] = dep['required'] === undefined ? true : toBool(dep['required'], [...at, 'required'], run);
    if (dep['restart'] !== undefined) {
      const restart = toFlag(dep['restart'], [...at, 'restart'], run);
      if (restart === undefined) delete dep['restart'];
      else dep['restart'] = restart;
    }
    out[name] = dep;
  }
  return out;
};
