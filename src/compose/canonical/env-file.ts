/**
 * The `env_file` key itself: a path, a list of paths or entries → a list of
 * `{path, required, format?}`, one per path. Reading the files is the
 * env-files phase (phases/env-files.ts).
 */
import { toBool } from './scalars.js';
import { isObj, scalarText, show, unique } from './transformer.js';
import type { Obj, Transformer } from './transformer.js';

export const toEnvFiles: Transformer = (v, path, run) => {
  if (v === null) return v;
  const items = Array.isArray(v) ? v : [v];
  const out = items.map((item, i) => {
    const at = Array.isArray(v) ? [...path, i] : path;
    if (typeof item === 'string') return { path: item, required: true };
    if (!isObj(item)) return run.fail(at, `invalid type ${show(item)} for env_file`);
    const entry = run.descend(item, at) as Obj;
    entry['required'] = entry['required'] === undefined ? true : toBool(entry['required'], [...at, 'required'], run);
    return entry;
  });
  if (Array.isArray(v)) run.positions.copyAll(v, out);
  return unique(out, (e) => scalarText(e['path']), run);
};
